import { Clock, Effect } from "effect"
import type { Loyalty } from "../../application/ports/loyalty.ts"
import type { LoyaltyLedger } from "../../application/ports/loyalty-ledger.ts"
import { NotFound } from "../../domain/errors.ts"
import { pointsForAmount, tierFor } from "../../domain/loyalty.ts"

/** How many transactions a member's history shows, newest first. */
export const TRANSACTION_HISTORY_LIMIT = 100

const newTransactionId = () => `ltx_${globalThis.crypto.randomUUID().replaceAll("-", "")}`

const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

/**
 * The loyalty port served from the tenant's own database, for deployments without a
 * loyalty-service: one point per whole currency unit earned (rounded down), rewards set by an
 * operator, and a redeem beyond the balance refused. The refCode is the ledger's idempotency key,
 * as it is the loyalty-service's.
 */
export const makeEmbeddedLoyalty = (ledger: LoyaltyLedger["Service"]): Loyalty => ({
  member: (customerId) =>
    Effect.map(ledger.account(customerId), (account) => ({
      customerId,
      points: account.points,
      tier: tierFor(account.lifetimePoints)
    })),
  transactions: (customerId) => ledger.transactions(customerId, TRANSACTION_HISTORY_LIMIT),
  rewards: ledger.rewards,
  earn: (request) =>
    Effect.flatMap(now, (createdAt) =>
      ledger.post({
        transactionId: newTransactionId(),
        customerId: request.customerId,
        type: "EARN",
        points: pointsForAmount(request.amount, request.currency),
        amount: request.amount,
        currency: request.currency,
        orderId: request.orderId,
        rewardId: null,
        refCode: request.refCode,
        createdAt
      })
    ),
  redeem: (request) =>
    Effect.gen(function* () {
      let points = request.points ?? 0
      if (request.rewardId !== undefined) {
        const reward = yield* ledger.reward(request.rewardId)
        if (reward === undefined) return yield* new NotFound({ resource: "reward", id: request.rewardId })
        points = reward.points
      }
      return yield* ledger.post({
        transactionId: newTransactionId(),
        customerId: request.customerId,
        type: "REDEEM",
        points,
        amount: null,
        currency: null,
        orderId: null,
        rewardId: request.rewardId ?? null,
        refCode: request.refCode,
        createdAt: yield* now
      })
    })
})
