import { Clock, Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import type { Loyalty, LoyaltyError } from "../../application/ports/loyalty.ts"
import { InvalidInput } from "../../domain/errors.ts"
import type { LoyaltyTransaction, PointsResult, RedeemRequest } from "../../domain/loyalty.ts"
import { AppConfig } from "../config.ts"
import { LoyaltyGateway } from "../loyalty/loyalty-gateway.ts"
import { Api } from "./api.ts"
import { CurrentTenant } from "./context.ts"
import { requireCustomer } from "./customers-handlers.ts"
import { httpErrors } from "./error-mapping.ts"
import { idempotentResponse } from "./idempotent-response.ts"
import { PointsResultView } from "./loyalty-api.ts"

const transactionView = (t: LoyaltyTransaction) => ({ ...t, createdAt: t.createdAt.toISOString() })

/**
 * The loyalty proxy (SPEC section 11). The order of checks: the tenant's loyalty configuration
 * (503, nothing called), then the customer (404, nothing called), then the refCode claim, then the
 * one upstream call.
 */
export const LoyaltyHandlers = HttpApiBuilder.group(
  Api,
  "loyalty",
  Effect.fn(function* (handlers) {
    const config = yield* AppConfig
    const gateway = yield* LoyaltyGateway
    // The request's deadline starts when its handler does: the customer lookup and the refCode
    // claim count against it, as the upstream call does.
    const loyalty = Effect.flatMap(Effect.all([CurrentTenant, Clock.currentTimeMillis]), ([tenant, now]) =>
      gateway.forTenant(tenant, now)
    )
    /** The backend (503 when unconfigured or its breaker is open), once the customer is known (404). */
    const loyaltyOf = (customerId: string) => Effect.tap(loyalty, () => requireCustomer(customerId))

    /**
     * Earn and redeem: a 400 (`invalid`) or the backend's checks before the refCode is claimed,
     * then the one upstream call under it. The fingerprint is of `request` as understood.
     */
    const changePoints = <Q extends { readonly customerId: string; readonly refCode: string }>(
      operation: string,
      request: Q,
      invalid: string | undefined,
      call: (backend: Loyalty, request: Q) => Effect.Effect<PointsResult, LoyaltyError>
    ) =>
      Effect.gen(function* () {
        const backend = yield* httpErrors(
          Effect.gen(function* () {
            if (invalid !== undefined) return yield* new InvalidInput({ details: invalid })
            return yield* loyaltyOf(request.customerId)
          })
        )
        return yield* idempotentResponse(
          {
            operation,
            refCode: request.refCode,
            request,
            staleAfterMs: 2 * config.loyaltyTimeoutMs,
            retainMs: config.refCodeRetentionMs
          },
          PointsResultView,
          Effect.map(call(backend, request), (value) => ({ status: 200, value }))
        )
      })

    return handlers
      .handle("member", ({ params }) =>
        httpErrors(Effect.flatMap(loyaltyOf(params.customerId), (backend) => backend.member(params.customerId)))
      )
      .handle("transactions", ({ params }) =>
        httpErrors(
          Effect.gen(function* () {
            const transactions = yield* (yield* loyaltyOf(params.customerId)).transactions(params.customerId)
            return { data: transactions.map(transactionView), nextCursor: null }
          })
        )
      )
      .handle("rewards", () =>
        httpErrors(
          Effect.gen(function* () {
            const rewards = yield* (yield* loyalty).rewards
            return { data: [...rewards], nextCursor: null }
          })
        )
      )
      .handle("earn", ({ payload }) =>
        Effect.flatMap(CurrentTenant, (tenant) =>
          changePoints(
            "loyalty.earn",
            // A currency left out is the tenant's: the same request as one that names it.
            {
              customerId: payload.customerId,
              amount: payload.amount,
              currency: tenant.currency,
              orderId: payload.orderId ?? null,
              refCode: payload.refCode
            },
            payload.currency === undefined || payload.currency === tenant.currency
              ? undefined
              : `body.currency: expected this tenant's currency, ${tenant.currency}, got ${JSON.stringify(payload.currency)}`,
            (backend, request) => backend.earn(request)
          )
        )
      )
      .handle("redeem", ({ payload }) => {
        const { customerId, refCode } = payload
        return changePoints<RedeemRequest>(
          "loyalty.redeem",
          payload.rewardId !== undefined
            ? { customerId, rewardId: payload.rewardId, refCode }
            : { customerId, points: payload.points ?? 0, refCode },
          (payload.rewardId === undefined) === (payload.points === undefined)
            ? "body: needs exactly one of rewardId or points"
            : undefined,
          (backend, request) => backend.redeem(request)
        )
      })
  })
)
