import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { applyUpsert, findCustomers, prepareUpsert } from "../../application/customers/upsert-customer.ts"
import { Customers } from "../../application/ports/customers.ts"
import type { Customer } from "../../domain/customer.ts"
import { NotFound } from "../../domain/errors.ts"
import { AppConfig } from "../config.ts"
import { Api } from "./api.ts"
import { CurrentTenant } from "./context.ts"
import { CustomerView } from "./customers-api.ts"
import { httpErrors } from "./error-mapping.ts"
import { idempotentResponse } from "./idempotent-response.ts"

export const customerView = (c: Customer): typeof CustomerView.Type => ({
  customerId: c.id,
  externalId: c.externalId,
  name: c.name,
  phone: c.phone,
  email: c.email,
  marketingOptIn: c.marketingOptIn,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString()
})

const given = <A>(value: A | null | undefined): A | undefined => (value === null ? undefined : value)

/** Looks the customer up in the tenant, or fails with the 404 SPEC section 11 wants before any upstream call. */
export const requireCustomer = (customerId: string) =>
  Effect.flatMap(Customers, (customers) =>
    Effect.flatMap(customers.get(customerId), (customer) =>
      customer === undefined
        ? Effect.fail(new NotFound({ resource: "customer", id: customerId }))
        : Effect.succeed(customer)
    )
  )

export const CustomersHandlers = HttpApiBuilder.group(
  Api,
  "customers",
  Effect.fn(function* (handlers) {
    const config = yield* AppConfig
    return handlers
      .handle("upsert", ({ payload }) =>
        Effect.gen(function* () {
          const tenant = yield* CurrentTenant
          // Validation comes before the claim (a 400 does not use up the refCode), and the
          // fingerprint is of the normalised request: `9123 4567` and `+6591234567` are one phone.
          const prepared = yield* httpErrors(
            prepareUpsert(tenant, {
              externalId: given(payload.externalId),
              name: payload.name,
              phone: given(payload.phone),
              email: given(payload.email),
              marketingOptIn: given(payload.marketingOptIn)
            })
          )
          return yield* idempotentResponse(
            {
              operation: "customers.upsert",
              refCode: payload.refCode,
              request: prepared,
              staleAfterMs: 2 * config.loyaltyTimeoutMs,
              retainMs: config.refCodeRetentionMs
            },
            CustomerView,
            Effect.map(applyUpsert(prepared), ({ customer, created }) => ({
              status: created ? 201 : 200,
              value: customerView(customer)
            }))
          )
        })
      )
      .handle("get", ({ params }) => httpErrors(Effect.map(requireCustomer(params.customerId), customerView)))
      .handle("find", ({ query }) =>
        httpErrors(
          Effect.gen(function* () {
            const found = yield* findCustomers(yield* CurrentTenant, query)
            return { data: found.map(customerView), nextCursor: null }
          })
        )
      )
  })
)
