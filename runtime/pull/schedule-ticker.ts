import { Clock, Effect, Layer, Schedule } from "effect"
import { PullSchedules } from "../../application/ports/pull-schedules.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { AppConfig } from "../config.ts"
import { storageReason } from "../failures.ts"
import { PluginRegistry } from "../plugins/plugin-registry.ts"
import { PullJobs } from "./job-runner.ts"

/**
 * Claims the pull schedules due now (in the control database: with several instances, each due run
 * is claimed by one) and queues, for every active tenant, a pull of the provider's outlets: every
 * POS account its outlets belong to, and each outlet that names none. Answers the claimed providers.
 */
export const runDueSchedules = Effect.gen(function* () {
  const schedules = yield* PullSchedules
  const registry = yield* PluginRegistry
  const directory = yield* TenantDirectory
  const jobs = yield* PullJobs
  const due = yield* schedules.claimDue(new Date(yield* Clock.currentTimeMillis))
  if (due.length === 0) return []
  const tenants = [...(yield* directory.activeIds)].sort()
  for (const schedule of due) {
    const loaded = registry.get(schedule.provider)
    if (loaded === undefined || loaded.plugin.pull === undefined || !loaded.manifest.capabilities.includes("pull")) {
      yield* Effect.logWarning("pull schedule skipped: no loaded plugin of this provider can pull", {
        provider: schedule.provider
      })
      continue
    }
    for (const tenant of tenants) {
      yield* jobs
        .request(tenant, { provider: schedule.provider, externalOutletId: null, accountId: null }, "schedule")
        .pipe(
          Effect.catch((error) =>
            Effect.logWarning("scheduled pull not queued", {
              tenant,
              provider: schedule.provider,
              ...storageReason(error)
            })
          )
        )
    }
  }
  return due.map((schedule) => schedule.provider)
})

/**
 * The runtime's pull machinery in the background: the sweeper (at start-up, then every
 * JOB_SWEEP_MS) drains every active tenant's due jobs, so jobs left by a stopped process or due for
 * a retry run; the ticker (every PULL_TICK_MS) runs due schedules. Both stop with the layer's scope.
 */
export const pullBackground = Layer.effectDiscard(
  Effect.gen(function* () {
    const settings = yield* AppConfig
    const jobs = yield* PullJobs
    const sweep = jobs.sweep.pipe(
      Effect.catch((error) => Effect.logWarning("job sweep failed", storageReason(error))),
      Effect.catchDefect((defect) => Effect.logError("job sweep failed unexpectedly", { defect }))
    )
    const tick = runDueSchedules.pipe(
      Effect.catch((error) => Effect.logWarning("pull schedule check failed", storageReason(error))),
      Effect.catchDefect((defect) => Effect.logError("pull schedule check failed unexpectedly", { defect }))
    )
    yield* Effect.forkScoped(Effect.repeat(sweep, Schedule.spaced(settings.jobSweepMs)))
    yield* Effect.forkScoped(Effect.repeat(tick, Schedule.spaced(settings.pullTickMs)))
  })
)
