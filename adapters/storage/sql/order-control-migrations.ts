import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * The control database's part of orders: the due index (which tenants have order deliveries due,
 * so the dispatcher opens only their pools), and each tenant's tax defaults, set by operators: the
 * rate an order line takes when neither its product nor its outlet gives one, and whether prices
 * include tax where the outlet does not say (most consumer prices outside North America do).
 */
export const orderControlMigration = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  // One statement at a time: the extended protocol (sql-pg) takes a single statement per query.
  Effect.forEach(
    [
      `CREATE TABLE order_due (
        tenant_id text PRIMARY KEY,
        due_at timestamptz NOT NULL,
        version bigint NOT NULL
      )`,
      "CREATE INDEX order_due_due_at ON order_due (due_at)",
      "ALTER TABLE tenants ADD COLUMN tax_inclusive boolean NOT NULL DEFAULT true",
      "ALTER TABLE tenants ADD COLUMN tax_rate_ppm integer CHECK (tax_rate_ppm BETWEEN 0 AND 1000000)"
    ],
    (statement) => sql.unsafe(statement),
    { discard: true }
  )
)
