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
 */
export const layerSqlOrderDueIndex = Layer.effect(
  OrderDueIndex,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
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
          WHERE due_at <= ${now} ORDER BY due_at, tenant_id LIMIT ${limit}`.pipe(
          Effect.map((rows) =>
            rows.map((row) => ({ tenantId: row.tenant_id, dueAt: toDate(row.due_at), version: Number(row.version) }))
          ),
          storageFailure("read tenants with order work due")
        ),
      settle: (tenantId, version, next) =>
        (next === null
          ? sql`DELETE FROM order_due WHERE tenant_id = ${tenantId} AND version = ${version} RETURNING tenant_id`
          : sql`UPDATE order_due SET due_at = ${next}
                WHERE tenant_id = ${tenantId} AND version = ${version} RETURNING tenant_id`
        ).pipe(
          Effect.map((rows) => rows.length > 0),
          storageFailure("settle order work due")
        ),
      find: (tenantId) =>
        sql<DueRow>`SELECT tenant_id, due_at, version FROM order_due WHERE tenant_id = ${tenantId}`.pipe(
          Effect.map((rows) =>
            rows.length === 0 ? null : { tenantId, dueAt: toDate(rows[0]!.due_at), version: Number(rows[0]!.version) }
          ),
          storageFailure("read a tenant's order work due")
        ),
      earliest: () =>
        sql<{ readonly due_at: unknown }>`SELECT min(due_at) AS due_at FROM order_due`.pipe(
          Effect.map((rows) => toDateOrNull(rows[0]?.due_at ?? null)),
          storageFailure("read the next order work due")
        )
    })
  })
)
