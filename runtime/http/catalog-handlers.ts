import { createHash } from "node:crypto"
import { type PluginManifest, SDK_VERSION } from "@pos-integration/sdk"
import { Clock, Effect, Option } from "effect"
import { HttpClient, HttpServerRequest } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { getProduct, listProducts, parseLimit } from "../../application/catalog/read-catalog.ts"
import { acknowledgeSync, syncCatalog } from "../../application/catalog/sync-catalog.ts"
import { syncOutlets } from "../../application/catalog/sync-outlets.ts"
import { Outlets, type StoreRow, SyncHistory, type SyncRecord } from "../../application/ports/catalog.ts"
import { InvalidInput, NotFound, UnknownProvider } from "../../domain/errors.ts"
import { rfc3339Instant } from "../../domain/rfc3339.ts"
import packageJson from "../../package.json" with { type: "json" }
import { AppConfig } from "../config.ts"
import { makePosCallContext } from "../plugins/call-context.ts"
import { PluginRegistry } from "../plugins/plugin-registry.ts"
import { Api } from "./api.ts"
import { conditionalJsonResponse, encodeSuccess } from "./conditional-response.ts"
import { CurrentTenant } from "./context.ts"
import { pageCursor } from "./cursor.ts"
import { effectiveMenuAnswer } from "./effective-menu-answer.ts"
import { httpErrors } from "./error-mapping.ts"
import { productListAnswer } from "./product-list-answer.ts"

/** The service's own version: a new release may store the same payload differently. */
const serviceVersion = packageJson.version

/** RFC 3339 with `Z` or an offset, as SPEC section 5 requires; anything else is a 400 naming the field. */
export const parseInstant = (field: string, raw: string | undefined): Effect.Effect<Date | null, InvalidInput> => {
  if (raw === undefined) return Effect.succeed(null)
  const date = rfc3339Instant(raw)
  return date !== undefined
    ? Effect.succeed(date)
    : Effect.fail(
        new InvalidInput({ details: `query.${field}: expected an RFC 3339 date-time, got ${JSON.stringify(raw)}` })
      )
}

/**
 * A callback URL arrives inside the POS payload: it is called only over http(s) and only on hosts
 * the operator allows, so a payload cannot aim the service at internal addresses.
 */
export const callbackAllowed = (raw: string, hosts: ReadonlyArray<string>): boolean => {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return false
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return false
  const host = url.hostname.toLowerCase()
  return hosts.some((allowed) =>
    allowed.startsWith("*.") ? host.endsWith(allowed.slice(1)) && host.length > allowed.length - 1 : host === allowed
  )
}

/** Where a plugin's callbacks may go: its vendor's hosts (its manifest), and the operator's additions. */
export const callbackHosts = (
  manifest: PluginManifest,
  operatorHosts: ReadonlyArray<string>
): ReadonlyArray<string> => [...(manifest.callbackHosts ?? []), ...operatorHosts]

/**
 * What identifies a catalog push exactly: the plugin and its version (a new version may map the
 * same payload differently), the SDK and service versions, the outlet the request names, and the
 * payload itself.
 */
export const pushFingerprint = (
  manifest: PluginManifest,
  externalOutletId: string | null,
  body: Uint8Array | string
): string =>
  createHash("sha256")
    .update(`${manifest.id}@${manifest.version}|sdk${SDK_VERSION}|${serviceVersion}|${externalOutletId ?? ""}|`)
    .update(body)
    .digest("hex")

/**
 * The body's bytes as received: the request caches them when the payload is decoded, so hashing
 * them costs no second read (a large push is tens of MB). Re-serialising the payload is the fallback.
 */
const bodyBytes = (payload: unknown) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => request.arrayBuffer).pipe(
    Effect.map((buffer): Uint8Array | string => new Uint8Array(buffer)),
    Effect.orElseSucceed(() => JSON.stringify(payload) ?? "null")
  )

const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

