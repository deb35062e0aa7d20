import { Effect, Option } from "effect"
import type { HttpServerRequest, HttpServerResponse } from "effect/http"
import type { HttpApiEndpoint } from "effect/http-api"
import {
  effectiveMenuBasis,
  renderEffectiveMenu,
  renderEffectiveMenuWithValidity
} from "../../application/menus/effective-menu.ts"
import { Menus } from "../../application/ports/menus.ts"
import { conditionalJsonResponse, encodeSuccess, renderedBody } from "./conditional-response.ts"
import { RenderedAnswers } from "./rendered-answers.ts"

/**
 * The effective menu's answers, rendered once and served again while nothing they depend on has
 * changed: the same menu is read by every partner's client again and again between syncs, and a
 * revalidation (`If-None-Match`) needs only the tag.
 *
 * Each read still asks the database for the answer's key first (`effectiveMenuBasis`: the outlet, its
 * published menus' versions and hours, and the tenant's catalog generation, three small reads): a
 * price synced, a snooze delivered, a busy mode set or a menu published through any service instance
 * changes it at once, and so does time (a menu opening or closing changes the key; a snooze ending
 * bounds the instants an answer is kept for). Only an answer whose key is the request's, for an
 * instant within its bounds, is served; there is no time to live. The menus' content is read only
 * to render.
 *
 * An answer is kept only when the key read again after rendering is unchanged (a write that landed
 * while the rows were read is not cached under the key read before it). One answer per outlet, the
 * most recently rendered, within a byte budget, least recently used first out (`RenderedAnswers`).
 * These are this process's rendered menus, every tenant's: each slot names its tenant and outlet.
 */
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
  if (basis.key === null) {
    const menu = yield* renderEffectiveMenu(basis.store, yield* (yield* Menus).menusOfStore(basis.store.id), at)
    return yield* conditionalJsonResponse(request, renderedBody(yield* encodeSuccess(endpoint, menu)))
  }
  const cached = cache.get(slot, basis.key, at)
  if (cached !== undefined) return yield* conditionalJsonResponse(request, cached)
  const rendering = yield* renderEffectiveMenuWithValidity(basis.store, at)
  const body = renderedBody(yield* encodeSuccess(endpoint, rendering.menu))
  // Only a check: if the read fails (the outlet gone meanwhile), this answer is served, not kept.
  const again = yield* Effect.option(effectiveMenuBasis(outletId, at))
  if (Option.isSome(again) && again.value.key === basis.key) {
    cache.set(slot, basis.key, body, rendering.validFrom, rendering.validUntil)
  }
  return (yield* conditionalJsonResponse(request, body)) satisfies HttpServerResponse.HttpServerResponse
})
