import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import type { Scope } from "../../domain/api-key.ts"
import { secured } from "./api-middleware.ts"
import { DateTime, doc } from "./api-types.ts"
import { RequiredScopes } from "./context.ts"
import { ConflictJson, NotFoundJson } from "./errors.ts"

const JobStatus = Schema.Literals(["pending", "running", "done", "failed"]).annotate({
  description:
    "`pending`: queued, or waiting for a retry (`runAfter`); `running`: an instance of the service is running it; `done`; `failed`: for good (see `lastError`)"
})

const exampleJobId = "job_3f2c8a9d0b1e4f5a6b7c8d9e0f1a2b3c"

export const PullQueued = Schema.Struct({
  jobId: Schema.String,
  status: JobStatus
})
  .annotate({
    identifier: "PullQueued",
    description: "The queued pull's job; a pull already pending for the outlet is answered instead of a second one",
    examples: [{ jobId: exampleJobId, status: "pending" }]
  })
  .pipe(HttpApiSchema.status(202))

export const JobView = Schema.Struct({
  jobId: Schema.String,
  kind: Schema.Literal("pull"),
  provider: Schema.String,
  outletId: Schema.NullOr(Schema.String).annotate({
    description: "The outlet pulled; null for a pull of a POS account's outlets (or of every outlet)"
  }),
  externalOutletId: Schema.NullOr(Schema.String),
  accountId: Schema.NullOr(Schema.String).annotate({ description: "The POS account, when known" }),
  reason: Schema.Literals(["webhook", "request", "schedule"]).annotate({
    description: "What queued it: a POS webhook (a menu change), a request, a pull schedule"
  }),
  status: JobStatus,
  attempts: Schema.Int.annotate({ description: "Runs started so far" }),
  lastError: Schema.NullOr(Schema.String).annotate({
    description: "Why the last run failed: the error's tag and what happened, per outlet concerned"
  }),
  runAfter: DateTime,
  createdAt: DateTime,
  finishedAt: Schema.NullOr(DateTime)
}).annotate({
  identifier: "Job",
  description: "Work run by the service after the request that queued it: today, pulls of POS catalogs",
  examples: [
    {
      jobId: exampleJobId,
      kind: "pull",
      provider: "lightspeed",
      outletId: "out_5d41402abc4b2a76b9719d911017c592",
      externalOutletId: "45454",
      accountId: "1234",
      reason: "request",
      status: "failed",
      attempts: 1,
      lastError: "MissingCredentials (outlet 45454): account credentials: no account credentials are set",
      runAfter: "2026-03-16T15:05:33.000Z",
      createdAt: "2026-03-16T15:05:33.000Z",
      finishedAt: "2026-03-16T15:05:34.000Z"
    }
  ]
})

const needs = (scopes: ReadonlyArray<Scope>) => RequiredScopes.context(scopes)

/** Pulls from POS systems that are asked rather than pushing: queued, run after the answer. */
export const PullGroup = secured(
  HttpApiGroup.make("pull")
    .add(
      HttpApiEndpoint.post("pullOutlet", "/outlets/:outletId/pull", {
        params: { outletId: Schema.String },
        success: PullQueued,
        error: [NotFoundJson, ConflictJson]
      })
        .annotateMerge(needs(["pos:sync"]))
        .annotateMerge(
          doc(
            "Pull an outlet's catalog from its POS",
            "Queues a pull of the outlet's catalog from its POS's API and answers 202 with the job at once; the pull runs after the answer: the POS's catalog goes through exactly the sync a push of it would (unchanged rows are not rewritten, an identical catalog writes nothing, a pull that would deactivate more than 30% of the outlet's active products is refused), and the sync history shows it with `source: pull`. A pull already pending for the outlet is joined (its job is answered). A POS that cannot be reached is retried with capped exponential backoff; a refusal, an invalid answer or missing credentials fail the job for good (`GET /jobs/{jobId}`). No body, no `X-Provider`: the outlet's own POS. 404 `outlet not found`. 409 `pull not supported`: the outlet's POS pushes its catalog (its plugin has no `pull` capability, see GET /providers)."
          )
        )
    )
    .add(
      HttpApiEndpoint.get("getJob", "/jobs/:jobId", {
        params: {
          jobId: Schema.String.annotate({
            description: "The job's id: `job_` and 32 hex digits. Any other value names no job: 404.",
            examples: [exampleJobId]
          })
        },
        success: JobView,
        error: NotFoundJson
      })
        .annotateMerge(needs(["pos:sync"]))
        .annotateMerge(
          doc(
            "Get a job",
            "A queued pull: its status, how many runs it took, why the last one failed, and when it was queued and finished. Jobs are kept in the tenant's database: a job survives a restart of the service, and one left running by a stopped instance is taken over once its lease runs out (JOB_LEASE_MS). 404 `job not found`."
          )
        )
    )
).annotateMerge(
  OpenApi.annotations({
    title: "POS pulls",
    description: "Catalogs pulled from POS systems that are asked rather than pushing, and the jobs that run them"
  })
)