const outletView = (s: StoreRow) => ({
  outletId: s.id,
  provider: s.provider,
  externalId: s.externalId,
  name: s.name,
  active: s.active,
  currency: s.currency,
  timezone: s.timezone,
  country: s.country,
  address: s.address,
  postalCode: s.postalCode,
  phone: s.phone,
  taxInclusive: s.taxInclusive,
  serviceHours: s.serviceHours,
  busyMode: s.busyMode,
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString()
})

/** A sync as `GET /syncs` answers it (the admin API shows a tenant's syncs the same way). */
export const syncView = (s: SyncRecord) => ({
  syncId: s.id,
  kind: s.kind,
  provider: s.provider,
  source: s.source,
  outletId: s.storeId,
  status: s.status,
  counts: s.counts,
  error: s.error,
  startedAt: s.startedAt.toISOString(),
  finishedAt: s.finishedAt.toISOString()
})

export const ProvidersHandlers = HttpApiBuilder.group(Api, "providers", (handlers) =>
  handlers.handle("list", () =>
    Effect.gen(function* () {
      const registry = yield* PluginRegistry
      return { data: registry.all.map(({ manifest }) => ({ ...manifest, capabilities: [...manifest.capabilities] })) }
    })
  )
)

export const SyncHandlers = HttpApiBuilder.group(
  Api,
  "sync",
  Effect.fn(function* (handlers) {
    const registry = yield* PluginRegistry
    const config = yield* AppConfig
    const http = yield* HttpClient.HttpClient
    const pluginFor = (provider: string | undefined) => {
      const loaded = provider === undefined ? undefined : registry.get(provider.trim().toLowerCase())
      return loaded === undefined
        ? Effect.fail(
            new UnknownProvider({ provider: provider ?? null, loaded: registry.all.map((p) => p.manifest.id) })
          )
        : Effect.succeed(loaded)
    }
    return handlers
      .handle("outlets", ({ headers, payload }) =>
        httpErrors(
          Effect.gen(function* () {
            const { plugin } = yield* pluginFor(headers["x-provider"])
            const tenant = yield* CurrentTenant
            return yield* syncOutlets({ plugin, tenant, payload })
          })
        )
      )
      .handle("products", ({ headers, query, payload }) =>
        httpErrors(
          Effect.gen(function* () {
            const loaded = yield* pluginFor(headers["x-provider"])
            const plugin = loaded.plugin
            const dryRun = query.dryRun === "true"
            const externalOutletId = query.externalOutletId ?? null
            const { results, callback } = yield* syncCatalog({
              plugin,
              payload,
              externalOutletId,
              fingerprint: pushFingerprint(plugin.manifest, externalOutletId, yield* bodyBytes(payload)),
              options: {
                dryRun,
                force: query.force === "true",
                lockWaitMs: config.syncLockWaitMs,
                maxDeactivationPercent: 30
              }
            })
            if (callback !== null && !dryRun) {
              if (callbackAllowed(callback.url, callbackHosts(plugin.manifest, config.syncCallbackHosts))) {
                // The callback is about the push's first outlet: its credentials (and its account's) go with it.
                const store = results[0] === undefined ? undefined : yield* (yield* Outlets).get(results[0].outletId)
                const context = yield* store === undefined
                  ? Effect.succeed(undefined)
                  : makePosCallContext(loaded, { store }, http).pipe(
                      Effect.tapError((error) =>
                        Effect.logWarning("sync callback not delivered: the outlet's credentials", {
                          provider: plugin.manifest.id,
                          reason: error.message
                        })
                      ),
                      Effect.option,
                      Effect.map(Option.getOrUndefined)
                    )
                if (context !== undefined) {
                  yield* Effect.forkDetach(
                    acknowledgeSync(plugin, callback, { status: "ONLINE", comment: "menu synced" }, context)
                  )
                }
              } else {
                yield* Effect.logWarning(
                  "sync callback refused: host neither the plugin's nor in SYNC_CALLBACK_HOSTS",
                  {
                    provider: plugin.manifest.id
                  }
                )
              }
            }
            return { data: results }
          })
        )
      )
      .handle("list", ({ query }) =>
        httpErrors(
          Effect.gen(function* () {
            const limit = yield* parseLimit(query.limit)
            const cursor = pageCursor("syncs", [query.outletId ?? null])
            const rows = yield* (yield* SyncHistory).list({
              storeId: query.outletId ?? null,
              cursor: yield* cursor.decode(query.cursor),
              limit: limit + 1
            })
            const page = rows.slice(0, limit)
            return {
              data: page.map(syncView),
              nextCursor: cursor.encode(rows.length > limit ? (page.at(-1)?.id ?? null) : null)
            }
          })
        )
      )
      .handle("get", ({ params }) =>
        httpErrors(
          Effect.gen(function* () {
            const sync = yield* (yield* SyncHistory).get(params.syncId)
            if (sync === undefined) return yield* new NotFound({ resource: "sync", id: params.syncId })
            return syncView(sync)
          })
        )
      )
  })
)

