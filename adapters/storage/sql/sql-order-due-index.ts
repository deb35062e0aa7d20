import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { OrderDueIndex } from "../../../application/ports/order-due-index.ts"
import { storageFailure, toDate, toDateOrNull } from "./sql-errors.ts"

interface DueRow {
  readonly tenant_id: string
  readonly due_at: unknown
  readonly version: unknown
}

/**
 * The order due index on the control database's SqlClient (table `order_due`). `mark` is one
 * upsert keeping the earlier time and moving the version; `settle` one conditional write on the
 * version, so a mark that lands while a dispatcher drains is never erased by it.
 *
 * A tenant with nothing due keeps its row, due at 'infinity' (`idle`), rather than losing it: a
 * row deleted and inserted again would start its version over, and a dispatcher still holding the
 * version it read before the delete could then settle away the new mark. Every query but `mark`
 * passes over idle rows.
 */
export const layerSqlOrderDueIndex = Layer.effect(
  OrderDueIndex,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const idle = sql.literal("'infinity'::timestamptz")
    const active = sql.literal("due_at <> 'infinity'::timestamptz")
    return OrderDueIndex.of({
      mark: (tenantId, dueAt) =>
        sql`
          INSERT INTO order_due (tenant_id, due_at, version) VALUES (${tenantId}, ${dueAt}, 1)
          ON CONFLICT (tenant_id) DO UPDATE SET
            due_at = LEAST(order_due.due_at, excluded.due_at),
            version = order_due.version + 1`.pipe(Effect.asVoid, storageFailure("mark order work due")),
      due: (now, limit) =>
        sql<DueRow>`
          SELECT tenant_id, due_at, version FROM order_due
          WHERE due_at <= ${now} AND ${active} ORDER BY due_at, tenant_id LIMIT ${limit}`.pipe(
          Effect.map((rows) =>
            rows.map((row) => ({ tenantId: row.tenant_id, dueAt: toDate(row.due_at), version: Number(row.version) }))
          ),
          storageFailure("read tenants with order work due")
        ),
      settle: (tenantId, version, next) =>
        sql`
          UPDATE order_due SET due_at = ${next === null ? idle : sql`${next}`}
          WHERE tenant_id = ${tenantId} AND version = ${version} AND ${active}
          RETURNING tenant_id`.pipe(
          Effect.map((rows) => rows.length > 0),
          storageFailure("settle order work due")
        ),
      find: (tenantId) =>
        sql<DueRow>`SELECT tenant_id, due_at, version FROM order_due WHERE tenant_id = ${tenantId} AND ${active}`.pipe(
          Effect.map((rows) =>
            rows.length === 0 ? null : { tenantId, dueAt: toDate(rows[0]!.due_at), version: Number(rows[0]!.version) }
          ),
          storageFailure("read a tenant's order work due")
        ),
      earliest: () =>
        sql<{ readonly due_at: unknown }>`SELECT min(due_at) AS due_at FROM order_due WHERE ${active}`.pipe(
          Effect.map((rows) => toDateOrNull(rows[0]?.due_at ?? null)),
          storageFailure("read the next order work due")
        )
    })
  })
)
