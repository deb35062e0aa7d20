import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { type ClaimResult, Idempotency } from "../../../application/ports/idempotency.ts"
import { type LedgerEntry, LoyaltyLedger, sameRequest } from "../../../application/ports/loyalty-ledger.ts"
import { InsufficientPoints, RefCodeConflict, StorageError } from "../../../domain/errors.ts"
import type { LoyaltyTransactionType, PointsResult } from "../../../domain/loyalty.ts"
import { storageFailure, toDate } from "./sql-errors.ts"

interface ClaimRow {
  readonly fingerprint: string
  readonly status: number | null
  readonly body: string | null
}

/** refCode claims: a unique insert claims; a takeover is one conditional update. */
export const makeSqlIdempotency = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const claimOnce = (r: Parameters<(typeof Idempotency.Service)["claim"]>[0]) =>
    Effect.gen(function* () {
      const inserted = yield* sql`
        INSERT INTO idempotency_keys (operation, ref_code, fingerprint, token, claimed_at)
        VALUES (${r.operation}, ${r.refCode}, ${r.fingerprint}, ${r.token}, ${r.now})
        ON CONFLICT DO NOTHING RETURNING 1 AS claimed`
      if (inserted.length > 0) return { _tag: "Claimed" } as const
      // An expired outcome no longer binds the refCode; a stale claim of the same payload is taken over.
      const taken = yield* sql`
        UPDATE idempotency_keys
        SET fingerprint = ${r.fingerprint}, token = ${r.token}, claimed_at = ${r.now},
          status = NULL, body = NULL, completed_at = NULL
        WHERE operation = ${r.operation} AND ref_code = ${r.refCode}
          AND ((completed_at IS NOT NULL AND completed_at < ${r.expiredBefore})
            OR (completed_at IS NULL AND claimed_at < ${r.staleBefore} AND fingerprint = ${r.fingerprint}))
        RETURNING 1 AS claimed`
      if (taken.length > 0) return { _tag: "Claimed" } as const
      const [row] = yield* sql<ClaimRow>`
        SELECT fingerprint, status, body FROM idempotency_keys
        WHERE operation = ${r.operation} AND ref_code = ${r.refCode}`
      if (row === undefined) return undefined // released meanwhile: try again
      if (row.fingerprint !== r.fingerprint) return { _tag: "Conflict" } as const
      return row.status === null || row.body === null
        ? ({ _tag: "InProgress" } as const)
        : { _tag: "Replay" as const, outcome: { status: Number(row.status), body: row.body } }
    })
  const claim = (r: Parameters<(typeof Idempotency.Service)["claim"]>[0]): Effect.Effect<ClaimResult, unknown> =>
    Effect.flatMap(claimOnce(r), (result) => (result === undefined ? claim(r) : Effect.succeed(result)))

  return Idempotency.of({
    claim: (request) => claim(request).pipe(storageFailure("claim refCode")),
    complete: (operation, refCode, token, outcome, at) =>
      sql`
        UPDATE idempotency_keys SET status = ${outcome.status}, body = ${outcome.body}, completed_at = ${at}
        WHERE operation = ${operation} AND ref_code = ${refCode} AND token = ${token} AND completed_at IS NULL
        RETURNING 1 AS done`.pipe(
        Effect.map((rows) => rows.length > 0),
        storageFailure("store refCode outcome")
      ),
    purge: (before, limit) =>
      sql`
        DELETE FROM idempotency_keys WHERE ctid IN (
          SELECT ctid FROM idempotency_keys WHERE COALESCE(completed_at, claimed_at) < ${before} LIMIT ${limit}
        ) RETURNING 1 AS purged`.pipe(
        Effect.map((rows) => rows.length),
        storageFailure("purge refCodes")
      ),
    release: (operation, refCode, token) =>
      sql`
        DELETE FROM idempotency_keys
        WHERE operation = ${operation} AND ref_code = ${refCode} AND token = ${token} AND completed_at IS NULL`.pipe(
        Effect.asVoid,
        storageFailure("release refCode")
      )
  })
})

interface TransactionRow {
  readonly id: string
  readonly customer_id: string
  readonly reward_id: string | null
  readonly type: LoyaltyTransactionType
  readonly points: unknown
  readonly amount: unknown
  readonly ref_code: string
  readonly balance_after: unknown
  readonly created_at: unknown
}

/** The ledger's own refusals, carried through the transaction so only database errors are mapped. */
class Refusal {
  readonly error: InsufficientPoints | RefCodeConflict
  constructor(error: InsufficientPoints | RefCodeConflict) {
    this.error = error
  }
}

/** The transaction a refCode already recorded: its answer again, or a conflict if it was another request. */
const replayOf = (row: TransactionRow, entry: LedgerEntry): Effect.Effect<PointsResult, Refusal> => {
  const posted = {
    customerId: row.customer_id,
    amount: row.amount === null ? null : Number(row.amount),
    rewardId: row.reward_id,
    points: Number(row.points)
  }
  return sameRequest(posted, entry)
    ? Effect.succeed({ transactionId: row.id, points: posted.points, balance: Number(row.balance_after) })
    : Effect.fail(new Refusal(new RefCodeConflict({ refCode: entry.refCode })))
}

