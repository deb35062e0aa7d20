import { Clock, Effect } from "effect"
import type { CatalogSnapshot } from "../../domain/catalog.ts"
import type { StorageError } from "../../domain/errors.ts"
import type { Tenant } from "../../domain/tenant.ts"
import { syncPulledCatalog } from "../catalog/sync-catalog.ts"
import { newSyncId } from "../catalog/sync-ids.ts"
import { applyOutletSnapshots } from "../catalog/sync-outlets.ts"
import { Outlets, type StoreRow, SyncHistory } from "../ports/catalog.ts"
import type { UnreadableCredentials } from "../ports/pos-credentials.ts"
import type { MissingCredentials, PosUnavailable } from "../pos-sdk/errors.ts"
import type { PosCallContext, PosPlugin, PosPull } from "../pos-sdk/plugin.ts"
import { describeFailure, type PullProblem, type PullStepError, scrubSecrets } from "./pull-problems.ts"

/** What one pull is about: an outlet, every outlet of a POS account, or (both null) every known outlet. */
export interface PullTarget {
  readonly externalOutletId: string | null
  readonly accountId: string | null
}

/** Whom an outbound call is about: one outlet (with its account), or a whole POS account. */
export type CallTarget =
  | { readonly _tag: "Outlet"; readonly store: StoreRow }
  | { readonly _tag: "Account"; readonly accountId: string }

/** Why a call context could not be built: credentials missing or unusable, or storage unreachable. */
export type ContextFailure = MissingCredentials | UnreadableCredentials | PosUnavailable | StorageError

/** What a pull needs besides the tenant's repositories. */
export interface PullEnvironment<R> {
  readonly plugin: PosPlugin
  readonly tenant: Tenant
  /** The credentials (both levels), the vault and the HTTP client for a call (runtime: the call-context builder). */
  readonly contextFor: (target: CallTarget) => Effect.Effect<PosCallContext, ContextFailure, R>
  /** What identifies a pulled snapshot exactly (the runtime hashes provider, plugin version, outlet, canonical JSON). */
  readonly fingerprintOf: (externalOutletId: string, snapshot: CatalogSnapshot) => string
  readonly lockWaitMs: number
  readonly maxDeactivationPercent: number
}

/** What a pull did: the syncs it recorded, and each step that failed (also recorded in the sync history). */
export interface PullReport {
  readonly syncIds: ReadonlyArray<string>
  readonly problems: ReadonlyArray<PullProblem>
}

const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

/**
 * Runs one pull for a tenant: `fetchCatalog` then the catalog sync for an outlet; `fetchOutlets`
 * then the outlet sync, then each of the account's active outlets, for an account; every account
 * and every outlet without one, for neither. A failed step is recorded in the sync history (failed,
 * its error's tag and a message without credentials) and reported; the other steps still run.
 */
export const runPull = <R>(environment: PullEnvironment<R>, target: PullTarget) =>
  Effect.gen(function* () {
    const pull = environment.plugin.pull
    const provider = environment.plugin.manifest.id
    const syncIds: Array<string> = []
    const problems: Array<PullProblem> = []
    if (pull === undefined || !environment.plugin.manifest.capabilities.includes("pull")) {
      problems.push({
        error: "PullNotSupported",
        message: `${provider} has no pull capability: its POS pushes outlets and menus`,
        retryable: false,
        outlet: target.externalOutletId
      })
      return { syncIds, problems } satisfies PullReport
    }
    const steps = { environment, pull, provider, syncIds, problems }
    if (target.externalOutletId !== null) {
      const [store] = yield* (yield* Outlets).findByExternalIds(provider, [target.externalOutletId])
      if (store === undefined) {
        problems.push({
          error: "NotFound",
          message: `outlet '${target.externalOutletId}' of ${provider} was never synced: pull its account, or push its outlets first`,
          retryable: false,
          outlet: target.externalOutletId
        })
      } else {
        yield* pullOutletCatalog(steps, store)
      }
    } else if (target.accountId !== null) {
      yield* pullAccount(steps, target.accountId)
    } else {
      yield* pullEverything(steps)
    }
    return { syncIds, problems } satisfies PullReport
  })

interface Steps<R> {
  readonly environment: PullEnvironment<R>
  readonly pull: PosPull<unknown, unknown>
  readonly provider: string
  readonly syncIds: Array<string>
  readonly problems: Array<PullProblem>
}

/**
 * A failed step, recorded in the sync history like a failed push (StorageError is not: the history
 * may be unreachable too, as for a push) and noted for the job.
 */
