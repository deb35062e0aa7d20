import { Effect } from "effect"
import { Idempotency, type StoredOutcome } from "../../../application/ports/idempotency.ts"
import { type LedgerEntry, LoyaltyLedger, sameRequest } from "../../../application/ports/loyalty-ledger.ts"
import { InsufficientPoints, RefCodeConflict } from "../../../domain/errors.ts"
import type { PointsResult, Reward } from "../../../domain/loyalty.ts"

interface ClaimRow {
  fingerprint: string
  token: string
  claimedAt: Date
  outcome: StoredOutcome | null
  completedAt: Date | null
}

interface PostedEntry extends LedgerEntry {
  readonly balanceAfter: number
}

export interface LoyaltyTables {
  readonly claims: Map<string, ClaimRow>
  readonly entries: Array<PostedEntry>
  readonly rewards: Map<string, Reward>
}

export const makeLoyaltyTables = (): LoyaltyTables => ({ claims: new Map(), entries: [], rewards: new Map() })

const claimKey = (operation: string, refCode: string) => `${operation}\u0000${refCode}`

/** refCode claims in memory: every step runs synchronously, so each is atomic. */
export const makeMemoryIdempotency = (tables: LoyaltyTables) =>
  Idempotency.of({
    claim: (request) =>
      Effect.sync(() => {
        const key = claimKey(request.operation, request.refCode)
        const row = tables.claims.get(key)
        const expired = row?.completedAt != null && row.completedAt < request.expiredBefore
        const stale = row !== undefined && row.outcome === null && row.claimedAt < request.staleBefore
        if (row === undefined || expired || (stale && row.fingerprint === request.fingerprint)) {
          tables.claims.set(key, {
            fingerprint: request.fingerprint,
            token: request.token,
            claimedAt: request.now,
            outcome: null,
            completedAt: null
          })
          return { _tag: "Claimed" } as const
        }
        if (row.fingerprint !== request.fingerprint) return { _tag: "Conflict" } as const
        return row.outcome === null
          ? ({ _tag: "InProgress" } as const)
          : { _tag: "Replay" as const, outcome: row.outcome }
      }),
    complete: (operation, refCode, token, outcome, at) =>
      Effect.sync(() => {
        const row = tables.claims.get(claimKey(operation, refCode))
        if (row === undefined || row.token !== token || row.outcome !== null) return false
        row.outcome = outcome
        row.completedAt = at
        return true
      }),
    purge: (before, limit) =>
      Effect.sync(() => {
        let purged = 0
        for (const [key, row] of tables.claims) {
          if (purged >= limit) break
          if ((row.completedAt ?? row.claimedAt) < before) {
            tables.claims.delete(key)
            purged++
          }
        }
        return purged
      }),
    release: (operation, refCode, token) =>
      Effect.sync(() => {
        const key = claimKey(operation, refCode)
        const row = tables.claims.get(key)
        if (row !== undefined && row.token === token && row.outcome === null) tables.claims.delete(key)
      })
  })

const balanceOf = (tables: LoyaltyTables, customerId: string) => {
  let points = 0
  let lifetimePoints = 0
  for (const entry of tables.entries) {
    if (entry.customerId !== customerId) continue
    points += entry.type === "EARN" ? entry.points : -entry.points
    if (entry.type === "EARN") lifetimePoints += entry.points
  }
  return { points, lifetimePoints }
}

const byId = (a: Reward, b: Reward) => (a.rewardId < b.rewardId ? -1 : a.rewardId > b.rewardId ? 1 : 0)

export const makeMemoryLoyaltyLedger = (tables: LoyaltyTables) =>
  LoyaltyLedger.of({
    account: (customerId) => Effect.sync(() => balanceOf(tables, customerId)),
    transactions: (customerId, limit) =>
      Effect.sync(() =>
        tables.entries
          .filter((e) => e.customerId === customerId)
          .reverse()
          .slice(0, limit)
          .map((e) => ({
            transactionId: e.transactionId,
            type: e.type,
            points: e.points,
            amount: e.amount,
            refCode: e.refCode,
            createdAt: e.createdAt
          }))
      ),
    post: (entry) =>
      Effect.suspend((): Effect.Effect<PointsResult, InsufficientPoints | RefCodeConflict> => {
        const earlier = tables.entries.find((e) => e.type === entry.type && e.refCode === entry.refCode)
        if (earlier !== undefined) {
          if (!sameRequest(earlier, entry)) return Effect.fail(new RefCodeConflict({ refCode: entry.refCode }))
          return Effect.succeed({
            transactionId: earlier.transactionId,
            points: earlier.points,
            balance: earlier.balanceAfter
          })
        }
        const { points } = balanceOf(tables, entry.customerId)
        if (entry.type === "REDEEM" && entry.points > points) {
          return Effect.fail(new InsufficientPoints({ balance: points, required: entry.points }))
        }
        const balanceAfter = entry.type === "EARN" ? points + entry.points : points - entry.points
        tables.entries.push({ ...entry, balanceAfter })
        return Effect.succeed({ transactionId: entry.transactionId, points: entry.points, balance: balanceAfter })
      }),
    rewards: Effect.sync(() => [...tables.rewards.values()].sort(byId)),
    reward: (rewardId) => Effect.sync(() => tables.rewards.get(rewardId)),
    setReward: (reward) => Effect.sync(() => void tables.rewards.set(reward.rewardId, reward)),
    removeReward: (rewardId) => Effect.sync(() => tables.rewards.delete(rewardId))
  })
