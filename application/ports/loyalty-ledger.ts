import { Context, type Effect } from "effect"
import type { InsufficientPoints, RefCodeConflict, StorageError } from "../../domain/errors.ts"
import type { LoyaltyTransaction, LoyaltyTransactionType, PointsResult, Reward } from "../../domain/loyalty.ts"

export interface LedgerAccount {
  readonly points: number
  /** Every point ever earned: the tier is decided by it. */
  readonly lifetimePoints: number
}

export interface LedgerEntry {
  readonly transactionId: string
  readonly customerId: string
  readonly type: LoyaltyTransactionType
  /** Positive: an earn adds it, a redeem takes it. */
  readonly points: number
  readonly amount: number | null
  readonly currency: string | null
  readonly orderId: string | null
  readonly rewardId: string | null
  readonly refCode: string
  readonly createdAt: Date
}

/**
 * The embedded loyalty ledger's storage, in the tenant's database: balances, transactions and
 * rewards. `post` is atomic: a refCode already posted for this type with the same request answers
 * the transaction it recorded (no second effect); with another request (another member, amount or
 * reward) it is a RefCodeConflict, never someone else's transaction; a redeem beyond the balance
 * fails and writes nothing. A refCode stays bound to its transaction for ever.
 */
export class LoyaltyLedger extends Context.Service<
  LoyaltyLedger,
  {
    readonly account: (customerId: string) => Effect.Effect<LedgerAccount, StorageError>
    /** Newest first. */
    readonly transactions: (
      customerId: string,
      limit: number
    ) => Effect.Effect<ReadonlyArray<LoyaltyTransaction>, StorageError>
    readonly post: (
      entry: LedgerEntry
    ) => Effect.Effect<PointsResult, InsufficientPoints | RefCodeConflict | StorageError>
    /** Sorted by id. */
    readonly rewards: Effect.Effect<ReadonlyArray<Reward>, StorageError>
    readonly reward: (rewardId: string) => Effect.Effect<Reward | undefined, StorageError>
    readonly setReward: (reward: Reward, at: Date) => Effect.Effect<void, StorageError>
    readonly removeReward: (rewardId: string) => Effect.Effect<boolean, StorageError>
  }
>()("pos/application/LoyaltyLedger") {}

/**
 * Whether a transaction already posted under an entry's refCode records the same request: the same
 * member, and the same amount (an earn) or reward or points (a redeem). A reward's points may have
 * changed since, so a reward redeem compares the reward, not the points.
 */
export const sameRequest = (
  posted: Pick<LedgerEntry, "customerId" | "amount" | "rewardId" | "points">,
  entry: LedgerEntry
): boolean =>
  posted.customerId === entry.customerId &&
  posted.amount === entry.amount &&
  posted.rewardId === entry.rewardId &&
  (entry.rewardId !== null || posted.points === entry.points)
