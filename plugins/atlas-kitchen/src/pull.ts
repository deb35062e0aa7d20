import {
  type CallOutlet,
  type CatalogSnapshot,
  decodePayload,
  MissingCredentials,
  type ModifierGroupSnapshot,
  type ModifierOptionSnapshot,
  type OutletSnapshot,
  type PayloadIssue,
  PayloadRejected,
  type PosCallContext,
  type ProductSnapshot,
  type PullFailure,
  PosUnavailable
} from "@pos-integration/sdk"
import { Clock, Effect } from "effect"
import { below, getJson } from "./atlas-api.ts"
import { decodeCatalog } from "./catalog.ts"
import { type AccountCredentials, type OutletCredentials, secretsOf } from "./credentials.ts"
import { ById, mapWith, text } from "./mapping.ts"
import { adminHeaders, merchantCredentials } from "./merchant.ts"
import { decodeChannel } from "./outlets.ts"
import { atlasOffsetMs } from "./time.ts"
import { Menu, MenuList, type MenuListItem } from "./vendor-menu.ts"

type Context = PosCallContext<OutletCredentials, AccountCredentials>

/** Menus fetched at once for one catalog. */
const menuConcurrency = 4

/** Today's date in Atlas's time zone, `YYYY-MM-DD`. */
const atlasToday: Effect.Effect<string> = Effect.map(Clock.currentTimeMillis, (now) =>
  new Date(now + atlasOffsetMs).toISOString().slice(0, 10)
)

/** The issues of one fetched document, each path prefixed with the document it is in. */
const within = (prefix: string, issues: ReadonlyArray<PayloadIssue>): PayloadRejected =>
  new PayloadRejected({
    issues: issues.map((issue) => ({
      path: issue.path === "(root)" ? prefix : `${prefix}.${issue.path}`,
      message: issue.message
    }))
  })

/**
 * The merchant's outlets: the Storefront API's `GET /channel` for the merchant's channel (the Admin
 * API documents no outlet list), decoded exactly as a pushed channel answer, each outlet with the
 * merchant as its account. The storefront is called with the channel id only: the Admin API key is
 * never sent there.
 */
export const fetchOutlets = (context: Context): Effect.Effect<ReadonlyArray<OutletSnapshot>, PullFailure> =>
  Effect.gen(function* () {
    const purpose = "fetching the merchant's outlets from Atlas"
    const account = yield* merchantCredentials(context, purpose)
    const channelId = account.channelId
    if (channelId === undefined) {
      return yield* new MissingCredentials({
        level: "account",
        reason: `${purpose} needs the merchant's channelId (the storefront channel whose outlets GET /channel lists)`
      })
    }
    const channel = yield* getJson({
      http: context.http,
      url: below(account.storefrontBaseUrl, "/channel"),
      name: "GET /channel",
      headers: { "X-Channel-Id": channelId },
      secrets: secretsOf(context.credentials.outlet, account)
    })
    return yield* decodeChannel(channel, account.merchantId).pipe(
      Effect.mapError((rejected) => within("channel", rejected.issues))
    )
  })

/**
 * Whether a menu of the list is for sale today: published (a draft is not for sale yet) and within
 * its `start_date`..`end_date`, both inclusive, in Atlas's time zone. A missing bound is open.
 */
export const isCurrent = (menu: MenuListItem, today: string): boolean =>
  menu.state === "published" &&
  (menu.start_date === undefined || menu.start_date === null || menu.start_date <= today) &&
  (menu.end_date === undefined || menu.end_date === null || today <= menu.end_date)

/** The currency a menu's products are priced in (the first one named), if any: decodeCatalog checked they agree. */
const currencyOf = (json: unknown): Effect.Effect<string | null, PayloadRejected> =>
  Effect.map(decodePayload(Menu)(json), (menu) => {
    for (const section of menu.sections) {
      const products = [...(section.products ?? []), ...(section.sub_sections ?? []).flatMap((s) => s.products ?? [])]
      for (const product of products) {
        const code = text(product.currency)?.toUpperCase()
        if (code !== undefined && code !== null) return code
      }
    }
    return null
  })

