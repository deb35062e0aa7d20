import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * A tenant's partner webhook endpoints. Event types are one space-separated text (empty: every
 * type), as OAuth clients keep their scopes; the secrets are sealed (text `v1.<keyId>....`), each
 * bound to its endpoint and column. The secret before a rotation stays in the same row with the
 * time it stops signing, so a delivery reads one row.
 *
 * The id is `COLLATE "C"`: endpoints are listed by creation then id, compared byte-wise as the
 * in-memory adapter compares strings. An endpoint is found by owner with `owners @> ARRAY[owner]`,
 * which the GIN index serves (it does not serve `owner = ANY(owners)`); the table is small, but the
 * lookup runs for every order event, so it should not grow with the tenant's other endpoints.
 */
export const webhookEndpointsMigration = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  // One statement at a time: the extended protocol (sql-pg) takes a single statement per query.
  Effect.forEach(
    [
      `CREATE TABLE webhook_endpoints (
        id text COLLATE "C" PRIMARY KEY,
        owners text[] NOT NULL,
        url text NOT NULL,
        event_types text NOT NULL,
        description text NOT NULL,
        enabled boolean NOT NULL,
        disabled_reason text,
        secret text NOT NULL,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`,
      "CREATE INDEX webhook_endpoints_owners ON webhook_endpoints USING gin (owners)"
    ],
    (statement) => sql.unsafe(statement),
    { discard: true }
  )
)
