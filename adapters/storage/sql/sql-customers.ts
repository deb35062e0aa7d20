import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { Customers, customerLookupLimit } from "../../../application/ports/customers.ts"
import type { Customer, CustomerKey } from "../../../domain/customer.ts"
import { AlreadyExists, StorageError } from "../../../domain/errors.ts"
import { inTransaction, storageFailure, toDate } from "./sql-errors.ts"

interface CustomerRow {
  readonly id: string
  readonly external_id: string | null
  readonly name: string
  readonly phone: string | null
  readonly email: string | null
  readonly marketing_opt_in: boolean
  readonly created_at: unknown
  readonly updated_at: unknown
}

const toCustomer = (row: CustomerRow): Customer => ({
  id: row.id,
  externalId: row.external_id,
  name: row.name,
  phone: row.phone,
  email: row.email,
  marketingOptIn: row.marketing_opt_in,
  createdAt: toDate(row.created_at),
  updatedAt: toDate(row.updated_at)
})

export const makeSqlCustomers = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const column = (key: CustomerKey) =>
    key._tag === "externalId" ? sql`external_id` : key._tag === "phone" ? sql`phone` : sql`email`
  const taken = (customer: Customer) => () =>
    Effect.fail(new AlreadyExists({ resource: "customer with externalId", id: customer.externalId ?? "" }))

  return Customers.of({
    get: (id) =>
      sql<CustomerRow>`SELECT * FROM customers WHERE id = ${id}`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : toCustomer(rows[0]))),
        storageFailure("get customer")
      ),
    find: (key) =>
      sql<CustomerRow>`SELECT * FROM customers WHERE ${column(key)} = ${key.value} ORDER BY created_at, id LIMIT ${customerLookupLimit}`.pipe(
        Effect.map((rows) => rows.map(toCustomer)),
        storageFailure("find customers")
      ),
    // Keyed by schema too: tenants sharing a database (a schema each) have separate customers.
    // Sorted, so two upserts that share keys take them in the same order and cannot deadlock.
    withMatchLock: (keys) => (effect) =>
      inTransaction(
        sql,
        "customer upsert transaction"
      )(
        Effect.andThen(
          Effect.forEach(
            [...new Set(keys)].sort(),
            (key) =>
              sql`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ${`:customer:${key}`}))`.pipe(
                storageFailure("lock customer keys")
              ),
            { discard: true }
          ),
          effect
        )
      ),
    lock: (id) =>
      sql<CustomerRow>`SELECT * FROM customers WHERE id = ${id} FOR UPDATE`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : toCustomer(rows[0]))),
        storageFailure("lock customer")
      ),
    insert: (c) =>
      sql`
        INSERT INTO customers (id, external_id, name, phone, email, marketing_opt_in, created_at, updated_at)
        VALUES (${c.id}, ${c.externalId}, ${c.name}, ${c.phone}, ${c.email}, ${c.marketingOptIn}, ${c.createdAt}, ${c.updatedAt})`.pipe(
        Effect.asVoid,
        Effect.catchReason("SqlError", "UniqueViolation", taken(c)),
        Effect.catchTag("SqlError", (cause) => Effect.fail(new StorageError({ operation: "insert customer", cause })))
      ),
    update: (c) =>
      sql`
        UPDATE customers SET external_id = ${c.externalId}, name = ${c.name}, phone = ${c.phone}, email = ${c.email},
          marketing_opt_in = ${c.marketingOptIn}, updated_at = ${c.updatedAt}
        WHERE id = ${c.id}`.pipe(
        Effect.asVoid,
        Effect.catchReason("SqlError", "UniqueViolation", taken(c)),
        Effect.catchTag("SqlError", (cause) => Effect.fail(new StorageError({ operation: "update customer", cause })))
      )
  })
})

export const layerSqlCustomers = Layer.effect(Customers, makeSqlCustomers)
