import { Clock, Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { InvalidInput } from "../../domain/errors.ts"
import type { LoyaltyTransaction } from "../../domain/loyalty.ts"
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
    const refCodeOptions = (operation: string, refCode: string, request: unknown) => ({
      operation,
      refCode,
      request,
      staleAfterMs: 2 * config.loyaltyTimeoutMs,
      retainMs: config.refCodeRetentionMs
    })
    return handlers
      .handle("member", ({ params }) =>
        httpErrors(
          Effect.gen(function* () {
            const backend = yield* loyalty
            yield* requireCustomer(params.customerId)
            return yield* backend.member(params.customerId)
          })
        )
      )
      .handle("transactions", ({ params }) =>
        httpErrors(
          Effect.gen(function* () {
            const backend = yield* loyalty
            yield* requireCustomer(params.customerId)
            const transactions = yield* backend.transactions(params.customerId)
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
        Effect.gen(function* () {
          const tenant = yield* CurrentTenant
          const checked = yield* httpErrors(
            Effect.gen(function* () {
              if (payload.currency !== undefined && payload.currency !== tenant.currency) {
                return yield* new InvalidInput({
                  details: `body.currency: this tenant's amounts are in ${tenant.currency}, got '${payload.currency}'`
                })
              }
              const backend = yield* loyalty
              yield* requireCustomer(payload.customerId)
              return backend
            })
          )
          const request = {
            customerId: payload.customerId,
            amount: payload.amount,
            currency: tenant.currency,
            orderId: payload.orderId ?? null,
            refCode: payload.refCode
          }
          // The fingerprint is of the request as understood: a currency left out is the tenant's.
          return yield* idempotentResponse(
            refCodeOptions("loyalty.earn", payload.refCode, request),
            PointsResultView,
            Effect.map(checked.earn(request), (value) => ({ status: 200, value }))
          )
        })
      )
      .handle("redeem", ({ payload }) =>
        Effect.gen(function* () {
          const checked = yield* httpErrors(
            Effect.gen(function* () {
              if ((payload.rewardId === undefined) === (payload.points === undefined)) {
                return yield* new InvalidInput({ details: "body: give exactly one of rewardId or points" })
              }
              const backend = yield* loyalty
              yield* requireCustomer(payload.customerId)
              return backend
            })
          )
          const request =
            payload.rewardId !== undefined
              ? { customerId: payload.customerId, rewardId: payload.rewardId, refCode: payload.refCode }
              : { customerId: payload.customerId, points: payload.points ?? 0, refCode: payload.refCode }
          return yield* idempotentResponse(
            refCodeOptions("loyalty.redeem", payload.refCode, request),
            PointsResultView,
            Effect.map(checked.redeem(request), (value) => ({ status: 200, value }))
          )
        })
      )
  })
)
