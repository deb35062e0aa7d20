import { Effect } from "effect"
import type { HttpServerRequest } from "effect/http"
import type { HttpApiEndpoint } from "effect/http-api"
import { outletOrNotFound } from "../../application/catalog/read-catalog.ts"
import { Catalog } from "../../application/ports/catalog.ts"
import { keptOrRendered, RenderedAnswers } from "./rendered-answers.ts"

/**
 * An outlet's product pages, rendered once and served again while nothing they show has changed:
 * partners' clients read the same pages again and again between syncs, and a page of products
 * with their groups and options was the dearest read (four queries and hundreds of rows on the
 * embedded database, about 20 ms a page).
 *
 * Each read still asks the database for the answer's key (the outlet's row and the tenant's catalog
 * generation, which every write to a product, link, group or option moves): a sync, a snooze or an
 * outlet changed through any service instance changes it at once. A page is kept until the first
 * snooze it shows ends (it would read differently then), and only when the key read again after
 * rendering is unchanged. One answer per outlet and query (each page its own), within a byte budget,
 * least recently used first out. Pages of every outlet (no `outletId`) are rendered every time.
 */
export const productListAnswers = new RenderedAnswers(32 * 1024 * 1024)

const basisOf = (outletId: string) =>
  Effect.gen(function* () {
    const store = yield* outletOrNotFound(outletId)
    const generation = yield* (yield* Catalog).catalogGeneration()
    return JSON.stringify([store, generation])
  })

export const productListAnswer = Effect.fnUntraced(function* <E, R>(input: {
  readonly request: HttpServerRequest.HttpServerRequest
  readonly endpoint: HttpApiEndpoint.Top
  readonly tenantId: string
  readonly outletId: string
  /** Everything else the query says (limit, cursor, filters), as given. */
  readonly query: ReadonlyArray<string | number | boolean | null>
  readonly at: Date
  /** Renders the page at `at`, with the first later instant at which it would read differently. */
  readonly render: Effect.Effect<{ readonly page: unknown; readonly changesAt: Date | null }, E, R>
  readonly cache?: RenderedAnswers
}) {
  return yield* keptOrRendered(input.cache ?? productListAnswers, {
    request: input.request,
    endpoint: input.endpoint,
    slot: JSON.stringify([input.tenantId, input.outletId, ...input.query]),
    key: yield* basisOf(input.outletId),
    at: input.at,
    // A page holds until the first snooze it shows ends.
    render: Effect.map(input.render, ({ page, changesAt }) => ({
      value: page,
      validFrom: null,
      validUntil: changesAt
    })),
    keyAgain: basisOf(input.outletId)
  })
})
