import { Clock, Duration, Effect, Schedule } from "effect"
import type { CatalogSnapshot } from "../../domain/catalog.ts"
import { InvalidInput, InvalidPayload, NotFound, TooManyDeactivations } from "../../domain/errors.ts"
import {
  Catalog,
  Outlets,
  type StoreRow,
  type SyncCounts,
  SyncHistory,
  type SyncRecord,
  type SyncSource
} from "../ports/catalog.ts"
import { catalogIssues } from "../pos-sdk/invariants.ts"
import type { PosCallContext, PosPlugin } from "../pos-sdk/plugin.ts"
import { type CatalogIds, type CatalogPlan, catalogIds, planCatalogSync } from "./plan-catalog-sync.ts"
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
  readonly counts: CatalogPlan["counts"]
}

/**
 * A catalog push: the plugin decodes the POS's payload into a snapshot, and each outlet it names
 * gets that snapshot in its own transaction, serialised per outlet. Failures are recorded in the
 * sync history; a dry run answers the same summary and writes nothing.
 */
export const syncCatalog = Effect.fnUntraced(function* (input: {
  readonly plugin: PosPlugin
  readonly payload: unknown
  /** `?externalOutletId=`: the outlet, for formats that name none. */
  readonly externalOutletId: string | null
  readonly options: CatalogSyncOptions
  /**
   * What identifies this push exactly (the caller hashes the provider and plugin version, the
   * request's outlet and the payload): a push identical to the last one applied is recognised
   * without decoding it again. Null: always decode and compare.
   */
  readonly fingerprint: string | null
}) {
  const { plugin, options } = input
  const provider = plugin.manifest.id
  if (input.fingerprint !== null && !options.dryRun) {
    const replay = yield* replayIdenticalSync(provider, input.fingerprint, "push")
    if (replay !== undefined) return replay
  }
  const outlets = yield* Outlets
  const known =
    input.externalOutletId === null
      ? undefined
      : (yield* outlets.findByExternalIds(provider, [input.externalOutletId]))[0]
  const snapshot = yield* plugin
    .decodeCatalog(input.payload, { externalOutletId: input.externalOutletId, currency: known?.currency ?? null })
    .pipe(Effect.mapError((e) => new InvalidPayload({ provider, issues: e.issues })))
  return yield* applyCatalogSnapshot({
    provider,
    snapshot,
    externalOutletId: input.externalOutletId,
    options,
    fingerprint: input.fingerprint,
    source: "push"
  })
})

/**
 * A pulled catalog: the snapshot the plugin fetched for one outlet goes through exactly the sync a
 * push of it would (invariants, the deactivation guard, the outlet's lock, the history). An
 * identical pull (same fingerprint: the caller hashes the provider and plugin version, the outlet
 * and the snapshot's canonical JSON) is recognised like an identical push and writes no catalog row.
 * A pull answers no callback.
 */
export const syncPulledCatalog = Effect.fnUntraced(function* (input: {
  readonly provider: string
  readonly externalOutletId: string
  readonly snapshot: CatalogSnapshot
  readonly options: CatalogSyncOptions
  readonly fingerprint: string
}) {
  const { provider, snapshot } = input
  const foreign = snapshot.outletIds.filter((id) => id !== input.externalOutletId)
  if (foreign.length > 0) {
    return yield* new InvalidPayload({
      provider,
      issues: [
        {
          path: "outletIds",
          message: `the catalog pulled for outlet '${input.externalOutletId}' names other outlets (${foreign.join(", ")})`
        }
      ]
    })
  }
  if (!input.options.dryRun) {
    const replay = yield* replayIdenticalSync(provider, input.fingerprint, "pull")
    if (replay !== undefined) return replay
  }
  return yield* applyCatalogSnapshot({
    provider,
    snapshot: { ...snapshot, outletIds: [input.externalOutletId], callback: null },
    externalOutletId: input.externalOutletId,
    options: input.options,
    fingerprint: input.fingerprint,
    source: "pull"
  })
})

/**
 * The one sync of a decoded or pulled snapshot: its invariants, then each outlet it names (else the
 * one the caller names) in its own transaction, serialised per outlet.
 */
const applyCatalogSnapshot = Effect.fnUntraced(function* (input: {
  readonly provider: string
  readonly snapshot: CatalogSnapshot
  readonly externalOutletId: string | null
  readonly options: CatalogSyncOptions
  readonly fingerprint: string | null
  readonly source: SyncSource
}) {
  const { provider, snapshot, options } = input
  const issues = catalogIssues(snapshot)
  if (issues.length > 0) return yield* new InvalidPayload({ provider, issues })

  const named =
    snapshot.outletIds.length > 0 ? snapshot.outletIds : input.externalOutletId === null ? [] : [input.externalOutletId]
  if (named.length === 0) {
    return yield* new InvalidInput({
      details: `query.externalOutletId: is required, since this ${provider} payload names no outlet (the POS's id of an outlet synced before)`
    })
  }
  const outlets = yield* Outlets
  const stores = yield* outlets.findByExternalIds(provider, [...new Set(named)])
  const byExternal = new Map(stores.map((s) => [s.externalId, s]))
  const missing = named.find((id) => !byExternal.has(id))
  if (missing !== undefined) return yield* new NotFound({ resource: "outlet", id: `${provider}:${missing}` })

  const targets = [...new Set(named)].map((id) => byExternal.get(id)!)
  const push: PushFacts = {
    source: input.source,
    fingerprint: input.fingerprint,
    callbackUrl: snapshot.callback?.url ?? null,
    pushedOutlets: targets.length
  }
  // Products, groups and options are the tenant's, not an outlet's: their ids are the same for every outlet.
  const ids = catalogIds(provider, snapshot)
  const results: Array<OutletCatalogResult> = []
  for (const store of targets) {
    results.push(yield* syncOneOutlet(provider, store, snapshot, ids, options, push))
  }
  return { results, callback: snapshot.callback }
})

