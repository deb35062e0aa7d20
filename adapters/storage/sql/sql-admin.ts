import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { AdminKeys, AuditLog } from "../../../application/ports/admin.ts"
import type { AdminKeyRecord, AuditEntry } from "../../../domain/admin.ts"
import { storageFailure, toDate, toDateOrNull } from "./sql-errors.ts"

interface AdminKeyRow {
  readonly id: number
  readonly name: string
  readonly secret_hash: string
  readonly created_at: unknown
  readonly created_by: string
  readonly expires_at: unknown
  readonly revoked_at: unknown
  readonly last_used_at: unknown
}

const toKey = (row: AdminKeyRow): AdminKeyRecord => ({
  id: Number(row.id),
  name: row.name,
  secretHash: row.secret_hash,
  createdAt: toDate(row.created_at),
  createdBy: row.created_by,
  expiresAt: toDateOrNull(row.expires_at),
  revokedAt: toDateOrNull(row.revoked_at),
  lastUsedAt: toDateOrNull(row.last_used_at)
})

const firstKey = (rows: ReadonlyArray<AdminKeyRow>) => (rows[0] === undefined ? undefined : toKey(rows[0]))

/** Operators' admin keys on the control database's SqlClient (table `admin_keys`). */
export const layerSqlAdminKeys = Layer.effect(
  AdminKeys,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return AdminKeys.of({
      insert: (key) =>
        sql<AdminKeyRow>`
          INSERT INTO admin_keys (name, secret_hash, created_at, created_by, expires_at)
          VALUES (${key.name}, ${key.secretHash}, ${key.createdAt}, ${key.createdBy}, ${key.expiresAt})
          RETURNING *`.pipe(
          Effect.map((rows) => toKey(rows[0]!)),
          storageFailure("insert admin key")
        ),
      findById: (id) =>
        sql<AdminKeyRow>`SELECT * FROM admin_keys WHERE id = ${id}`.pipe(
          Effect.map(firstKey),
          storageFailure("find admin key")
        ),
      list: sql<AdminKeyRow>`SELECT * FROM admin_keys ORDER BY id`.pipe(
        Effect.map((rows) => rows.map(toKey)),
        storageFailure("list admin keys")
      ),
      // Revoking twice keeps the first time: the update only touches a key not yet revoked.
      revoke: (id, at) =>
        sql<AdminKeyRow>`
          WITH updated AS (
            UPDATE admin_keys SET revoked_at = ${at} WHERE id = ${id} AND revoked_at IS NULL RETURNING *
          )
          SELECT * FROM updated UNION ALL SELECT * FROM admin_keys WHERE id = ${id} AND NOT EXISTS (SELECT 1 FROM updated)`.pipe(
          Effect.map(firstKey),
          storageFailure("revoke admin key")
        ),
      touch: (id, at) =>
        sql`UPDATE admin_keys SET last_used_at = ${at} WHERE id = ${id}`.pipe(
          Effect.asVoid,
          storageFailure("touch admin key")
        )
    })
  })
)

interface AuditRow {
  readonly id: unknown
  readonly at: unknown
  readonly actor: string
  readonly action: string
  readonly tenant_id: string | null
  readonly target: string | null
  readonly summary: string
  readonly address: string | null
}

const toEntry = (row: AuditRow): AuditEntry => ({
  id: Number(row.id),
  at: toDate(row.at),
  actor: row.actor,
  action: row.action,
  tenantId: row.tenant_id,
  target: row.target,
  summary: row.summary,
  address: row.address
})

/**
 * The audit log on the control database's SqlClient (table `audit_log`). An action ending in `.`
 * is a resource's prefix, compared with starts_with rather than LIKE, so no character of it is a
 * wildcard.
 */
export const layerSqlAuditLog = Layer.effect(
  AuditLog,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const always = sql.literal("true")
    return AuditLog.of({
      record: (entry) =>
        sql<AuditRow>`
          INSERT INTO audit_log (at, actor, action, tenant_id, target, summary, address)
          VALUES (${entry.at}, ${entry.actor}, ${entry.action}, ${entry.tenantId}, ${entry.target},
                  ${entry.summary}, ${entry.address})
          RETURNING *`.pipe(
          Effect.map((rows) => toEntry(rows[0]!)),
          storageFailure("record an audit entry")
        ),
      list: (query) =>
        sql<AuditRow>`
          SELECT * FROM audit_log
          WHERE ${query.tenantId === null ? always : sql`tenant_id = ${query.tenantId}`}
            AND ${
              query.action === null
                ? always
                : query.action.endsWith(".")
                  ? sql`starts_with(action, ${query.action})`
                  : sql`action = ${query.action}`
            }
            AND ${query.beforeId === null ? always : sql`id < ${query.beforeId}`}
          ORDER BY id DESC
          LIMIT ${Math.max(0, Math.floor(query.limit))}`.pipe(
          Effect.map((rows) => rows.map(toEntry)),
          storageFailure("list audit entries")
        )
    })
  })
)