const failedStep = <R>(
  steps: Steps<R>,
  where: { readonly kind: "outlets" | "products"; readonly store: StoreRow | null; readonly outlet: string | null },
  error: PullStepError,
  context: PosCallContext | null,
  startedAt: Date,
  alreadyRecorded = false
) =>
  Effect.gen(function* () {
    const problem = describeFailure(error, where.outlet)
    const safe: PullProblem = { ...problem, message: scrubSecrets(problem.message, context) }
    steps.problems.push(safe)
    if (alreadyRecorded || error._tag === "StorageError") return
    const history = yield* SyncHistory
    const syncId = yield* newSyncId
    yield* history
      .record({
        id: syncId,
        kind: where.kind,
        provider: steps.provider,
        source: "pull",
        storeId: where.store?.id ?? null,
        status: "failed",
        counts: {},
        error: `${safe.error}: ${safe.message}`,
        fingerprint: null,
        callbackUrl: null,
        pushedOutlets: null,
        startedAt,
        finishedAt: yield* now
      })
      .pipe(Effect.ignore)
    steps.syncIds.push(syncId)
  })

/** One outlet: fetch its catalog with its own call context, then the same sync as a push. */
const pullOutletCatalog = <R>(steps: Steps<R>, store: StoreRow) =>
  Effect.gen(function* () {
    const { environment } = steps
    const startedAt = yield* now
    const where = { kind: "products" as const, store, outlet: store.externalId }
    const context = yield* environment.contextFor({ _tag: "Outlet", store }).pipe(Effect.result)
    if (context._tag === "Failure") return yield* failedStep(steps, where, context.failure, null, startedAt)
    const snapshot = yield* steps.pull
      .fetchCatalog({ externalId: store.externalId, identifiers: store.identifiers }, context.success)
      .pipe(Effect.result)
    if (snapshot._tag === "Failure") {
      return yield* failedStep(steps, where, snapshot.failure, context.success, startedAt)
    }
    const synced = yield* syncPulledCatalog({
      provider: steps.provider,
      externalOutletId: store.externalId,
      snapshot: snapshot.success,
      fingerprint: environment.fingerprintOf(store.externalId, snapshot.success),
      options: {
        dryRun: false,
        force: false,
        lockWaitMs: environment.lockWaitMs,
        maxDeactivationPercent: environment.maxDeactivationPercent
      }
    }).pipe(Effect.result)
    if (synced._tag === "Failure") {
      const error = synced.failure
      // The per-outlet sync records its own failures (the guard, the lock); the rest happen before it.
      const recorded = error._tag === "TooManyDeactivations" || error._tag === "SyncInProgress"
      return yield* failedStep(steps, where, error, context.success, startedAt, recorded)
    }
    for (const result of synced.success.results) if (result.syncId !== null) steps.syncIds.push(result.syncId)
  })

/**
 * A POS account: its outlets as the POS lists them now (an outlet sync exactly as a push of them,
 * each outlet attributed to this account when the vendor does not say), then each active one's catalog.
 */
const pullAccount = <R>(steps: Steps<R>, accountId: string) =>
  Effect.gen(function* () {
    const { environment } = steps
    const startedAt = yield* now
    const where = { kind: "outlets" as const, store: null, outlet: null }
    const context = yield* environment.contextFor({ _tag: "Account", accountId }).pipe(Effect.result)
    if (context._tag === "Failure") return yield* failedStep(steps, where, context.failure, null, startedAt)
    const fetched = yield* steps.pull.fetchOutlets(context.success).pipe(Effect.result)
    if (fetched._tag === "Failure") {
      return yield* failedStep(steps, where, fetched.failure, context.success, startedAt)
    }
    const snapshots = fetched.success.map((o) => ({ ...o, accountId: o.accountId ?? accountId }))
    const synced = yield* applyOutletSnapshots({
      provider: steps.provider,
      tenant: environment.tenant,
      snapshots,
      source: "pull"
    }).pipe(Effect.result)
    if (synced._tag === "Failure") {
      return yield* failedStep(steps, where, synced.failure, context.success, startedAt)
    }
    steps.syncIds.push(synced.success.syncId)
    const active = snapshots.filter((o) => o.active).map((o) => o.externalId)
    const stores = yield* (yield* Outlets).findByExternalIds(steps.provider, [...new Set(active)])
    for (const store of [...stores].sort((a, b) => (a.externalId < b.externalId ? -1 : 1))) {
      yield* pullOutletCatalog(steps, store)
    }
  })

/** Every account the tenant's outlets of this POS belong to, and every active outlet that names none. */
const pullEverything = <R>(steps: Steps<R>) =>
  Effect.gen(function* () {
    const outlets = yield* Outlets
    const accounts = new Set<string>()
    const loose: Array<StoreRow> = []
    let cursor: string | null = null
    for (;;) {
      const page: ReadonlyArray<StoreRow> = yield* outlets.list({ cursor, limit: 500, includeInactive: false })
      for (const store of page) {
        if (store.provider !== steps.provider) continue
        if (store.accountId !== null) accounts.add(store.accountId)
        else loose.push(store)
      }
      if (page.length < 500) break
      cursor = page.at(-1)!.id
    }
    for (const accountId of [...accounts].sort()) yield* pullAccount(steps, accountId)
    for (const store of loose) yield* pullOutletCatalog(steps, store)
  })
