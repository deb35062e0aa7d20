import { hostname } from "node:os"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { DatabaseUsage } from "../../../application/ports/database-usage.ts"
import { storageFailure } from "./sql-errors.ts"

/**
 * The `application_name` this process's PostgreSQL connections carry: the service, the host and
 * the process, so that pg_stat_activity tells one instance's connections from another's.
 */
export const applicationName = `pos-integration ${hostname()}:${process.pid}`.slice(0, 63)

interface UsageRow {
  readonly state: string
  readonly connections: unknown
  readonly waiting: unknown
}

/**
 * This process's connections as PostgreSQL sees them (pg_stat_activity on the control database):
 * every pool it has open on that server, by state, and how many wait on a lock. Tenants with a
 * database on another server are not counted.
 */
export const layerPostgresDatabaseUsage = Layer.effect(
  DatabaseUsage,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return DatabaseUsage.of({
      usage: sql<UsageRow>`
        SELECT coalesce(state, 'unknown') AS state, count(*) AS connections,
               count(*) FILTER (WHERE wait_event_type = 'Lock') AS waiting
        FROM pg_stat_activity WHERE application_name = ${applicationName}
        GROUP BY 1`.pipe(
        Effect.map((rows) => ({
          connections: Object.fromEntries(rows.map((row) => [row.state, Number(row.connections)])),
          waiting: rows.reduce((total, row) => total + Number(row.waiting), 0)
        })),
        storageFailure("read database usage")
      )
    })
  })
)
