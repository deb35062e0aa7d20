import { Effect, Option } from "effect"
import type { HttpServerRequest, HttpServerResponse } from "effect/http"
import type { HttpApiEndpoint } from "effect/http-api"
import { effectiveMenuBasis, renderEffectiveMenu } from "../../application/menus/effective-menu.ts"
import { conditionalJsonResponse, encodeSuccess, type RenderedBody, renderedBody } from "./conditional-response.ts"

/**
 * The effective menu's answers, rendered once and served again while nothing they depend on has
 * changed: the same menu is read by every partner's client again and again between syncs, and a
 * revalidation (`If-None-Match`) needs only the tag.
 *
 * Each read still asks the database for the answer's key first (`effectiveMenuBasis`: the outlet, its
 * published menus and the catalog's stamp of the rows used, computed from the rows themselves): a
 * price synced, a snooze delivered, a busy mode set or a menu published through any service instance
 * changes it at once, and so does time (a menu opening or closing, a snooze ending). Only an answer
 * whose key is the request's is served; there is no time to live.
 *
 * An answer is kept only when the key read again after rendering is unchanged (a write that landed
 * while the rows were read is not cached under the key read before it). One answer per outlet, the
 * most recently rendered, within a byte budget, least recently used first out.
 */
export class RenderedAnswers {
  private readonly entries = new Map<string, { readonly key: string; readonly body: RenderedBody }>()
  private bytes = 0
  readonly budget: number
  constructor(budget: number) {
    this.budget = budget
  }

  get size() {
    return this.bytes
  }

  get(slot: string, key: string): RenderedBody | undefined {
    const found = this.entries.get(slot)
    if (found === undefined || found.key !== key) return undefined
    this.entries.delete(slot)
    this.entries.set(slot, found)
    return found.body
  }

  set(slot: string, key: string, body: RenderedBody): void {
    const previous = this.entries.get(slot)
    if (previous !== undefined) {
      this.entries.delete(slot)
      this.bytes -= weight(previous)
    }
    const entry = { key, body }
    if (weight(entry) > this.budget) return
    this.entries.set(slot, entry)
    this.bytes += weight(entry)
    for (const [oldest, value] of this.entries) {
      if (this.bytes <= this.budget) break
      this.entries.delete(oldest)
      this.bytes -= weight(value)
    }
  }
}

/** The body twice (the string and its bytes) and the key, counted in bytes as UTF-16 strings are held. */
const weight = (entry: { readonly key: string; readonly body: RenderedBody }) =>
  entry.body.bytes.byteLength + 2 * (entry.body.json.length + entry.key.length)

/** This process's rendered answers (every tenant's: each slot names its tenant and outlet). */
export const effectiveMenuAnswers = new RenderedAnswers(64 * 1024 * 1024)

/** The outlet's effective menu at `at` for the tenant, as `endpoint` answers it, ETag and 304 included. */
export const effectiveMenuAnswer = Effect.fnUntraced(function* (
  request: HttpServerRequest.HttpServerRequest,
  endpoint: HttpApiEndpoint.Top,
  tenantId: string,
  outletId: string,
  at: Date,
  cache: RenderedAnswers = effectiveMenuAnswers
) {
  const basis = yield* effectiveMenuBasis(outletId, at)
  const slot = JSON.stringify([tenantId, basis.store.id])
  const cached = basis.key === null ? undefined : cache.get(slot, basis.key)
  if (cached !== undefined) return yield* conditionalJsonResponse(request, cached)
  const body = renderedBody(
    yield* encodeSuccess(endpoint, yield* renderEffectiveMenu(basis.store, basis.published, at))
  )
  if (basis.key !== null) {
    // Only a check: if the read fails (the outlet gone meanwhile), this answer is served, not kept.
    const again = yield* Effect.option(effectiveMenuBasis(outletId, at))
    if (Option.isSome(again) && again.value.key === basis.key) cache.set(slot, basis.key, body)
  }
  return (yield* conditionalJsonResponse(request, body)) satisfies HttpServerResponse.HttpServerResponse
})
