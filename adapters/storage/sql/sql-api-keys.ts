import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { ApiKeys } from "../../../application/ports/api-keys.ts"
import type { ApiKeyRecord, KeyKind, Scope } from "../../../domain/api-key.ts"
import { storageFailure, toDate, toDateOrNull } from "./sql-errors.ts"

interface ApiKeyRow {
  readonly id: number
  readonly name: string
  readonly kind: string
  readonly scopes: string
  readonly secret_hash: string
  readonly expires_at: unknown
  readonly revoked_at: unknown
  readonly last_used_at: unknown
  readonly created_at: unknown
}

const toRecord = (row: ApiKeyRow): ApiKeyRecord => ({
  id: Number(row.id),
  name: row.name,
  kind: row.kind as KeyKind,
  scopes: row.scopes === "" ? [] : (row.scopes.split(" ") as Array<Scope>),
  secretHash: row.secret_hash,
  expiresAt: toDateOrNull(row.expires_at),
  revokedAt: toDateOrNull(row.revoked_at),
  lastUsedAt: toDateOrNull(row.last_used_at),
  createdAt: toDate(row.created_at)
})

const first = (rows: ReadonlyArray<ApiKeyRow>) => (rows[0] === undefined ? undefined : toRecord(rows[0]))

/** A tenant's API keys on the tenant's SqlClient (its own database, or its schema by search_path). */
export const layerSqlApiKeys = Layer.effect(
  ApiKeys,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return ApiKeys.of({
      insert: (key) =>
        sql<ApiKeyRow>`
          INSERT INTO api_keys (name, kind, scopes, secret_hash, expires_at, created_at)
          VALUES (${key.name}, ${key.kind}, ${key.scopes.join(" ")}, ${key.secretHash}, ${key.expiresAt}, ${key.createdAt})
          RETURNING *`.pipe(
          Effect.map((rows) => toRecord(rows[0]!)),
          storageFailure("insert api key")
        ),
      findById: (id) =>
        sql<ApiKeyRow>`SELECT * FROM api_keys WHERE id = ${id}`.pipe(Effect.map(first), storageFailure("find api key")),
      list: sql<ApiKeyRow>`SELECT * FROM api_keys ORDER BY id`.pipe(
        Effect.map((rows) => rows.map(toRecord)),
        storageFailure("list api keys")
      ),
      liveIds: (at) =>
        sql<{ readonly id: number }>`
          SELECT id FROM api_keys
          WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ${at})`.pipe(
          Effect.map((rows) => new Set(rows.map((row) => Number(row.id)))),
          storageFailure("list live api key ids")
        ),
      // Revoking twice keeps the first time: the update only touches a key not yet revoked.
      revoke: (id, at) =>
        sql<ApiKeyRow>`
          WITH updated AS (
            UPDATE api_keys SET revoked_at = ${at} WHERE id = ${id} AND revoked_at IS NULL RETURNING *
          )
          SELECT * FROM updated UNION ALL SELECT * FROM api_keys WHERE id = ${id} AND NOT EXISTS (SELECT 1 FROM updated)`.pipe(
          Effect.map(first),
          storageFailure("revoke api key")
        ),
      // LEAST passes over a NULL: a key that never expired now expires at `at`.
      expireBy: (id, at) =>
        sql<ApiKeyRow>`UPDATE api_keys SET expires_at = LEAST(expires_at, ${at}) WHERE id = ${id} RETURNING *`.pipe(
          Effect.map(first),
          storageFailure("expire api key")
        ),
      touch: (id, at) =>
        sql`UPDATE api_keys SET last_used_at = ${at} WHERE id = ${id}`.pipe(
          Effect.asVoid,
          storageFailure("touch api key")
        )
    })
  })
)
