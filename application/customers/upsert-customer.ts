import { Clock, Effect } from "effect"
import { type Customer, newCustomerId, normaliseEmail } from "../../domain/customer.ts"
import { InvalidInput } from "../../domain/errors.ts"
import type { Tenant } from "../../domain/tenant.ts"
import { Customers } from "../ports/customers.ts"
import { normalisePhone } from "./phone.ts"

export interface CustomerInput {
  readonly externalId?: string | undefined
  readonly name: string
  readonly phone?: string | undefined
  readonly email?: string | undefined
  readonly marketingOptIn?: boolean | undefined
}

/** An upsert as stored and matched: the keys normalised, the name trimmed. */
export interface PreparedUpsert {
  readonly externalId: string | undefined
  readonly phone: string | undefined
  readonly email: string | undefined
  readonly name: string
  readonly marketingOptIn: boolean | undefined
}

/**
 * Validates and normalises an upsert before anything is claimed or written: a phone or email that
 * cannot be one is a 400 naming the field.
 */
export const prepareUpsert = (tenant: Tenant, input: CustomerInput): Effect.Effect<PreparedUpsert, InvalidInput> => {
  const problems: Array<string> = []
  const phone = input.phone === undefined ? undefined : normalisePhone(input.phone, tenant.country)
  if (input.phone !== undefined && phone === undefined) {
    problems.push(
      `body.phone: is not a valid phone number (default region ${tenant.country}), got ${JSON.stringify(input.phone)}`
    )
  }
  const email = input.email === undefined ? undefined : normaliseEmail(input.email)
  if (input.email !== undefined && email === undefined) {
    problems.push(`body.email: is not a valid email address, got ${JSON.stringify(input.email)}`)
  }
  if (input.externalId === undefined && input.phone === undefined && input.email === undefined) {
    problems.push("body: needs an externalId, a phone or an email to match the customer on")
  }
  return problems.length > 0
    ? Effect.fail(new InvalidInput({ details: problems.join("; ") }))
    : Effect.succeed({
        externalId: input.externalId,
        phone,
        email,
        name: input.name.trim(),
        marketingOptIn: input.marketingOptIn
      })
}

const changed = (a: Customer, b: Customer) =>
  a.externalId !== b.externalId ||
  a.name !== b.name ||
  a.phone !== b.phone ||
  a.email !== b.email ||
  a.marketingOptIn !== b.marketingOptIn

/**
 * POST /customers: matched by externalId when one is given (an externalId that matches nobody
 * creates a customer), else by phone in E.164, then by lower-cased email; the oldest match wins.
 * Fields the request leaves out keep their stored values. The finds and the write run under the
 * match keys' lock, so concurrent upserts of one customer create it once.
 */
export const applyUpsert = (keys: PreparedUpsert) =>
  Effect.gen(function* () {
    const customers = yield* Customers
    const input = keys
    const lockKeys = [
      keys.externalId === undefined ? undefined : `externalId:${keys.externalId}`,
      keys.phone === undefined ? undefined : `phone:${keys.phone}`,
      keys.email === undefined ? undefined : `email:${keys.email}`
    ].filter((k) => k !== undefined)
    return yield* customers.withMatchLock(lockKeys)(
      Effect.gen(function* () {
        const now = new Date(yield* Clock.currentTimeMillis)
        const found =
          keys.externalId !== undefined
            ? (yield* customers.find({ _tag: "externalId", value: keys.externalId }))[0]
            : ((keys.phone === undefined
                ? undefined
                : (yield* customers.find({ _tag: "phone", value: keys.phone }))[0]) ??
              (keys.email === undefined ? undefined : (yield* customers.find({ _tag: "email", value: keys.email }))[0]))
        // Another upsert may have matched the same customer by another key: take its row's lock
        // and merge into the row as it is now.
        const match = found === undefined ? undefined : yield* customers.lock(found.id)
        if (match === undefined) {
          const customer: Customer = {
            id: newCustomerId(),
            externalId: keys.externalId ?? null,
            name: input.name,
            phone: keys.phone ?? null,
            email: keys.email ?? null,
            marketingOptIn: input.marketingOptIn ?? false,
            createdAt: now,
            updatedAt: now
          }
          yield* customers.insert(customer)
          return { customer, created: true }
        }
        const merged: Customer = {
          ...match,
          externalId: keys.externalId ?? match.externalId,
          name: input.name,
          phone: keys.phone ?? match.phone,
          email: keys.email ?? match.email,
          marketingOptIn: input.marketingOptIn ?? match.marketingOptIn
        }
        if (!changed(match, merged)) return { customer: match, created: false }
        const updated = { ...merged, updatedAt: now }
        yield* customers.update(updated)
        return { customer: updated, created: false }
      })
    )
  })

export const upsertCustomer = (tenant: Tenant, input: CustomerInput) =>
  Effect.flatMap(prepareUpsert(tenant, input), applyUpsert)

/** GET /customers?phone=|email=|externalId=: exactly one key, normalised as an upsert would. */
export const findCustomers = (
  tenant: Tenant,
  query: {
    readonly phone?: string | undefined
    readonly email?: string | undefined
    readonly externalId?: string | undefined
  }
) =>
  Effect.gen(function* () {
    const given = (["phone", "email", "externalId"] as const).filter((k) => query[k] !== undefined)
    if (given.length !== 1) {
      return yield* new InvalidInput({ details: "query: needs exactly one of phone, email or externalId" })
    }
    const customers = yield* Customers
    if (query.externalId !== undefined) return yield* customers.find({ _tag: "externalId", value: query.externalId })
    if (query.phone !== undefined) {
      // A `+` sent unescaped in a query string arrives as a space: `?phone=+6591234567` is international.
      const phone = normalisePhone(query.phone.replace(/^ (?=\d)/, "+"), tenant.country)
      if (phone === undefined) {
        return yield* new InvalidInput({
          details: `query.phone: is not a valid phone number, got ${JSON.stringify(query.phone)}`
        })
      }
      return yield* customers.find({ _tag: "phone", value: phone })
    }
    const email = normaliseEmail(query.email ?? "")
    if (email === undefined) {
      return yield* new InvalidInput({
        details: `query.email: is not a valid email address, got ${JSON.stringify(query.email)}`
      })
    }
    return yield* customers.find({ _tag: "email", value: email })
  })
