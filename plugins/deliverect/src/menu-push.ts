import { decodePayload, PayloadRejected } from "@pos-integration/sdk"
import { Effect, Predicate } from "effect"
import type { MenuPush } from "./catalog.ts"
import { menuMapsValid } from "./menu-maps.ts"
import { AsyncMenuPush, AsyncMenuPushShell, type Menu, SyncMenuPush, SyncMenuPushShell } from "./menu-schema.ts"
import { Problems } from "./problems.ts"

const notAMenuPush = PayloadRejected.one(
  "(root)",
  'not a Deliverect menu push: expected a JSON array of menus or {"body": {"menus": [...], "stores": [...], "callback": "..."}}'
)

/**
 * The menus decoded as the full schema would: the shells by Schema and the maps of items by the
 * plain checks of menu-maps.ts, taken from the raw menus as they are. When a map holds anything the
 * checks do not accept, undefined: the caller decodes with the full schema, for its errors.
 */
const withMaps = (
  shells: ReadonlyArray<Omit<Menu, "products" | "modifierGroups" | "modifiers" | "bundles" | "snoozedProducts">>,
  raw: ReadonlyArray<unknown>
): ReadonlyArray<Menu> | undefined => {
  if (!raw.every(menuMapsValid)) return undefined
  return shells.map((shell, index) => {
    const { products, modifierGroups, modifiers, bundles, snoozedProducts } = raw[index] as Menu
    return {
      ...shell,
      ...(products === undefined ? {} : { products }),
      ...(modifierGroups === undefined ? {} : { modifierGroups }),
      ...(modifiers === undefined ? {} : { modifiers }),
      ...(bundles === undefined ? {} : { bundles }),
      ...(snoozedProducts === undefined ? {} : { snoozedProducts })
    }
  })
}

const decodeSyncMenus = (payload: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<Menu>, PayloadRejected> =>
  Effect.flatMap(decodePayload(SyncMenuPushShell)(payload).pipe(Effect.option), (shells) => {
    const menus = shells._tag === "Some" ? withMaps(shells.value, payload) : undefined
    return menus === undefined ? decodePayload(SyncMenuPush)(payload) : Effect.succeed(menus)
  })

const decodeSync = (payload: ReadonlyArray<unknown>): Effect.Effect<MenuPush, PayloadRejected> =>
  Effect.gen(function* () {
    if (payload.length === 0) return yield* PayloadRejected.one("(root)", "an empty menu push names no menus")
    const menus = yield* decodeSyncMenus(payload)
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

const decodeAsyncBody = (payload: unknown): Effect.Effect<(typeof AsyncMenuPush.Type)["body"], PayloadRejected> =>
  Effect.flatMap(decodePayload(AsyncMenuPushShell)(payload).pipe(Effect.option), (shell) => {
    if (shell._tag === "Some") {
      const raw = (payload as { readonly body: { readonly menus: ReadonlyArray<unknown> } }).body.menus
      const menus = withMaps(shell.value.body.menus, raw)
      if (menus !== undefined) return Effect.succeed({ ...shell.value.body, menus })
    }
    return Effect.map(decodePayload(AsyncMenuPush)(payload), ({ body }) => body)
  })

const decodeAsync = (payload: unknown): Effect.Effect<MenuPush, PayloadRejected> =>
  Effect.gen(function* () {
    const body = yield* decodeAsyncBody(payload)
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
