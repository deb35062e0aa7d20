import { Clock, Context, Effect, Layer, Option, Semaphore } from "effect"
import { HttpClient } from "effect/http"
import type { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { type JobRow, PosInbox } from "../../application/ports/pos-inbox.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { jobOutcome, type RetryPolicy } from "../../application/pull/job-outcome.ts"
import type { PullProblem } from "../../application/pull/pull-problems.ts"
import { type PullRequest, queuePull } from "../../application/pull/queue-pull.ts"
import { type PullEnvironment, runPull } from "../../application/pull/run-pull.ts"
import type { StorageError } from "../../domain/errors.ts"
import type { Tenant, TenantId } from "../../domain/tenant.ts"
import { AppConfig } from "../config.ts"
import { storageReason } from "../failures.ts"
import { WebhookDispatch } from "../partner-webhooks/webhook-dispatch.ts"
import { makePosCallContext } from "../plugins/call-context.ts"
import { type LoadedPlugin, PluginRegistry } from "../plugins/plugin-registry.ts"
import { TenantDatabases } from "../tenancy/tenant-databases.ts"
import { pullFingerprint } from "./pull-fingerprint.ts"

/**
 * The runner of the tenants' durable job queues (pulls). Work is queued in the tenant's database
 * and survives a restart; this process drains one tenant's due jobs at a time (a second request to
 * drain the same tenant while a drain runs makes that drain look again before it ends). Drains run
 * detached from whoever started them (a request, a webhook, the sweeper), in this service's scope:
 * closing it (shutdown) interrupts them, and a job interrupted mid-run goes back to pending at once.
 */
export class PullJobs extends Context.Service<
  PullJobs,
  {
    /**
     * Queues a pull for a tenant (joining one pending for the same target) and starts draining the
     * tenant's jobs: the job as stored. For a webhook's MenuChanged, a partner's or an operator's
     * request, a schedule.
     */
    readonly request: (
      tenant: TenantId,
      request: PullRequest,
      reason: JobRow["reason"]
    ) => Effect.Effect<JobRow, StorageError>
    /** Starts draining the tenant's due jobs in the background; never fails, never waits. */
    readonly kick: (tenant: TenantId) => Effect.Effect<void>
    /** Drains the tenant's due jobs in this fiber (after any drain of it in this process): how many ran. */
    readonly drain: (tenant: TenantId) => Effect.Effect<number, StorageError>
    /** Kicks every active tenant: jobs left by a stopped process, retries that came due. */
    readonly sweep: Effect.Effect<void, StorageError>
  }
>()("pos/runtime/PullJobs") {
  static readonly layer = Layer.effect(
    PullJobs,
    Effect.gen(function* () {
      const scope = yield* Effect.scope
      const settings = yield* AppConfig
      const databases = yield* TenantDatabases
      const directory = yield* TenantDirectory
      const registry = yield* PluginRegistry
      const http = yield* HttpClient.HttpClient
      const webhooks = yield* WebhookDispatch
      const policy: RetryPolicy = {
        maxAttempts: settings.jobMaxAttempts,
        retryBaseMs: settings.jobRetryBaseMs,
        retryMaxMs: settings.jobRetryMaxMs
      }
      // A run is cut before its lease ends, so no other instance can claim a job this one still runs.
      const runLimitMs = Math.floor(settings.jobLeaseMs * 0.9)
      const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

      const locks = new Map<TenantId, Semaphore.Semaphore>()
      const lockOf = (tenant: TenantId) => {
        let lock = locks.get(tenant)
        if (lock === undefined) {
          lock = Semaphore.makeUnsafe(1)
          locks.set(tenant, lock)
        }
        return lock
      }
      /** Tenants with a background drain in this process, and whether it was asked to look again. */
      const draining = new Map<TenantId, { again: boolean }>()

      const environment = (tenant: Tenant, loaded: LoadedPlugin): PullEnvironment<PosCredentialStore> => ({
        plugin: loaded.plugin,
        tenant,
        contextFor: (target) =>
          makePosCallContext(
            loaded,
            target._tag === "Outlet" ? { store: target.store } : { accountId: target.accountId },
            http
          ),
        fingerprintOf: (externalOutletId, snapshot) => pullFingerprint(loaded.manifest, externalOutletId, snapshot),
        lockWaitMs: settings.syncLockWaitMs,
        maxDeactivationPercent: 30
      })

      const problem = (error: string, message: string, retryable: boolean): PullProblem => ({
        error,
        message,
        retryable,
        outlet: null
      })

      /** Runs one claimed job and ends it: done, retry after the backoff, or failed for good. */
      const runJob = (tenant: Tenant, job: JobRow) =>
        Effect.gen(function* () {
          const inbox = yield* PosInbox
          const loaded = registry.get(job.provider)
          const problems: ReadonlyArray<PullProblem> =
            job.attempts > policy.maxAttempts
              ? // Claimed again after its lease ran out, more times than allowed: its runs never end.
                [problem("Abandoned", `no run of this job finished in ${job.attempts - 1} tries`, false)]
              : loaded === undefined
                ? [problem("UnknownProvider", `no POS plugin '${job.provider}' is loaded`, false)]
                : yield* runPull(environment(tenant, loaded), job).pipe(
                    Effect.map((report) => report.problems),
                    Effect.timeoutOption(runLimitMs),
                    Effect.map(
                      Option.getOrElse(() => [
                        problem("Timeout", `the pull did not finish within ${runLimitMs} ms`, true)
                      ])
                    ),
                    Effect.catchTag("StorageError", (error) =>
                      Effect.succeed([problem("StorageError", `${error.operation} failed`, true)])
                    ),
                    Effect.catchDefect((defect) =>
                      Effect.as(
                        Effect.logError("pull failed unexpectedly", { provider: job.provider, job: job.id, defect }),
                        [problem("Defect", "the pull failed unexpectedly (see the service log)", true)]
                      )
                    ),
                    // Stopped mid-run (shutdown): the job is due again at once, for this or another instance.
                    Effect.onInterrupt(() =>
                      Effect.flatMap(now, (at) =>
                        inbox.finish(job.id, {
                          _tag: "retry",
                          at,
                          error: "Interrupted: the service stopped during the run",
                          retryAt: at
                        })
                      ).pipe(Effect.ignore)
                    )
                  )
          const outcome = jobOutcome(job, problems, policy, yield* now)
          yield* inbox.finish(job.id, outcome)
          // A sync's record raised its partner webhook event.
          yield* webhooks.kick(tenant.id)
          yield* Effect.logInfo("pull job finished", {
            tenant: tenant.id,
            job: job.id,
            provider: job.provider,
            attempt: job.attempts,
            outcome: outcome._tag,
            ...(outcome._tag === "done" ? {} : { error: outcome.error })
          })
          if (outcome._tag === "retry") {
            // The sweeper would find it too; this brings it back on time.
            yield* Effect.forkIn(Effect.delay(kick(tenant.id), outcome.retryAt.getTime() - outcome.at.getTime()), scope)
          }
        })

      const drain = (id: TenantId): Effect.Effect<number, StorageError> =>
        lockOf(id).withPermits(1)(
          Effect.scoped(
            Effect.gen(function* () {
              const tenant = yield* databases.resolve(id)
              if (tenant === undefined) return 0
              const repositories = yield* databases.repositories(tenant.id)
              const inbox = Context.get(repositories, PosInbox)
              let ran = 0
              for (;;) {
                const at = yield* now
                const job = yield* inbox.claim(at, new Date(at.getTime() + settings.jobLeaseMs))
                if (job === undefined) {
                  // A drain that ran jobs forgets the ones that ended long ago, so they do not pile up.
                  if (ran > 0) {
                    yield* inbox
                      .purgeJobs(new Date(at.getTime() - settings.jobRetentionDays * 86_400_000))
                      .pipe(
                        Effect.catch((error) => Effect.logWarning("purging ended jobs failed", storageReason(error)))
                      )
                  }
                  return ran
                }
                ran++
                yield* runJob(tenant, job).pipe(Effect.provideContext(repositories))
              }
            })
          )
        )

      const kick = (id: TenantId): Effect.Effect<void> =>
        Effect.suspend(() => {
          const running = draining.get(id)
          if (running !== undefined) {
            running.again = true
            return Effect.void
          }
          const state = { again: false }
          draining.set(id, state)
          const once = drain(id).pipe(
            Effect.catch((error) =>
              Effect.logWarning("draining pull jobs failed; the sweeper tries again", {
                tenant: id,
                ...storageReason(error)
              })
            ),
            Effect.catchDefect((defect) =>
              Effect.logError("draining pull jobs failed unexpectedly", { tenant: id, defect })
            )
          )
          // Looks again when kicked during the drain; the check and the release are one step.
          const loop: Effect.Effect<void> = Effect.flatMap(once, () =>
            Effect.suspend(() => {
              if (state.again) {
                state.again = false
                return loop
              }
              draining.delete(id)
              return Effect.void
            })
          )
          return Effect.asVoid(
            Effect.forkIn(
              loop.pipe(Effect.onExit(() => Effect.sync(() => draining.get(id) === state && draining.delete(id)))),
              scope
            )
          )
        })

      return PullJobs.of({
        request: (tenant, request, reason) =>
          Effect.scoped(
            Effect.gen(function* () {
              const repositories = yield* databases.repositories(tenant)
              const job = yield* queuePull(request, reason).pipe(Effect.provideContext(repositories))
              yield* kick(tenant)
              return job
            })
          ),
        kick,
        drain,
        sweep: Effect.flatMap(directory.activeIds, (ids) => Effect.forEach(ids, kick, { discard: true }))
      })
    })
  )
}
