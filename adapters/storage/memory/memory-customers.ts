import { Effect, Semaphore } from "effect"
import { Customers, customerLookupLimit } from "../../../application/ports/customers.ts"
import type { Customer, CustomerKey } from "../../../domain/customer.ts"
import { AlreadyExists } from "../../../domain/errors.ts"

export interface CustomerTable {
  readonly rows: Map<string, Customer>
  /** Upserts run one at a time, as the SQL adapter's match locks would order them. */
  readonly lock: Semaphore.Semaphore
}

export const makeCustomerTable = (): CustomerTable => ({ rows: new Map(), lock: Semaphore.makeUnsafe(1) })

const matches = (customer: Customer, key: CustomerKey) =>
  key._tag === "externalId"
    ? customer.externalId === key.value
    : key._tag === "phone"
      ? customer.phone === key.value
      : customer.email === key.value

const byAge = (a: Customer, b: Customer) =>
  a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

export const makeMemoryCustomers = (table: CustomerTable) => {
  const externalIdTaken = (customer: Customer) =>
    customer.externalId !== null &&
    [...table.rows.values()].some((c) => c.id !== customer.id && c.externalId === customer.externalId)
  const write = (customer: Customer) =>
    Effect.suspend(() => {
      if (externalIdTaken(customer)) {
        return Effect.fail(new AlreadyExists({ resource: "customer with externalId", id: customer.externalId! }))
      }
      table.rows.set(customer.id, customer)
      return Effect.void
    })
  return Customers.of({
    get: (id) => Effect.sync(() => table.rows.get(id)),
    find: (key) =>
      Effect.sync(() =>
        [...table.rows.values()]
          .filter((c) => matches(c, key))
          .sort(byAge)
          .slice(0, customerLookupLimit)
      ),
    withMatchLock: () => (effect) => table.lock.withPermits(1)(effect),
    // Upserts already run one at a time here.
    lock: (id) => Effect.sync(() => table.rows.get(id)),
    insert: write,
    update: write
  })
}
