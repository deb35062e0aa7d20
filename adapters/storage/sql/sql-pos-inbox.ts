import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { type JobRow, type OrderEventRow, PosInbox } from "../../../application/ports/pos-inbox.ts"
import { SNOOZED_INDEFINITELY } from "../../../domain/catalog.ts"
import { productAvailabilityChanged } from "../../../domain/webhook-event.ts"
import { bumpCatalogGeneration } from "./catalog-generation-migration.ts"
import { storageFailure, toDate, toDateOrNull } from "./sql-errors.ts"

interface JobDbRow {
  readonly id: string
  readonly kind: string
  readonly provider: string
  readonly external_outlet_id: string | null
  readonly account_id: string | null
  readonly reason: string
  readonly status: string
  readonly attempts: number
  readonly run_after: unknown
  readonly last_error: string | null
  readonly created_at: unknown
  readonly finished_at: unknown
}

const toJob = (row: JobDbRow): JobRow => ({
  id: row.id,
  kind: row.kind as JobRow["kind"],
  provider: row.provider,
  externalOutletId: row.external_outlet_id,
  accountId: row.account_id,
  reason: row.reason as JobRow["reason"],
  status: row.status as JobRow["status"],
  attempts: Number(row.attempts),
  runAfter: toDate(row.run_after),
  lastError: row.last_error,
  createdAt: toDate(row.created_at),
  finishedAt: toDateOrNull(row.finished_at)
})

interface OrderEventDbRow {
  readonly id: string
  readonly provider: string
  readonly ref_code: string | null
  readonly pos_order_id: string | null
  readonly status: string | null
  readonly vendor_status: string
  readonly reason: string | null
  readonly at: unknown
  readonly received_at: unknown
}

const toOrderEvent = (row: OrderEventDbRow): OrderEventRow => ({
  id: row.id,
  provider: row.provider,
  refCode: row.ref_code,
  posOrderId: row.pos_order_id,
  status: row.status,
  vendorStatus: row.vendor_status,
  reason: row.reason,
  at: toDateOrNull(row.at),
  receivedAt: toDate(row.received_at)
})

/** A snooze until further notice is PostgreSQL's `infinity`, as the catalog's rows store it. */
const snoozeParam = (until: Date | null) =>
  until === null ? null : until.getTime() === SNOOZED_INDEFINITELY.getTime() ? "infinity" : until.toISOString()