/** The embedded ledger's tables. A member's account row is locked for the length of a post. */
export const makeSqlLoyaltyLedger = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const posted = (type: string, refCode: string) =>
    sql<TransactionRow>`SELECT * FROM loyalty_transactions WHERE type = ${type} AND ref_code = ${refCode}`

  return LoyaltyLedger.of({
    account: (customerId) =>
      sql<{ readonly points: unknown; readonly lifetime_points: unknown }>`
        SELECT points, lifetime_points FROM loyalty_accounts WHERE customer_id = ${customerId}`.pipe(
        Effect.map(([row]) => ({
          points: Number(row?.points ?? 0),
          lifetimePoints: Number(row?.lifetime_points ?? 0)
        })),
        storageFailure("read loyalty account")
      ),
    transactions: (customerId, limit) =>
      sql<TransactionRow>`
        SELECT * FROM loyalty_transactions WHERE customer_id = ${customerId} ORDER BY seq DESC LIMIT ${limit}`.pipe(
        Effect.map((rows) =>
          rows.map((row) => ({
            transactionId: row.id,
            type: row.type,
            points: Number(row.points),
            amount: row.amount === null ? null : Number(row.amount),
            refCode: row.ref_code,
            createdAt: toDate(row.created_at)
          }))
        ),
        storageFailure("list loyalty transactions")
      ),
    post: (e) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            yield* sql`
              INSERT INTO loyalty_accounts (customer_id, points, lifetime_points, updated_at)
              VALUES (${e.customerId}, 0, 0, ${e.createdAt}) ON CONFLICT DO NOTHING`
            const [account] = yield* sql<{ readonly points: unknown }>`
              SELECT points FROM loyalty_accounts WHERE customer_id = ${e.customerId} FOR UPDATE`
            // Looked up under the member's lock: a concurrent post of the same refCode for this
            // member has committed by now, and must be answered, not refused for its own effect.
            const [earlier] = yield* posted(e.type, e.refCode)
            if (earlier !== undefined) return yield* replayOf(earlier, e)
            const balance = Number(account?.points ?? 0)
            if (e.type === "REDEEM" && e.points > balance) {
              return yield* Effect.fail(new Refusal(new InsufficientPoints({ balance, required: e.points })))
            }
            const after = e.type === "EARN" ? balance + e.points : balance - e.points
            yield* sql`
              INSERT INTO loyalty_transactions
                (id, customer_id, type, points, amount, currency, order_id, reward_id, ref_code, balance_after, created_at)
              VALUES (${e.transactionId}, ${e.customerId}, ${e.type}, ${e.points}, ${e.amount}, ${e.currency},
                ${e.orderId}, ${e.rewardId}, ${e.refCode}, ${after}, ${e.createdAt})`
            yield* sql`
              UPDATE loyalty_accounts SET points = ${after}, updated_at = ${e.createdAt},
                lifetime_points = lifetime_points + ${e.type === "EARN" ? e.points : 0}
              WHERE customer_id = ${e.customerId}`
            return { transactionId: e.transactionId, points: e.points, balance: after }
          })
        )
        .pipe(
          // The same refCode posted concurrently for another member: the first one stands.
          Effect.catchReason("SqlError", "UniqueViolation", () =>
            Effect.flatMap(posted(e.type, e.refCode), ([row]) =>
              row === undefined ? Effect.die("a unique violation without its row") : replayOf(row, e)
            )
          ),
          Effect.mapError((error) =>
            error instanceof Refusal
              ? error.error
              : new StorageError({ operation: "post loyalty transaction", cause: error })
          )
        ),
    rewards: sql<{ readonly id: string; readonly name: string; readonly points: unknown }>`
      SELECT id, name, points FROM loyalty_rewards ORDER BY id`.pipe(
      Effect.map((rows) => rows.map((r) => ({ rewardId: r.id, name: r.name, points: Number(r.points) }))),
      storageFailure("list rewards")
    ),
    reward: (rewardId) =>
      sql<{ readonly id: string; readonly name: string; readonly points: unknown }>`
        SELECT id, name, points FROM loyalty_rewards WHERE id = ${rewardId}`.pipe(
        Effect.map(([r]) => (r === undefined ? undefined : { rewardId: r.id, name: r.name, points: Number(r.points) })),
        storageFailure("get reward")
      ),
    setReward: (reward, at) =>
      sql`
        INSERT INTO loyalty_rewards (id, name, points, updated_at) VALUES (${reward.rewardId}, ${reward.name}, ${reward.points}, ${at})
        ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, points = EXCLUDED.points, updated_at = EXCLUDED.updated_at`.pipe(
        Effect.asVoid,
        storageFailure("set reward")
      ),
    removeReward: (rewardId) =>
      sql`DELETE FROM loyalty_rewards WHERE id = ${rewardId} RETURNING 1 AS removed`.pipe(
        Effect.map((rows) => rows.length > 0),
        storageFailure("remove reward")
      )
  })
})

export const layerSqlIdempotency = Layer.effect(Idempotency, makeSqlIdempotency)
export const layerSqlLoyaltyLedger = Layer.effect(LoyaltyLedger, makeSqlLoyaltyLedger)
