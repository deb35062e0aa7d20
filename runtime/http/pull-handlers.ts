import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Outlets } from "../../application/ports/catalog.ts"
import { type JobRow, PosInbox } from "../../application/ports/pos-inbox.ts"
import { queuePull } from "../../application/pull/queue-pull.ts"
import { NotFound } from "../../domain/errors.ts"
import { outletId } from "../../domain/ids.ts"
import { PluginRegistry } from "../plugins/plugin-registry.ts"
import { PullJobs } from "../pull/job-runner.ts"
import { Api } from "./api.ts"
import { CurrentTenant } from "./context.ts"
import { httpErrors } from "./error-mapping.ts"
import { Conflict } from "./errors.ts"

const jobView = (job: JobRow) => ({
  jobId: job.id,
  kind: job.kind,
  provider: job.provider,
  outletId: job.externalOutletId === null ? null : outletId(job.provider, job.externalOutletId),
  externalOutletId: job.externalOutletId,
  accountId: job.accountId,
  reason: job.reason,
  status: job.status,
  attempts: job.attempts,
  lastError: job.lastError,
  runAfter: job.runAfter.toISOString(),
  createdAt: job.createdAt.toISOString(),
  finishedAt: job.finishedAt?.toISOString() ?? null
})

/** Job ids are `job_` and 32 hex digits: any other value names no job, without a lookup. */
const isJobId = (id: string) => /^job_[0-9a-f]{32}$/.test(id)

export const PullHandlers = HttpApiBuilder.group(
  Api,
  "pull",
  Effect.fn(function* (handlers) {
    const registry = yield* PluginRegistry
    const jobs = yield* PullJobs
    return handlers
      .handle("pullOutlet", ({ params }) =>
        Effect.gen(function* () {
          const store = yield* httpErrors(
            Effect.gen(function* () {
              const found = yield* (yield* Outlets).get(params.outletId)
              if (found === undefined) return yield* new NotFound({ resource: "outlet", id: params.outletId })
              return found
            })
          )
          const loaded = registry.get(store.provider)
          if (loaded?.plugin.pull === undefined || !loaded.manifest.capabilities.includes("pull")) {
            // A state of the outlet's POS, not of the request: the same request could succeed with a pulling POS.
            return yield* new Conflict({
              message: "pull not supported",
              details: `outlet '${store.id}' is synced by ${store.provider}, whose POS pushes its catalog: ${
                loaded === undefined ? "no plugin of that id is loaded" : "its plugin has no pull capability"
              }`
            })
          }
          // A storage failure is a 500 with the request id, as httpErrors makes it for the other steps.
          const job = yield* queuePull(
            { provider: store.provider, externalOutletId: store.externalId, accountId: store.accountId },
            "request"
          ).pipe(Effect.orDie)
          yield* jobs.kick((yield* CurrentTenant).id)
          return { jobId: job.id, status: job.status }
        })
      )
      .handle("getJob", ({ params }) =>
        httpErrors(
          Effect.gen(function* () {
            const job = isJobId(params.jobId) ? yield* (yield* PosInbox).getJob(params.jobId) : undefined
            if (job === undefined) return yield* new NotFound({ resource: "job", id: params.jobId })
            return jobView(job)
          })
        )
      )
  })
)