/** The POS inbox in a tenant's database: deliveries applied in one transaction, jobs claimed with SKIP LOCKED. */
export const makeSqlPosInbox = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  const insertJob = (job: JobRow) =>
    sql<{ readonly id: string }>`
      INSERT INTO pos_jobs (id, kind, provider, external_outlet_id, account_id, reason, status, attempts,
                            run_after, lease_until, last_error, created_at, finished_at)
      VALUES (${job.id}, ${job.kind}, ${job.provider}, ${job.externalOutletId}, ${job.accountId}, ${job.reason},
              'pending', 0, ${job.runAfter}, NULL, NULL, ${job.createdAt}, NULL)
      ON CONFLICT DO NOTHING
      RETURNING id`.pipe(
      Effect.flatMap((rows) =>
        rows[0] !== undefined
          ? Effect.succeed(rows[0].id)
          : sql<{ readonly id: string }>`
              SELECT id FROM pos_jobs
              WHERE status = 'pending' AND kind = ${job.kind} AND provider = ${job.provider}
                AND coalesce(external_outlet_id, '') = ${job.externalOutletId ?? ""}
                AND coalesce(account_id, '') = ${job.accountId ?? ""}`.pipe(
              Effect.map((found) => found[0]?.id ?? job.id)
            )
      )
    )

  return PosInbox.of({
    seen: (provider, dedupeKey) =>
      sql`SELECT 1 FROM pos_webhook_deliveries WHERE provider = ${provider} AND dedupe_key = ${dedupeKey}`.pipe(
        Effect.map((rows) => rows.length > 0),
        storageFailure("look up a webhook delivery")
      ),
    accept: (delivery) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            const fresh = yield* sql<{ readonly provider: string }>`
              INSERT INTO pos_webhook_deliveries (provider, dedupe_key, received_at)
              VALUES (${delivery.provider}, ${delivery.dedupeKey}, ${delivery.receivedAt})
              ON CONFLICT DO NOTHING
              RETURNING provider`
            if (fresh.length === 0) return "duplicate" as const
            let changed = 0
            for (const { storeId, items } of delivery.snoozes) {
              for (const item of items) {
                const until = snoozeParam(item.until)
                const snoozed = yield* sql<{ readonly item_id: string }>`
                  UPDATE item_store l SET snoozed_until = ${until}::timestamptz, updated_at = ${delivery.receivedAt}
                  FROM items i
                  WHERE l.store_id = ${storeId} AND l.item_id = i.id
                    AND i.provider = ${delivery.provider} AND i.pos_code = ${item.posCode}
                    AND l.snoozed_until IS DISTINCT FROM ${until}::timestamptz
                  RETURNING l.item_id`
                changed += snoozed.length
                // Partners hear of it in this transaction (webhook-event-migrations.ts).
                for (const { item_id } of snoozed) {
                  const event = productAvailabilityChanged(
                    storeId,
                    item_id,
                    item.until,
                    item.until !== null && item.until.getTime() >= SNOOZED_INDEFINITELY.getTime()
                  )
                  yield* sql`
                    SELECT webhook_emit(${event.type}, ${JSON.stringify(event.data)}::jsonb, NULL::text[],
                                        ${delivery.receivedAt}, NULL, false)`
                }
                // Modifier options are tenant-level objects: their snooze holds at every outlet.
                changed += (yield* sql`
                  UPDATE item_modifier_options SET snoozed_until = ${until}::timestamptz, updated_at = ${delivery.receivedAt}
                  WHERE provider = ${delivery.provider} AND pos_code = ${item.posCode}
                    AND snoozed_until IS DISTINCT FROM ${until}::timestamptz
                  RETURNING 1`).length
              }
            }
            // In this transaction: the effective menus' keys move with the snoozes.
            if (changed > 0) yield* bumpCatalogGeneration(sql)
            for (const { storeId, mode } of delivery.busyModes) {
              yield* sql`
                INSERT INTO store_status (store_id, busy_mode, updated_at)
                SELECT id, ${mode}, ${delivery.receivedAt} FROM stores WHERE id = ${storeId}
                ON CONFLICT (store_id) DO UPDATE SET busy_mode = excluded.busy_mode, updated_at = excluded.updated_at`
            }
            for (const event of delivery.orderEvents) {
              yield* sql`
                INSERT INTO pos_order_events (id, provider, ref_code, pos_order_id, status, vendor_status, reason, at, received_at)
                VALUES (${event.id}, ${event.provider}, ${event.refCode}, ${event.posOrderId}, ${event.status},
                        ${event.vendorStatus}, ${event.reason}, ${event.at}, ${event.receivedAt})`
            }
            for (const job of delivery.jobs) yield* insertJob(job)
            return "applied" as const
          })
        )
        .pipe(storageFailure("accept webhook delivery")),
    enqueue: (job) => sql.withTransaction(insertJob(job)).pipe(storageFailure("queue job")),
    claim: (now, leaseUntil) =>
      sql<JobDbRow>`
        UPDATE pos_jobs SET status = 'running', attempts = attempts + 1, lease_until = ${leaseUntil}
        WHERE id = (
          SELECT id FROM pos_jobs
          WHERE (status = 'pending' AND run_after <= ${now}) OR (status = 'running' AND lease_until <= ${now})
          ORDER BY run_after, id
          LIMIT 1
          FOR UPDATE SKIP LOCKED
        )
        RETURNING *`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : toJob(rows[0]))),
        storageFailure("claim job")
      ),
    finish: (id, outcome) => {
      switch (outcome._tag) {
        case "done":
          return sql`
            UPDATE pos_jobs SET status = 'done', lease_until = NULL, finished_at = ${outcome.at}
            WHERE id = ${id}`.pipe(Effect.asVoid, storageFailure("finish job"))
        case "failed":
          return sql`
            UPDATE pos_jobs SET status = 'failed', lease_until = NULL, last_error = ${outcome.error},
              finished_at = ${outcome.at}
            WHERE id = ${id}`.pipe(Effect.asVoid, storageFailure("finish job"))
        case "retry":
          // Back to pending, unless another request queued the same pull meanwhile: then this one
          // ends, and that one runs.
          return sql
            .withTransaction(
              Effect.gen(function* () {
                const job = (yield* sql<JobDbRow>`SELECT * FROM pos_jobs WHERE id = ${id} FOR UPDATE`)[0]
                if (job === undefined) return
                const twin = yield* sql<{ readonly id: string }>`
                  SELECT id FROM pos_jobs
                  WHERE status = 'pending' AND kind = ${job.kind} AND provider = ${job.provider}
                    AND coalesce(external_outlet_id, '') = ${job.external_outlet_id ?? ""}
                    AND coalesce(account_id, '') = ${job.account_id ?? ""}`
                yield* twin.length > 0
                  ? sql`
                      UPDATE pos_jobs SET status = 'done', lease_until = NULL, last_error = ${outcome.error},
                        finished_at = ${outcome.at}
                      WHERE id = ${id}`
                  : sql`
                      UPDATE pos_jobs SET status = 'pending', lease_until = NULL, last_error = ${outcome.error},
                        run_after = ${outcome.retryAt}
                      WHERE id = ${id}`
              })
            )
            .pipe(storageFailure("finish job"))
      }
    },
    getJob: (id) =>
      sql<JobDbRow>`SELECT * FROM pos_jobs WHERE id = ${id}`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : toJob(rows[0]))),
        storageFailure("get job")
      ),
    listJobs: (limit) =>
      sql<JobDbRow>`SELECT * FROM pos_jobs ORDER BY created_at DESC, id DESC LIMIT ${limit}`.pipe(
        Effect.map((rows) => rows.map(toJob)),
        storageFailure("list jobs")
      ),
    orderEvents: (refCode) =>
      sql<OrderEventDbRow>`
        SELECT * FROM pos_order_events WHERE ref_code = ${refCode} ORDER BY received_at, id`.pipe(
        Effect.map((rows) => rows.map(toOrderEvent)),
        storageFailure("list order events")
      ),
    purgeJobs: (before) =>
      sql<{ readonly id: string }>`
        DELETE FROM pos_jobs WHERE status IN ('done', 'failed') AND finished_at < ${before} RETURNING id`.pipe(
        Effect.map((rows) => rows.length),
        storageFailure("purge jobs")
      ),
    purgeDeliveries: (before) =>
      sql<{ readonly provider: string }>`
        DELETE FROM pos_webhook_deliveries WHERE received_at < ${before} RETURNING provider`.pipe(
        Effect.map((rows) => rows.length),
        storageFailure("purge webhook deliveries")
      )
  })
})

export const layerSqlPosInbox = Layer.effect(PosInbox, makeSqlPosInbox)
