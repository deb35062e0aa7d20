import type { JobRow, PosInbox } from "../ports/pos-inbox.ts"
import type { PullProblem } from "./pull-problems.ts"

/** How a job that failed for a reason worth retrying is tried again. */
export interface RetryPolicy {
  /** Tries in all (the first included) before it fails for good. */
  readonly maxAttempts: number
  /** The delay after the first try; it doubles with each further one, up to `retryMaxMs`. */
  readonly retryBaseMs: number
  readonly retryMaxMs: number
}

export type JobFinish = Parameters<(typeof PosInbox.Service)["finish"]>[1]

/** Capped exponential backoff: the delay after the `attempt`-th try (1 for the first). */
export const retryDelayMs = (attempt: number, policy: RetryPolicy): number =>
  Math.min(policy.retryMaxMs, policy.retryBaseMs * 2 ** Math.min(Math.max(0, attempt - 1), 40))

/** One line per problem, with the outlet it concerns; the whole capped, as a job's `lastError`. */
export const problemsText = (problems: ReadonlyArray<PullProblem>): string => {
  const text = problems
    .map((p) => `${p.error}${p.outlet === null ? "" : ` (outlet ${p.outlet})`}: ${p.message}`)
    .join("; ")
  return text.length > 1000 ? `${text.slice(0, 997)}...` : text
}

/**
 * How a job ends after a run: done when nothing failed; back to pending after the backoff when a
 * failure is worth retrying (the POS or the database unreachable, the outlet busy) and tries are
 * left; failed for good otherwise (the POS refused, its answer broke the rules, credentials are
 * missing or unusable, the guard refused a sync), or when the tries are used up.
 */
export const jobOutcome = (
  job: JobRow,
  problems: ReadonlyArray<PullProblem>,
  policy: RetryPolicy,
  at: Date
): JobFinish => {
  if (problems.length === 0) return { _tag: "done", at }
  const error = problemsText(problems)
  if (!problems.some((p) => p.retryable)) return { _tag: "failed", at, error }
  if (job.attempts >= policy.maxAttempts) {
    return { _tag: "failed", at, error: `gave up after ${job.attempts} attempts: ${error}` }
  }
  return { _tag: "retry", at, error, retryAt: new Date(at.getTime() + retryDelayMs(job.attempts, policy)) }
}
