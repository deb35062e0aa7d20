import { Effect, Option } from "effect"
import type { HttpServerRequest, HttpServerResponse } from "effect/http"
import type { HttpApiEndpoint } from "effect/http-api"
import { ByteBudgetCache } from "./byte-budget-cache.ts"
import { conditionalJsonResponse, encodeSuccess, type RenderedBody, renderedBody } from "./conditional-response.ts"

/**
 * Answers rendered once and served again while nothing they depend on has changed (the effective
 * menu's, the product list's): each slot (a tenant's outlet) keeps the one answer rendered last,
 * under the key it was rendered for and for the instants it holds for; a read serves it only under
 * the same key, within those instants. Within a byte budget, least recently used first out.
 */
export class RenderedAnswers {
  private readonly kept: ByteBudgetCache<Entry>
  constructor(budget: number) {
    this.kept = new ByteBudgetCache(budget, weight)
  }

  get budget() {
    return this.kept.budget
  }

  get size() {
    return this.kept.size
  }

  /** The answer kept for `slot` under `key`, when `at` is within its bounds. */
  get(slot: string, key: string, at: Date): RenderedBody | undefined {
    const time = at.getTime()
    return this.kept.get(
      slot,
      (found) =>
        found.key === key &&
        (found.validFrom === null || time >= found.validFrom) &&
        (found.validUntil === null || time < found.validUntil)
    )?.body
  }

  /** Keeps `body` for `slot` under `key`, for instants in [validFrom, validUntil) (null: unbounded). */
  set(
    slot: string,
    key: string,
    body: RenderedBody,
    validFrom: Date | null = null,
    validUntil: Date | null = null
  ): void {
    this.kept.set(slot, {
      key,
      body,
      validFrom: validFrom?.getTime() ?? null,
      validUntil: validUntil?.getTime() ?? null
    })
  }
}

interface Entry {
  readonly key: string
  readonly body: RenderedBody
  /** Epoch milliseconds: the first instant served, and the first not served (null: unbounded). */
  readonly validFrom: number | null
  readonly validUntil: number | null
}

/** The body twice (the string and its bytes) and the key, counted in bytes as UTF-16 strings are held. */
const weight = (_slot: string, entry: Entry) =>
  entry.body.bytes.byteLength + 2 * (entry.body.json.length + entry.key.length)

/** A value rendered for an answer, and the instants it holds for (null: unbounded). */
export interface Rendering {
  readonly value: unknown
  readonly validFrom: Date | null
  readonly validUntil: Date | null
}

/**
 * The answer for `slot` under `key` at `at`, ETag and 304 included: the one kept, or `render`'s,
 * encoded as `endpoint` encodes its success. A rendered answer is kept only when `keyAgain`, read
 * after rendering, is still `key`: a write that landed while the rows were read is not kept under
 * the key read before it. Only a check: if it fails (the outlet gone meanwhile), the answer is
 * served, not kept.
 */
export const keptOrRendered = Effect.fnUntraced(function* <E, R, E2, R2>(
  answers: RenderedAnswers,
  input: {
    readonly request: HttpServerRequest.HttpServerRequest
    readonly endpoint: HttpApiEndpoint.Top
    readonly slot: string
    readonly key: string
    readonly at: Date
    readonly render: Effect.Effect<Rendering, E, R>
    readonly keyAgain: Effect.Effect<string | null, E2, R2>
  }
) {
  const kept = answers.get(input.slot, input.key, input.at)
  if (kept !== undefined) return yield* conditionalJsonResponse(input.request, kept)
  const rendering = yield* input.render
  const body = renderedBody(yield* encodeSuccess(input.endpoint, rendering.value))
  const again = yield* Effect.option(input.keyAgain)
  if (Option.isSome(again) && again.value === input.key) {
    answers.set(input.slot, input.key, body, rendering.validFrom, rendering.validUntil)
  }
  return (yield* conditionalJsonResponse(input.request, body)) satisfies HttpServerResponse.HttpServerResponse
})
