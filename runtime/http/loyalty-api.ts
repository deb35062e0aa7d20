import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import type { Scope } from "../../domain/api-key.ts"
import { secured } from "./api-middleware.ts"
import { Currency, DateTime, doc, NextCursor } from "./api-types.ts"
import { RequiredScopes } from "./context.ts"
import { RefCode } from "./customers-api.ts"
import {
  BadGatewayJson,
  BadRequestJson,
  ConflictJson,
  GatewayTimeoutJson,
  NotFoundJson,
  ServiceUnavailableJson
} from "./errors.ts"

/**
 * Amounts and points up to 10^12: far beyond any order (ten billion in a two-decimal currency),
 * and small enough that balances stay exact integers.
 */
const Points = Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 1e12 })))
const Id = Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(128)))
const CustomerId = Id.annotate({ description: "Our customer id", examples: ["cus_0f6a1d2b3c4d5e6f7a8b9c0d1e2f3a4b"] })
const PointCount = Schema.Int.annotate({ description: "Loyalty points" })

/**
 * The tier is the loyalty-service's word: the embedded ledger answers bronze, silver or gold, and a
 * tenant's own loyalty-service may define others, so a client must accept any string.
 */
const Tier = Schema.String.annotate({
  description:
    "The member's tier as the loyalty-service names it: the embedded ledger answers bronze, silver (from 1,000 points ever earned) or gold (from 5,000); a tenant's own loyalty-service may answer others",
  examples: ["bronze", "silver", "gold"]
})

export const Member = Schema.Struct({ customerId: Schema.String, points: PointCount, tier: Tier }).annotate({
  identifier: "LoyaltyMember"
})

export const Transaction = Schema.Struct({
  transactionId: Schema.String,
  type: Schema.Literals(["EARN", "REDEEM"]),
  points: PointCount,
  amount: Schema.NullOr(Schema.Int.annotate({ description: "The amount earned on, in minor units" })),
  refCode: Schema.String,
  createdAt: DateTime
}).annotate({ identifier: "LoyaltyTransaction" })

export const RewardView = Schema.Struct({ rewardId: Schema.String, name: Schema.String, points: PointCount }).annotate({
  identifier: "Reward"
})

export const PointsResultView = Schema.Struct({
  transactionId: Schema.String,
  points: PointCount,
  balance: PointCount
}).annotate({ identifier: "PointsResult" })

export const EarnPayload = Schema.Struct({
  customerId: CustomerId,
  amount: Points.annotate({ description: "Minor units of the tenant's currency, 0 to 10^12", examples: [4590] }),
  currency: Schema.optional(
    Currency.annotate({ description: "The tenant's currency (the default); any other is a 400" })
  ),
  // optionalKey: null and absent both mean no order, and `optional` would document null twice.
  orderId: Schema.optionalKey(Schema.NullOr(Id)),
  refCode: RefCode
}).annotate({
  identifier: "LoyaltyEarn",
  description: "Points earned on an amount: one point per whole currency unit on the embedded ledger",
  examples: [{ customerId: "cus_0f6a1d2b3c4d5e6f7a8b9c0d1e2f3a4b", amount: 4590, refCode: "order-1001" }]
})

export const RedeemPayload = Schema.Struct({
  customerId: CustomerId,
  rewardId: Schema.optional(Id.annotate({ description: "A reward of GET /loyalty/rewards" })),
  points: Schema.optional(
    Points.pipe(Schema.check(Schema.isGreaterThan(0))).annotate({ description: "Points to redeem, 1 to 10^12" })
  ),
  refCode: RefCode
}).annotate({
  identifier: "LoyaltyRedeem",
  description: "Redeem a reward or a number of points: exactly one of rewardId and points",
  examples: [
    { customerId: "cus_0f6a1d2b3c4d5e6f7a8b9c0d1e2f3a4b", rewardId: "free-coffee", refCode: "redeem-77" },
    { customerId: "cus_0f6a1d2b3c4d5e6f7a8b9c0d1e2f3a4b", points: 250, refCode: "redeem-78" }
  ]
})

/**
 * The loyalty-service contract has no pagination: one page, nextCursor null. Declared as every list
 * is, so a client pages the same way everywhere.
 */
const list = <S extends Schema.Top>(item: S) => Schema.Struct({ data: Schema.Array(item), nextCursor: NextCursor })

/** Every status SPEC section 11 maps the loyalty-service's answers to. */
const errors = [BadRequestJson, NotFoundJson, ConflictJson, BadGatewayJson, ServiceUnavailableJson, GatewayTimeoutJson]
const needs = (scopes: ReadonlyArray<Scope>) => RequiredScopes.context(scopes)

