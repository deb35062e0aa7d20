import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Rate limits in the control database: each tenant's limits (set by operators, read with the
 * tenant), and the token buckets every instance on this database shares (used on PostgreSQL; the
 * embedded default keeps its buckets in memory). `granted` is what the last take handed out, so
 * one upsert can both take and tell.
 */
export const rateLimitControlMigration = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(
    [
      "ALTER TABLE tenants ADD COLUMN rate_limits jsonb NOT NULL DEFAULT '{}'::jsonb",
      `CREATE TABLE rate_limit_buckets (
        bucket text PRIMARY KEY,
        tokens double precision NOT NULL,
        at_ms bigint NOT NULL,
        granted double precision NOT NULL
      )`
    ],
    (statement) => sql.unsafe(statement),
    { discard: true }
  )
)
