import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { RateLimitBuckets } from "../../../application/ports/rate-limit-buckets.ts"
import { storageFailure } from "./sql-errors.ts"

/** Buckets idle this long are full again whatever they held: their rows are deleted. */
const idleMs = 60 * 60 * 1000
/** How often one process deletes idle rows. */
const pruneEveryMs = 10 * 60 * 1000

interface TakeRow {
  readonly granted: unknown
  readonly tokens: unknown
}

/**
 * The rate limits' token buckets in the control database (table `rate_limit_buckets`): one upsert
 * per take, which refills the bucket to now, hands out what it can and records what it handed out,
 * under the row's lock, so instances sharing the database share each bucket exactly. The arithmetic
 * is domain/rate-limit.ts's `takeTokens`.
 */
export const layerSqlRateLimitBuckets = Layer.effect(
  RateLimitBuckets,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    let prunedAtMs = 0
    const prune = (nowMs: number) =>
      Effect.suspend(() => {
        if (nowMs - prunedAtMs < pruneEveryMs) return Effect.void
        prunedAtMs = nowMs
        return sql`DELETE FROM rate_limit_buckets WHERE at_ms < ${nowMs - idleMs}::bigint`.pipe(
          Effect.asVoid,
          storageFailure("prune rate limit buckets"),
          // Pruning is housekeeping: a failure must not fail the request that happened to run it.
          Effect.ignore
        )
      })
    return RateLimitBuckets.of({
      shared: true,
      take: (bucket, limit, want, nowMs) => {
        const rate = sql`${limit.rate}::float8`
        const burst = sql`${limit.burst}::float8`
        const now = sql`${nowMs}::bigint`
        const wanted = sql`${want}::float8`
        const refilled = sql`LEAST(${burst}, b.tokens + GREATEST(0, ${now} - b.at_ms) * ${rate} / 1000.0)`
        return sql<TakeRow>`
          INSERT INTO rate_limit_buckets AS b (bucket, tokens, at_ms, granted)
          VALUES (${bucket}, ${burst} - LEAST(${wanted}, floor(${burst})), ${now}, LEAST(${wanted}, floor(${burst})))
          ON CONFLICT (bucket) DO UPDATE SET
            granted = GREATEST(0, LEAST(${wanted}, floor(${refilled}))),
            tokens = ${refilled} - GREATEST(0, LEAST(${wanted}, floor(${refilled}))),
            at_ms = GREATEST(b.at_ms, ${now})
          RETURNING granted, tokens`.pipe(
          storageFailure("take from a rate limit bucket"),
          Effect.map((rows) => ({ granted: Number(rows[0]?.granted ?? 0), tokens: Number(rows[0]?.tokens ?? 0) })),
          Effect.tap(() => prune(nowMs))
        )
      }
    })
  })
)