export const LoyaltyGroup = secured(
  HttpApiGroup.make("loyalty").add(
    HttpApiEndpoint.get("member", "/loyalty/members/:customerId", {
      params: { customerId: Schema.String },
      success: Member,
      error: errors
    })
      .annotateMerge(needs(["loyalty:read"]))
      .annotateMerge(
        doc(
          "Get a loyalty member",
          "The member's points and tier, from the tenant's loyalty-service, or the embedded ledger when none is configured. Reads are retried at most 3 times within one deadline. 404: unknown customer (checked before any upstream call), or unknown to the loyalty-service. 502 `upstream error`: the loyalty-service failed, answered garbage or refused our credential. 503 `not configured`: the tenant has no loyalty credential yet (no upstream call is made); 503 `temporarily unavailable` with `Retry-After`: the circuit breaker is open. 504 `upstream timeout`: no answer within LOYALTY_TIMEOUT_MS (5 s), retries included."
        )
      ),
    HttpApiEndpoint.get("transactions", "/loyalty/members/:customerId/transactions", {
      params: { customerId: Schema.String },
      success: list(Transaction),
      error: errors
    })
      .annotateMerge(needs(["loyalty:read"]))
      .annotateMerge(
        doc(
          "List a member's transactions",
          "The member's latest 100 transactions, newest first; one page, `nextCursor` null. 404: unknown customer. 502 `upstream error`: the loyalty-service failed, answered garbage or refused our credential. 503 `not configured`: the tenant has no loyalty credential yet (no upstream call is made); 503 `temporarily unavailable` with `Retry-After`: the circuit breaker is open. 504 `upstream timeout`: no answer within LOYALTY_TIMEOUT_MS (5 s), retries included."
        )
      ),
    HttpApiEndpoint.get("rewards", "/loyalty/rewards", {
      success: list(RewardView),
      error: errors
    })
      .annotateMerge(needs(["loyalty:read"]))
      .annotateMerge(
        doc(
          "List rewards",
          "The rewards a member can redeem, with their cost in points; one page, `nextCursor` null. 502 `upstream error`: the loyalty-service failed, answered garbage or refused our credential. 503 `not configured`: the tenant has no loyalty credential yet (no upstream call is made); 503 `temporarily unavailable` with `Retry-After`: the circuit breaker is open. 504 `upstream timeout`: no answer within LOYALTY_TIMEOUT_MS (5 s), retries included."
        )
      ),
    HttpApiEndpoint.post("earn", "/loyalty/earn", {
      payload: EarnPayload,
      success: PointsResultView,
      error: errors
    })
      .annotateMerge(needs(["loyalty:write"]))
      .annotateMerge(
        doc(
          "Earn points",
          "Points earned on an amount in minor units of the tenant's currency (the embedded ledger: one point per whole currency unit, rounded down). Idempotent by `refCode`: the same refCode with the same request replays the first answer byte for byte, with no second effect; with another request it is a 409 `refcode conflict`; while the first is still running, a 409 `request in progress`. Validation (400), an unknown customer (404) and the loyalty configuration (503) are decided before the refCode is claimed, so they do not use it up. 400: validation, or a `currency` other than the tenant's; an upstream 400 passes through. 404: unknown customer. 409: refCode conflicts as above; an upstream 409 passes through. 502 `upstream error`: the loyalty-service failed, answered garbage or refused our credential. 503 `not configured`: the tenant has no loyalty credential yet (no upstream call is made); 503 `temporarily unavailable` with `Retry-After`: the circuit breaker is open. 504 `upstream timeout`: no answer within LOYALTY_TIMEOUT_MS (5 s), retries included."
        )
      ),
    HttpApiEndpoint.post("redeem", "/loyalty/redeem", {
      payload: RedeemPayload,
      success: PointsResultView,
      error: errors
    })
      .annotateMerge(needs(["loyalty:write"]))
      .annotateMerge(
        doc(
          "Redeem a reward or points",
          "Redeems one reward (`rewardId`) or a number of points (`points`): exactly one of the two. Idempotent by `refCode`: the same refCode with the same request replays the first answer byte for byte, with no second effect; with another request it is a 409 `refcode conflict`; while the first is still running, a 409 `request in progress`. Validation (400), an unknown customer (404) and the loyalty configuration (503) are decided before the refCode is claimed, so they do not use it up. 400: validation (neither or both of rewardId and points). 404: unknown customer or reward. 409 `insufficient points`: more than the balance (a final answer, replayed for the same refCode); refCode conflicts as above. 502 `upstream error`: the loyalty-service failed, answered garbage or refused our credential. 503 `not configured`: the tenant has no loyalty credential yet (no upstream call is made); 503 `temporarily unavailable` with `Retry-After`: the circuit breaker is open. 504 `upstream timeout`: no answer within LOYALTY_TIMEOUT_MS (5 s), retries included."
        )
      )
  )
).annotateMerge(
  OpenApi.annotations({
    title: "Loyalty",
    description: "A proxy to the tenant's loyalty-service, or the embedded ledger when none is configured"
  })
)