export const CatalogHandlers = HttpApiBuilder.group(Api, "catalog", (handlers) =>
  handlers
    .handle("listOutlets", ({ query }) =>
      httpErrors(
        Effect.gen(function* () {
          const limit = yield* parseLimit(query.limit)
          const includeInactive = query.includeInactive === "true"
          const cursor = pageCursor("outlets", [includeInactive])
          const rows = yield* (yield* Outlets).list({
            cursor: yield* cursor.decode(query.cursor),
            limit: limit + 1,
            includeInactive
          })
          const page = rows.slice(0, limit)
          return {
            data: page.map(outletView),
            nextCursor: cursor.encode(rows.length > limit ? (page.at(-1)?.id ?? null) : null)
          }
        })
      )
    )
    .handle("getOutlet", ({ params }) =>
      httpErrors(
        Effect.gen(function* () {
          const store = yield* (yield* Outlets).get(params.outletId)
          if (store === undefined) return yield* new NotFound({ resource: "outlet", id: params.outletId })
          return outletView(store)
        })
      )
    )
    .handle("outletMenu", ({ params, query, request, endpoint }) =>
      httpErrors(
        Effect.gen(function* () {
          const at = (yield* parseInstant("at", query.at)) ?? (yield* now)
          // Answered through `conditional-response.ts` as the other conditional reads, from a rendered
          // answer kept while its key (read from the database on every request) is unchanged.
          return yield* effectiveMenuAnswer(request, endpoint, (yield* CurrentTenant).id, params.outletId, at)
        })
      )
    )
    .handle("listProducts", ({ query, request, endpoint }) =>
      httpErrors(
        Effect.gen(function* () {
          const tenant = yield* CurrentTenant
          const limit = yield* parseLimit(query.limit)
          const updatedSince = yield* parseInstant("updatedSince", query.updatedSince)
          const includeInactive = query.includeInactive === "true"
          const cursor = pageCursor("products", [
            query.outletId ?? null,
            updatedSince?.toISOString() ?? null,
            includeInactive
          ])
          const at = yield* now
          const render = Effect.map(
            listProducts(
              tenant,
              {
                outletId: query.outletId ?? null,
                updatedSince,
                includeInactive,
                cursor: yield* cursor.decode(query.cursor),
                limit
              },
              at
            ),
            (page) => ({
              page: { data: page.data, nextCursor: cursor.encode(page.nextCursor) },
              changesAt: page.changesAt
            })
          )
          // An outlet's pages are kept between writes (product-list-answer.ts); every outlet's are rendered.
          if (query.outletId === undefined) {
            const { page } = yield* render
            return yield* conditionalJsonResponse(request, yield* encodeSuccess(endpoint, page))
          }
          return yield* productListAnswer({
            request,
            endpoint,
            tenantId: tenant.id,
            outletId: query.outletId,
            query: [limit, updatedSince?.toISOString() ?? null, includeInactive, query.cursor ?? null],
            at,
            render
          })
        })
      )
    )
    .handle("getProduct", ({ params, query }) =>
      httpErrors(
        Effect.gen(function* () {
          const tenant = yield* CurrentTenant
          return yield* getProduct(tenant, params.productId, query.outletId ?? null, yield* now)
        })
      )
    )
)
