import { decodePayload, PayloadRejected } from "@pos-integration/sdk"
import { Effect, Predicate } from "effect"
import type { MenuPush } from "./catalog.ts"
import { AsyncMenuPush, SyncMenuPush } from "./menu-schema.ts"
import { Problems } from "./problems.ts"

const notAMenuPush = PayloadRejected.one(
  "(root)",
  'not a Deliverect menu push: expected a JSON array of menus or {"body": {"menus": [...], "stores": [...], "callback": "..."}}'
)

const decodeSync = (payload: ReadonlyArray<unknown>): Effect.Effect<MenuPush, PayloadRejected> =>
  Effect.gen(function* () {
    if (payload.length === 0) return yield* PayloadRejected.one("(root)", "an empty menu push names no menus")
    const menus = yield* decodePayload(SyncMenuPush)(payload)
    // Without `stores`, each menu's channelLinkId is the only thing naming the outlet.
    const problems = new Problems()
    menus.forEach((menu, index) => {
      if (menu.channelLinkId === undefined) {
        problems.add(`[${index}].channelLinkId`, "is missing: each menu of a synchronous push names its channel link")
      }
    })
    if (!problems.isEmpty) return yield* problems.rejection()
    return { menus: menus.map((menu, index) => ({ menu, path: `[${index}]` })), stores: undefined, callback: null }
  })

const decodeAsync = (payload: unknown): Effect.Effect<MenuPush, PayloadRejected> =>
  Effect.gen(function* () {
    const { body } = yield* decodePayload(AsyncMenuPush)(payload)
    if (body.menus.length === 0) return yield* PayloadRejected.one("body.menus", "an empty menu push names no menus")
    return {
      menus: body.menus.map((menu, index) => ({ menu, path: `body.menus[${index}]` })),
      stores: body.stores ?? [],
      callback: body.callback === undefined || body.callback === null ? null : body.callback
    }
  })

/** Tells the two forms of Deliverect's menu push apart, then decodes the one it is. */
export const decodeMenuPush = (payload: unknown): Effect.Effect<MenuPush, PayloadRejected> =>
  Array.isArray(payload)
    ? decodeSync(payload)
    : Predicate.isObject(payload) && Predicate.hasProperty(payload, "body")
      ? decodeAsync(payload)
      : Effect.fail(notAMenuPush)
