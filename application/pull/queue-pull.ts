import { Clock, Effect } from "effect"
import { type JobRow, PosInbox } from "../ports/pos-inbox.ts"
import type { PullTarget } from "./run-pull.ts"

/** A pull to queue: the provider, and its target (an outlet, an account, or every known outlet). */
export interface PullRequest extends PullTarget {
  readonly provider: string
}

/** A job's id: `job_` and 32 hex digits, random. */
export const newJobId = (): string => `job_${crypto.randomUUID().replaceAll("-", "")}`

/** A pending pull job, due at `at`. */
export const pullJob = (request: PullRequest, reason: JobRow["reason"], at: Date, id = newJobId()): JobRow => ({
  id,
  kind: "pull",
  provider: request.provider,
  externalOutletId: request.externalOutletId,
  accountId: request.accountId,
  reason,
  status: "pending",
  attempts: 0,
  runAfter: at,
  lastError: null,
  createdAt: at,
  finishedAt: null
})

/**
 * Queues a pull in the tenant's durable queue and answers the job as stored. A pull already pending
 * for the same provider and target is joined: its job is answered, and no second one is queued.
 */
export const queuePull = Effect.fnUntraced(function* (request: PullRequest, reason: JobRow["reason"]) {
  const inbox = yield* PosInbox
  const job = pullJob(request, reason, new Date(yield* Clock.currentTimeMillis))
  const id = yield* inbox.enqueue(job)
  return (yield* inbox.getJob(id)) ?? job
})
