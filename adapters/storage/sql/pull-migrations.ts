import { Effect } from "effect"
import { SqlClient } from "effect/sql"

const runEach = (statements: ReadonlyArray<string>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    // One statement at a time: the extended protocol (sql-pg) takes a single statement per query.
    Effect.forEach(statements, (statement) => sql.unsafe(statement), { discard: true })
  )

/**
 * A tenant's sync history says where each sync came from: pushed by the POS, or pulled from its
 * API. Every sync recorded before pulls existed was a push.
 */
export const pullTenantMigration = runEach(["ALTER TABLE syncs ADD COLUMN source text NOT NULL DEFAULT 'push'"])

/**
 * Pull schedules, in the control database: one row per provider. `next_run_at` is claimed with a
 * conditional UPDATE, so that with several instances each due run happens once.
 */
export const pullControlMigration = runEach([
  `CREATE TABLE pull_schedules (
    provider text PRIMARY KEY,
    interval_ms bigint NOT NULL CHECK (interval_ms > 0),
    next_run_at timestamptz NOT NULL,
    last_run_at timestamptz,
    updated_at timestamptz NOT NULL
  )`
])
