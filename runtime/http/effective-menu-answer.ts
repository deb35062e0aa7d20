import { Effect } from "effect"
import type { HttpServerRequest } from "effect/http"
import type { HttpApiEndpoint } from "effect/http-api"
import {
  effectiveMenuBasis,
  renderEffectiveMenu,
  renderEffectiveMenuWithValidity
} from "../../application/menus/effective-menu.ts"
import { Menus } from "../../application/ports/menus.ts"
import { conditionalJsonResponse, encodeSuccess, renderedBody } from "./conditional-response.ts"
import { keptOrRendered, RenderedAnswers } from "./rendered-answers.ts"

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
  if (basis.key === null) {
    const menu = yield* renderEffectiveMenu(basis.store, yield* (yield* Menus).menusOfStore(basis.store.id), at)
    return yield* conditionalJsonResponse(request, renderedBody(yield* encodeSuccess(endpoint, menu)))
  }
  return yield* keptOrRendered(cache, {
    request,
    endpoint,
    slot: JSON.stringify([tenantId, basis.store.id]),
    key: basis.key,
    at,
    render: Effect.map(renderEffectiveMenuWithValidity(basis.store, at), (rendering) => ({
      value: rendering.menu,
      validFrom: rendering.validFrom,
      validUntil: rendering.validUntil
    })),
    keyAgain: Effect.map(effectiveMenuBasis(outletId, at), (again) => again.key)
  })
})
