import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import type { Scope } from "../../domain/api-key.ts"
import { secured } from "./api-middleware.ts"
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

export const Member = Schema.Struct({ customerId: Schema.String, points: Schema.Int, tier: Schema.String }).annotate({
  identifier: "LoyaltyMember"
})

export const Transaction = Schema.Struct({
  transactionId: Schema.String,
  type: Schema.Literals(["EARN", "REDEEM"]),
  points: Schema.Int,
  amount: Schema.NullOr(Schema.Int),
  refCode: Schema.String,
  createdAt: Schema.String
}).annotate({ identifier: "LoyaltyTransaction" })

export const RewardView = Schema.Struct({ rewardId: Schema.String, name: Schema.String, points: Schema.Int }).annotate({
  identifier: "Reward"
})

export const PointsResultView = Schema.Struct({
  transactionId: Schema.String,
  points: Schema.Int,
  balance: Schema.Int
}).annotate({ identifier: "PointsResult" })

export const EarnPayload = Schema.Struct({
  customerId: Id,
  /** Minor units of the tenant's currency. */
  amount: Points,
  currency: Schema.optional(Schema.String),
  orderId: Schema.optional(Schema.NullOr(Id)),
  refCode: RefCode
}).annotate({ identifier: "LoyaltyEarn" })

export const RedeemPayload = Schema.Struct({
  customerId: Id,
  rewardId: Schema.optional(Id),
  points: Schema.optional(Points.pipe(Schema.check(Schema.isGreaterThan(0)))),
  refCode: RefCode
}).annotate({ identifier: "LoyaltyRedeem" })

const list = <S extends Schema.Top>(item: S) => Schema.Struct({ data: Schema.Array(item), nextCursor: Schema.Null })

/** Every status SPEC section 11 maps the loyalty-service's answers to. */
const errors = [BadRequestJson, NotFoundJson, ConflictJson, BadGatewayJson, ServiceUnavailableJson, GatewayTimeoutJson]
const needs = (scopes: ReadonlyArray<Scope>) => RequiredScopes.context(scopes)

export const LoyaltyGroup = secured(
  HttpApiGroup.make("loyalty").add(
    HttpApiEndpoint.get("member", "/loyalty/members/:customerId", {
      params: { customerId: Schema.String },
      success: Member,
      error: errors
    }).annotateMerge(needs(["loyalty:read"])),
    HttpApiEndpoint.get("transactions", "/loyalty/members/:customerId/transactions", {
      params: { customerId: Schema.String },
      success: list(Transaction),
      error: errors
    }).annotateMerge(needs(["loyalty:read"])),
    HttpApiEndpoint.get("rewards", "/loyalty/rewards", { success: list(RewardView), error: errors }).annotateMerge(
      needs(["loyalty:read"])
    ),
    HttpApiEndpoint.post("earn", "/loyalty/earn", {
      payload: EarnPayload,
      success: PointsResultView,
      error: errors
    }).annotateMerge(needs(["loyalty:write"])),
    HttpApiEndpoint.post("redeem", "/loyalty/redeem", {
      payload: RedeemPayload,
      success: PointsResultView,
      error: errors
    }).annotateMerge(needs(["loyalty:write"]))
  )
).annotateMerge(
  OpenApi.annotations({
    title: "Loyalty",
    description: "A proxy to the tenant's loyalty-service, or the embedded ledger when none is configured"
  })
)
