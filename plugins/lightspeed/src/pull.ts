import {
  type CallOutlet,
  type CatalogSnapshot,
  decodePayload,
  type OutletSnapshot,
  PayloadRejected,
  type PosCallContext,
  type PosPull,
  PosRejected,
  PosUnavailable,
  type PullFailure
} from "@pos-integration/sdk"
import { Effect } from "effect"
import { type ApiOptions, type LightspeedApi, openApi } from "./api.ts"
import { decodeMenus } from "./catalog.ts"
import type { AccountCredentials, OutletCredentials } from "./credentials.ts"
import { MenuList } from "./menu-schema.ts"
import { type Businesses, decodeBusinesses } from "./outlets.ts"
import { idText } from "./vendor-id.ts"

type Context = PosCallContext<OutletCredentials, AccountCredentials>

/** One slow answer should not hold a sync worker: 15 seconds per HTTP exchange. */
export const defaultApiOptions: ApiOptions = { timeout: "15 seconds" }

/** A pull never dies: a defect (a bug meeting an answer no test thought of) is an unavailable POS, retried later. */
const guarded = <A>(effect: Effect.Effect<A, PullFailure>): Effect.Effect<A, PullFailure> =>
  Effect.suspend(() => effect).pipe(
    Effect.catchDefect(() => Effect.fail(new PosUnavailable({ reason: "the Lightspeed pull failed unexpectedly" })))
  )

/**
 * `GET /f/data/businesses`: every business the token reaches, decoded exactly as a pushed businesses
 * answer. When the context names a business (the account), it must be among them.
 */
const businessesOf = (api: LightspeedApi, context: Context): Effect.Effect<Businesses, PullFailure> =>
  Effect.gen(function* () {
    const businesses = yield* decodeBusinesses(yield* api.getJson("/f/data/businesses", {}))
    if (context.accountId !== null && !businesses.businessIds.includes(context.accountId)) {
      return yield* new PosRejected({
        reason: `business ${context.accountId} is not among the businesses these credentials reach`,
        status: null
      })
    }
    return businesses
  })

/** The locations of the context's business (or of every business the token reaches, when it names none). */
const fetchOutlets = (
  context: Context,
  options: ApiOptions
): Effect.Effect<ReadonlyArray<OutletSnapshot>, PullFailure> =>
  guarded(
    Effect.gen(function* () {
      const api = yield* openApi(context, options)
      const { outlets } = yield* businessesOf(api, context)
      return context.accountId === null ? outlets : outlets.filter((outlet) => outlet.accountId === context.accountId)
    })
  )

/** Menu ids in the order listed, each once; a problem names its path in the menu list answer. */
const menuIdsOf = (list: unknown): Effect.Effect<ReadonlyArray<string>, PayloadRejected> =>
  decodePayload(MenuList)(list).pipe(
    Effect.mapError(
      (error) =>
        new PayloadRejected({
          issues: error.issues.map((issue) => ({
            ...issue,
            path: issue.path === "(root)" ? "menuList" : `menuList${issue.path.startsWith("[") ? "" : "."}${issue.path}`
          }))
        })
    ),
    Effect.map((menus) => [...new Set(menus.map((menu) => idText(menu.ikentooMenuId)))])
  )

/**
 * One location's catalog: its business's currency (from the businesses answer, as the outlet sync
 * records it), its menus (`GET /o/op/1/menu/list`), each loaded with its rich content (`GET
 * /o/op/1/menu/load/{menuId}`), decoded together as pushed menu loads are, each menu a menu of the
 * snapshot. Problems in a menu are reported at `menus.<menuId>.<path>`.
 */
const fetchCatalog = (
  outlet: CallOutlet,
  context: Context,
  options: ApiOptions
): Effect.Effect<CatalogSnapshot, PullFailure> =>
  guarded(
    Effect.gen(function* () {
      const api = yield* openApi(context, options)
      const { outlets } = yield* businessesOf(api, context)
      const location = outlets.find(
        (candidate) =>
          candidate.externalId === outlet.externalId &&
          (context.accountId === null || candidate.accountId === context.accountId)
      )
      if (location === undefined) {
        return yield* new PosRejected({
          reason: `business location ${outlet.externalId} is not among the locations these credentials reach`,
          status: null
        })
      }
      const query = { businessLocationId: location.externalId }
      const menuIds = yield* menuIdsOf(yield* api.getJson("/o/op/1/menu/list", query))
      const menus: Array<{ readonly payload: unknown; readonly root: string }> = []
      for (const menuId of menuIds) {
        const payload = yield* api.getJson(`/o/op/1/menu/load/${menuId}`, { ...query, richContent: "true" })
        menus.push({ payload, root: `menus.${menuId}` })
      }
      return yield* decodeMenus(menus, { externalOutletId: location.externalId, currency: location.currency })
    })
  )

/** The pull capability, with the HTTP timeout given (tests shorten it). */
export const makePull = (options: ApiOptions = defaultApiOptions): PosPull<OutletCredentials, AccountCredentials> => ({
  fetchOutlets: (context) => fetchOutlets(context, options),
  fetchCatalog: (outlet, context) => fetchCatalog(outlet, context, options)
})