/** What every outlet's sync record of one push (or pull) carries. */
interface PushFacts {
  readonly source: SyncSource
  readonly fingerprint: string | null
  readonly callbackUrl: string | null
  readonly pushedOutlets: number
}

const changed = (counts: SyncRecord["counts"]) =>
  Object.values(counts).some((c) => c.created + c.updated + c.deactivated > 0)

/**
 * An identical push or pull (same fingerprint) leaves nothing to do when, for every outlet that push
 * named, its last applied catalog sync was that push, and no catalog sync in the tenant has changed
 * anything since (products, groups and options are shared between outlets). Then the answer is
 * "everything unchanged" and a sync record; otherwise undefined, and the snapshot is applied normally.
 */
const replayIdenticalSync = Effect.fnUntraced(function* (provider: string, fingerprint: string, source: SyncSource) {
  const history = yield* SyncHistory
  const matches = yield* history.withFingerprint(fingerprint)
  const newest = matches[0]
  if (newest === undefined || newest.provider !== provider || newest.pushedOutlets === null) return undefined
  const perStore = new Map<string, SyncRecord>()
  for (const record of matches) {
    if (record.storeId !== null && !perStore.has(record.storeId)) perStore.set(record.storeId, record)
  }
  if (perStore.size !== newest.pushedOutlets) return undefined
  const candidates = [...perStore.values()]
  const oldest = candidates.reduce((a, b) => (a.id < b.id ? a : b))
  // Every catalog sync since the oldest candidate, tenant-wide, newest first (bounded).
  const since: Array<SyncRecord> = []
  let cursor: string | null = null
  for (let page = 0; page < 10; page++) {
    const rows: ReadonlyArray<SyncRecord> = yield* history.list({ storeId: null, cursor, limit: 100 })
    const newer = rows.filter((r) => r.id > oldest.id)
    since.push(...newer)
    if (newer.length < rows.length || rows.length < 100) break
    cursor = rows.at(-1)!.id
    if (page === 9) return undefined
  }
  for (const record of since) {
    // Failed syncs rolled back; the push's own records (one per outlet, and earlier replays) wrote
    // this very snapshot.
    if (record.kind !== "products" || record.status !== "succeeded" || record.fingerprint === fingerprint) continue
    const candidate = record.storeId === null ? undefined : perStore.get(record.storeId)
    // A later applied sync of one of these outlets, or any sync that changed shared rows.
    if (candidate !== undefined && record.id > candidate.id) return undefined
    if (changed(record.counts)) return undefined
  }
  const outlets = yield* Outlets
  const results: Array<OutletCatalogResult> = []
  for (const candidate of candidates.sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const store = yield* outlets.get(candidate.storeId!)
    if (store === undefined) return undefined
    const unchanged = (kind: string): SyncCounts => {
      const c = candidate.counts[kind]
      return {
        created: 0,
        updated: 0,
        unchanged: c === undefined ? 0 : c.created + c.updated + c.unchanged,
        deactivated: 0
      }
    }
    const counts = {
      products: unchanged("products"),
      modifierGroups: unchanged("modifierGroups"),
      modifierOptions: unchanged("modifierOptions"),
      menus: unchanged("menus")
    }
    const now = new Date(yield* Clock.currentTimeMillis)
    const syncId = yield* newSyncId
    yield* history.record({
      ...candidate,
      id: syncId,
      source,
      counts,
      error: null,
      startedAt: now,
      finishedAt: now
    })
    results.push({ syncId, outletId: store.id, externalOutletId: store.externalId, dryRun: false, counts })
  }
  return { results, callback: newest.callbackUrl === null ? null : { url: newest.callbackUrl } }
})

const syncOneOutlet = (
  provider: string,
  store: StoreRow,
  snapshot: CatalogSnapshot,
  ids: CatalogIds,
  options: CatalogSyncOptions,
  push: PushFacts
) =>
  Effect.gen(function* () {
    const catalog = yield* Catalog
    const history = yield* SyncHistory
    const startedAt = new Date(yield* Clock.currentTimeMillis)
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
          ...push,
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
                  ...push,
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
  plugin: PosPlugin,
  callback: { readonly url: string },
  outcome: { readonly status: "ONLINE" | "FAILED"; readonly comment: string },
  context: PosCallContext
) =>
  plugin.acknowledgeCatalog(callback, outcome, context).pipe(
    Effect.retry({
      while: (e) => e._tag === "PosUnavailable",
      // Six retries, 0.5 s doubling to 16 s: about half a minute in all.
      schedule: Schedule.max([Schedule.exponential(Duration.millis(500)), Schedule.recurs(6)])
    }),
    Effect.catch((e) =>
      Effect.logWarning("sync callback not delivered", { provider: plugin.manifest.id, reason: e._tag })
    )
  )
