import { Clock, Duration, Effect, Schedule } from "effect"
import type { HttpClient } from "effect/http"
import type { CatalogSnapshot } from "../../domain/catalog.ts"
import { InvalidInput, InvalidPayload, NotFound, TooManyDeactivations } from "../../domain/errors.ts"
import { Catalog, Outlets, type StoreRow, type SyncCounts, SyncHistory } from "../ports/catalog.ts"
import { catalogIssues } from "../pos-sdk/invariants.ts"
import type { PosPlugin } from "../pos-sdk/plugin.ts"
import { catalogIds, planCatalogSync } from "./plan-catalog-sync.ts"
import { newSyncId } from "./sync-ids.ts"

export interface CatalogSyncOptions {
  readonly dryRun: boolean
  readonly force: boolean
  /** How long a sync waits for another sync of the same outlet before a 409. */
  readonly lockWaitMs: number
  /** Share of an outlet's active products a sync may deactivate without `force`. */
  readonly maxDeactivationPercent: number
}

export interface OutletCatalogResult {
  readonly syncId: string | null
  readonly outletId: string
  readonly externalOutletId: string
  readonly dryRun: boolean
  readonly counts: {
    readonly products: SyncCounts
    readonly modifierGroups: SyncCounts
    readonly modifierOptions: SyncCounts
    readonly menus: SyncCounts
  }
}

/**
 * A catalog push: the plugin decodes the POS's payload into a snapshot, and each outlet it names
 * gets that snapshot in its own transaction, serialised per outlet. Failures are recorded in the
 * sync history; a dry run answers the same summary and writes nothing.
 */
export const syncCatalog = Effect.fnUntraced(function* (input: {
  readonly plugin: PosPlugin<unknown>
  readonly payload: unknown
  /** `?externalOutletId=`: the outlet, for formats that name none. */
  readonly externalOutletId: string | null
  readonly options: CatalogSyncOptions
}) {
  const { plugin, options } = input
  const provider = plugin.manifest.id
  const outlets = yield* Outlets
  const known =
    input.externalOutletId === null
      ? undefined
      : (yield* outlets.findByExternalIds(provider, [input.externalOutletId]))[0]
  const snapshot = yield* plugin
    .decodeCatalog(input.payload, { externalOutletId: input.externalOutletId, currency: known?.currency ?? null })
    .pipe(Effect.mapError((e) => new InvalidPayload({ provider, issues: e.issues })))
  const issues = catalogIssues(snapshot)
  if (issues.length > 0) return yield* new InvalidPayload({ provider, issues })

  const named =
    snapshot.outletIds.length > 0 ? snapshot.outletIds : input.externalOutletId === null ? [] : [input.externalOutletId]
  if (named.length === 0) {
    return yield* new InvalidInput({
      details: `this ${provider} payload names no outlet: give ?externalOutletId= (the POS's id of an outlet synced before)`
    })
  }
  const stores = yield* outlets.findByExternalIds(provider, [...new Set(named)])
  const byExternal = new Map(stores.map((s) => [s.externalId, s]))
  const missing = named.find((id) => !byExternal.has(id))
  if (missing !== undefined) return yield* new NotFound({ resource: "outlet", id: `${provider}:${missing}` })

  const results: Array<OutletCatalogResult> = []
  for (const store of [...new Set(named)].map((id) => byExternal.get(id)!)) {
    results.push(yield* syncOneOutlet(provider, store, snapshot, options))
  }
  return { results, snapshot }
})

const syncOneOutlet = (provider: string, store: StoreRow, snapshot: CatalogSnapshot, options: CatalogSyncOptions) =>
  Effect.gen(function* () {
    const catalog = yield* Catalog
    const history = yield* SyncHistory
    const startedAt = new Date(yield* Clock.currentTimeMillis)
    const ids = catalogIds(provider, snapshot)
    const attempt = catalog.withStoreLock(
      store.id,
      options.lockWaitMs
    )(
      Effect.gen(function* () {
        const state = yield* catalog.loadState(store.id, {
          items: ids.products,
          groups: ids.groups,
          options: ids.options
        })
        const plan = planCatalogSync({ provider, storeId: store.id, snapshot, state, now: startedAt, ids })
        const limit = options.maxDeactivationPercent
        if (!options.force && plan.deactivating > 0 && plan.deactivating * 100 > plan.activeBefore * limit) {
          return yield* new TooManyDeactivations({
            active: plan.activeBefore,
            deactivating: plan.deactivating,
            limitPercent: limit
          })
        }
        if (options.dryRun) return { plan, syncId: null }
        yield* catalog.apply(plan.changes)
        const syncId = yield* newSyncId
        yield* history.record({
          id: syncId,
          kind: "products",
          provider,
          storeId: store.id,
          status: "succeeded",
          counts: plan.counts,
          error: null,
          startedAt,
          finishedAt: new Date(yield* Clock.currentTimeMillis)
        })
        return { plan, syncId }
      })
    )
    const { plan, syncId } = yield* attempt.pipe(
      Effect.tapError((error) =>
        options.dryRun || error._tag === "StorageError"
          ? Effect.void
          : Effect.flatMap(newSyncId, (id) =>
              Effect.flatMap(Clock.currentTimeMillis, (finished) =>
                history.record({
                  id,
                  kind: "products",
                  provider,
                  storeId: store.id,
                  status: "failed",
                  counts: {},
                  error: error._tag,
                  startedAt,
                  finishedAt: new Date(finished)
                })
              )
            ).pipe(Effect.ignore)
      )
    )
    return {
      syncId,
      outletId: store.id,
      externalOutletId: store.externalId,
      dryRun: options.dryRun,
      counts: plan.counts
    } satisfies OutletCatalogResult
  })

/**
 * Tells the POS how the sync ended when it asked to be told (Deliverect's callback), after the
 * commit, retried with capped exponential backoff. Runs detached: the HTTP answer does not wait.
 */
export const acknowledgeSync = (
  plugin: PosPlugin<unknown>,
  callback: { readonly url: string },
  outcome: { readonly status: "ONLINE" | "FAILED"; readonly comment: string },
  http: HttpClient.HttpClient
) =>
  plugin.acknowledgeCatalog(callback, outcome, http).pipe(
    Effect.retry({
      while: (e) => e._tag === "PosUnavailable",
      // Six retries, 0.5 s doubling to 16 s: about half a minute in all.
      schedule: Schedule.max([Schedule.exponential(Duration.millis(500)), Schedule.recurs(6)])
    }),
    Effect.catch((e) =>
      Effect.logWarning("sync callback not delivered", { provider: plugin.manifest.id, reason: e._tag })
    )
  )
