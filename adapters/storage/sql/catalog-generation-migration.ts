import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * The tenant's catalog generation: one row, one counter, incremented in the same transaction as
 * every write that can change what an outlet's effective menu shows (a catalog sync's apply, a POS
 * delivery that changes a snooze). Reading it is the cheap half of an effective-menu answer's key.
 */
export const catalogGenerationMigration = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(
    [
      `CREATE TABLE catalog_generation (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        generation bigint NOT NULL
      )`,
      "INSERT INTO catalog_generation (id, generation) VALUES (true, 0)"
    ],
    (statement) => sql.unsafe(statement),
    { discard: true }
  )
)

/** Increments the tenant's catalog generation (run inside the writing transaction). */
export const bumpCatalogGeneration = (sql: SqlClient.SqlClient) =>
  sql`UPDATE catalog_generation SET generation = generation + 1`