interface MenuPart {
  readonly menuId: number
  readonly currency: string | null
  readonly snapshot: CatalogSnapshot
}

/**
 * Several menus' snapshots as one: objects by id once each (a product on two menus is one
 * product), menus side by side. The same id describing two different objects (a product priced
 * differently on two menus) is refused naming both menus: one outlet has one price per product.
 * Prices are minor units of one currency: menus priced in two are refused.
 */
const merge = (parts: ReadonlyArray<MenuPart>): Effect.Effect<CatalogSnapshot, PayloadRejected> =>
  mapWith((problems) => {
    const priced = parts.find((part) => part.currency !== null)
    for (const part of parts) {
      if (priced !== undefined && part.currency !== null && part.currency !== priced.currency) {
        problems.add(
          `menus[${part.menuId}]`,
          `priced in ${part.currency}, not in ${priced.currency} like menus[${priced.menuId}]`
        )
      }
    }
    const products = new ById<ProductSnapshot>("product", problems)
    const groups = new ById<ModifierGroupSnapshot>("modifier group", problems)
    const options = new ById<ModifierOptionSnapshot>("modifier", problems)
    for (const { menuId, snapshot } of parts) {
      const at = `menus[${menuId}]`
      for (const p of snapshot.products) products.add(p.externalId, p, `${at}.products.${p.externalId}`)
      for (const g of snapshot.modifierGroups) groups.add(g.externalId, g, `${at}.modifierGroups.${g.externalId}`)
      for (const o of snapshot.modifierOptions) options.add(o.externalId, o, `${at}.modifierOptions.${o.externalId}`)
    }
    return {
      outletIds: [],
      products: products.values(),
      modifierGroups: groups.values(),
      modifierOptions: options.values(),
      menus: parts.flatMap(({ snapshot }) => snapshot.menus),
      callback: null
    }
  })

/**
 * One outlet's catalog: the merchant's menus for sale today, from the Admin API's `GET /menus` and
 * `GET /menus/{menu_id}`. The Admin API does not say which outlets serve a menu, so every current
 * menu of the merchant is the outlet's. Each menu is decoded exactly as a pushed menu of the same
 * JSON (issues prefixed `menus[<id>]`), and the menus become one snapshot with one V1 menu each.
 */
export const fetchCatalog = (outlet: CallOutlet, context: Context): Effect.Effect<CatalogSnapshot, PullFailure> =>
  Effect.gen(function* () {
    const account = yield* merchantCredentials(context, "fetching the outlet's menus from Atlas")
    const secrets = secretsOf(context.credentials.outlet, account)
    const get = (path: string, name: string) =>
      getJson({
        http: context.http,
        url: below(account.adminBaseUrl, path),
        name,
        headers: adminHeaders(account),
        secrets
      })
    const list = yield* Effect.flatMap(get("/menus", "GET /menus"), (json) =>
      decodePayload(MenuList)(json).pipe(Effect.mapError((rejected) => within("menuList", rejected.issues)))
    )
    const today = yield* atlasToday
    // A menu listed twice is fetched once.
    const current = list.items.filter(
      (menu, i) => isCurrent(menu, today) && list.items.findIndex((other) => other.id === menu.id) === i
    )
    const parts = yield* Effect.forEach(
      current,
      (menu) =>
        Effect.gen(function* () {
          const json = yield* get(`/menus/${encodeURIComponent(String(menu.id))}`, `GET /menus/${menu.id}`)
          const snapshot = yield* decodeCatalog(json, { externalOutletId: outlet.externalId, currency: null }).pipe(
            Effect.mapError((rejected) => within(`menus[${menu.id}]`, rejected.issues))
          )
          if (snapshot.menus.some((m) => m.externalId !== String(menu.id))) {
            return yield* new PosUnavailable({ reason: `Atlas GET /menus/${menu.id}: answered with another menu` })
          }
          const currency = yield* currencyOf(json).pipe(
            Effect.mapError((rejected) => within(`menus[${menu.id}]`, rejected.issues))
          )
          return { menuId: menu.id, currency, snapshot } satisfies MenuPart
        }),
      { concurrency: menuConcurrency }
    )
    return yield* merge(parts)
  })
