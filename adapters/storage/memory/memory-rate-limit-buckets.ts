import { Effect, Layer } from "effect"
import { RateLimitBuckets } from "../../../application/ports/rate-limit-buckets.ts"
import { type BucketState, takeTokens } from "../../../domain/rate-limit.ts"

/** Buckets idle this long are full again whatever they held: dropping them changes nothing. */
const idleMs = 60 * 60 * 1000

/** The buckets of one process: the embedded default and the in-memory storage. */
export const makeMemoryRateLimitBuckets = () => {
  const buckets = new Map<string, BucketState>()
  let sweptAtMs = 0
  const sweep = (nowMs: number) => {
    if (nowMs - sweptAtMs < idleMs) return
    sweptAtMs = nowMs
    for (const [bucket, state] of buckets) if (nowMs - state.atMs > idleMs) buckets.delete(bucket)
  }
  return RateLimitBuckets.of({
    shared: false,
    take: (bucket, limit, want, nowMs) =>
      Effect.sync(() => {
        sweep(nowMs)
        const taken = takeTokens(buckets.get(bucket), limit, want, nowMs)
        buckets.set(bucket, taken.state)
        return { granted: taken.granted, tokens: taken.state.tokens }
      })
  })
}

export const layerMemoryRateLimitBuckets = Layer.sync(RateLimitBuckets, makeMemoryRateLimitBuckets)
