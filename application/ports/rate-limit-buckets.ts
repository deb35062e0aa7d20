import { Context, type Effect } from "effect"
import type { StorageError } from "../../domain/errors.ts"
import type { Limit } from "../../domain/rate-limit.ts"

export interface BucketTake {
  /** Whole tokens handed out: at most what was asked for, 0 when the bucket is empty. */
  readonly granted: number
  /** What the bucket holds after the take (a fraction while it refills). */
  readonly tokens: number
}

/**
 * The token buckets of the rate limits, shared by every instance (PostgreSQL: a table of the
 * control database) or held by the one process (the embedded default, in memory). A bucket is made
 * full on its first take; its limit is given with each take, so a changed limit applies at once.
 */
export class RateLimitBuckets extends Context.Service<
  RateLimitBuckets,
  {
    /** Takes up to `want` tokens from `bucket`, refilled to `nowMs` at the limit's rate. */
    readonly take: (
      bucket: string,
      limit: Limit,
      want: number,
      nowMs: number
    ) => Effect.Effect<BucketTake, StorageError>
    /** Whether the buckets are shared with other instances (each take a round trip worth saving). */
    readonly shared: boolean
  }
>()("pos/application/RateLimitBuckets") {}
