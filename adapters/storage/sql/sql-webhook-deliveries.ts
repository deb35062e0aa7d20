import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { type ClaimedWebhookDelivery, WebhookDeliveries } from "../../../application/ports/webhook-deliveries.ts"
import {
  type DeliveredEventType,
  endpointDisabledType,
  type WebhookDeliveryAttempt,
  type WebhookDeliveryRecord,
  type WebhookDeliveryState
} from "../../../domain/webhook-event.ts"
import { storageFailure, toDate, toDateOrNull } from "./sql-errors.ts"

interface ClaimedDbRow {
  readonly id: string
  readonly endpoint_id: string
  readonly sequence: unknown
  readonly attempts: unknown
  readonly tries_since: unknown
  readonly trying_since: unknown
  readonly lease_until: unknown
  readonly event_id: string
  readonly type: string
  readonly occurred_at: unknown
  readonly data: unknown
  readonly trace_context: string | null
}

interface DeliveryDbRow {
  readonly id: string
  readonly endpoint_id: string
  readonly event_id: string
  readonly type: string
  readonly sequence: unknown
  readonly state: string
  readonly due_at: unknown
  readonly created_at: unknown
  readonly finished_at: unknown
}

interface AttemptDbRow {
  readonly delivery_id: string
  readonly attempt: unknown
  readonly started_at: unknown
  readonly latency_ms: unknown
  readonly status_code: unknown
  readonly error: string | null
}

const toAttempt = (row: AttemptDbRow): WebhookDeliveryAttempt => ({
  attempt: Number(row.attempt),
  startedAt: toDate(row.started_at),
  latencyMs: Number(row.latency_ms),
  statusCode: row.status_code === null ? null : Number(row.status_code),
  error: row.error
})

/** JSON documents come back parsed from both drivers; a string is tolerated. */
const parsed = (value: unknown): unknown => (typeof value === "string" ? JSON.parse(value) : value)

/**
 * Partner webhook deliveries in a tenant's database (webhook-event-migrations.ts). Claims take
 * rows with FOR UPDATE SKIP LOCKED, so concurrent claimers pass over each other's rows; a finish
 * checks the lease under the row's lock.
 */
export const makeSqlWebhookDeliveries = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  const withAttempts = (rows: ReadonlyArray<DeliveryDbRow>) =>
    Effect.gen(function* () {
      if (rows.length === 0) return []
      const attempts = yield* sql<AttemptDbRow>`
        SELECT delivery_id, attempt, started_at, latency_ms, status_code, error FROM webhook_delivery_attempts
        WHERE ${sql.in(
          "delivery_id",
          rows.map((row) => row.id)
        )}
        ORDER BY id`
      const byDelivery = new Map<string, Array<WebhookDeliveryAttempt>>()
      for (const attempt of attempts) {
        const list = byDelivery.get(attempt.delivery_id) ?? []
        list.push(toAttempt(attempt))
        byDelivery.set(attempt.delivery_id, list)
      }
      return rows.map(
        (row): WebhookDeliveryRecord => ({
          id: row.id,
          endpointId: row.endpoint_id,
          eventId: row.event_id,
          eventType: row.type as DeliveredEventType,
          sequence: Number(row.sequence),
          state: row.state as WebhookDeliveryState,
          attempts: byDelivery.get(row.id) ?? [],
          nextAttemptAt: row.state === "pending" ? toDate(row.due_at) : null,
          createdAt: toDate(row.created_at),
          finishedAt: toDateOrNull(row.finished_at)
        })
      )
    })

  const deliveriesWhere = (endpointId: string, condition: ReturnType<typeof sql.and>, limit: number) =>
    sql<DeliveryDbRow>`
      SELECT d.id, d.endpoint_id, e.id AS event_id, e.type, d.sequence, d.state, d.due_at, d.created_at, d.finished_at
      FROM webhook_deliveries d JOIN webhook_events e ON e.seq = d.event_seq
      WHERE d.endpoint_id = ${endpointId} AND ${condition}
      ORDER BY d.sequence DESC
      LIMIT ${limit}`

  const get = (endpointId: string, deliveryId: string) =>
    Effect.flatMap(deliveriesWhere(endpointId, sql.and([sql`d.id = ${deliveryId}`]), 1), withAttempts).pipe(
      Effect.map((records) => records[0])
    )

  return WebhookDeliveries.of({
    // One statement: each endpoint's due rows ranked by sequence, its rows already leased counted
    // against its share, the rest picked and leased.
    claim: (request) =>
      request.limit < 1
        ? Effect.succeed([])
        : sql<ClaimedDbRow>`
            WITH busy AS (
              SELECT endpoint_id, count(*) AS leased FROM webhook_deliveries
              WHERE state = 'pending' AND lease_until > ${request.now}
              GROUP BY endpoint_id
            ), ranked AS (
              SELECT d.id, d.due_at, d.sequence,
                     row_number() OVER (PARTITION BY d.endpoint_id ORDER BY d.sequence) AS rank
              FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled
              WHERE d.state = 'pending' AND d.due_at <= ${request.now}
                AND (d.lease_until IS NULL OR d.lease_until <= ${request.now})
            ), picked AS (
              SELECT d.id FROM webhook_deliveries d
              JOIN ranked r ON r.id = d.id
              LEFT JOIN busy b ON b.endpoint_id = d.endpoint_id
              WHERE r.rank + coalesce(b.leased, 0) <= ${request.perEndpoint}
                -- Checked again on the row as locked: a claim committed meanwhile has leased it.
                AND d.state = 'pending' AND (d.lease_until IS NULL OR d.lease_until <= ${request.now})
              ORDER BY r.due_at, r.sequence
              LIMIT ${request.limit}
              FOR UPDATE OF d SKIP LOCKED
            ), claimed AS (
              UPDATE webhook_deliveries d
              SET attempts = d.attempts + 1, tries_since = d.tries_since + 1, lease_owner = ${request.owner}, lease_until = ${request.leaseUntil}
              FROM picked WHERE d.id = picked.id AND d.state = 'pending'
                AND (d.lease_until IS NULL OR d.lease_until <= ${request.now})
              RETURNING d.id, d.endpoint_id, d.sequence, d.attempts, d.tries_since, d.trying_since, d.lease_until,
                        d.event_seq
            )
            SELECT c.id, c.endpoint_id, c.sequence, c.attempts, c.tries_since, c.trying_since, c.lease_until,
                   e.id AS event_id, e.type, e.occurred_at, e.data, o.trace_context
            FROM claimed c JOIN webhook_events e ON e.seq = c.event_seq
            -- An order event's delivery continues the trace its order was placed in.
            LEFT JOIN orders o ON e.type LIKE 'order.%' AND o.order_id = e.data ->> 'orderId'
            ORDER BY c.endpoint_id, c.sequence`.pipe(
            Effect.map((rows) =>
              rows.map(
                (row): ClaimedWebhookDelivery => ({
                  id: row.id,
                  endpointId: row.endpoint_id,
                  eventId: row.event_id,
                  eventType: row.type as DeliveredEventType,
                  occurredAt: toDate(row.occurred_at),
                  data: parsed(row.data),
                  traceContext: row.trace_context,
                  sequence: Number(row.sequence),
                  attempts: Number(row.attempts),
                  triesSince: Number(row.tries_since),
                  tryingSince: toDate(row.trying_since),
                  leaseUntil: toDate(row.lease_until)
                })
              )
            ),
            storageFailure("claim webhook deliveries")
          ),
    finish: (id, owner, attempt, finish) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            const finishedAt = new Date(attempt.startedAt.getTime() + attempt.latencyMs)
            const leased = yield* sql<{ readonly endpoint_id: string; readonly trying_since: unknown }>`
              SELECT endpoint_id, trying_since FROM webhook_deliveries
              WHERE id = ${id} AND state = 'pending' AND lease_owner = ${owner}
              FOR UPDATE`
            const row = leased[0]
            if (row === undefined) return { _tag: "LeaseLost" } as const
            yield* sql`
              INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_at, latency_ms, status_code, error)
              VALUES (${id}, ${attempt.attempt}, ${attempt.startedAt}, ${attempt.latencyMs}, ${attempt.statusCode},
                      ${attempt.error})`
            switch (finish._tag) {
              case "Retry":
                yield* sql`
                  UPDATE webhook_deliveries SET due_at = ${finish.dueAt}, lease_owner = NULL, lease_until = NULL
                  WHERE id = ${id}`
                return { _tag: "Recorded", endpointDisabled: false } as const
              case "Delivered":
                yield* sql`
                  UPDATE webhook_deliveries SET state = 'delivered', finished_at = ${finishedAt}, lease_until = NULL
                  WHERE id = ${id}`
                yield* sql`
                  UPDATE webhook_endpoints SET last_success_at = greatest(last_success_at, ${finishedAt}::timestamptz)
                  WHERE id = ${row.endpoint_id}`
                return { _tag: "Recorded", endpointDisabled: false } as const
              case "GiveUp": {
                yield* sql`
                  UPDATE webhook_deliveries SET state = 'failed', finished_at = ${finishedAt}, lease_until = NULL
                  WHERE id = ${id}`
                // Nothing received since this delivery began trying: the endpoint is disabled.
                const disabled = yield* sql<{
                  readonly id: string
                  readonly url: string
                  readonly owners: ReadonlyArray<string>
                }>`
                  UPDATE webhook_endpoints SET enabled = false, disabled_reason = ${finish.reason},
                    updated_at = ${finishedAt}
                  WHERE id = ${row.endpoint_id} AND enabled
                    AND (last_success_at IS NULL OR last_success_at < ${toDate(row.trying_since)}::timestamptz)
                  RETURNING id, url, owners`
                const endpoint = disabled[0]
                if (endpoint === undefined) return { _tag: "Recorded", endpointDisabled: false } as const
                const data = {
                  endpointId: endpoint.id,
                  url: endpoint.url,
                  reason: finish.reason,
                  disabledAt: finishedAt.toISOString()
                }
                // To its owners' other endpoints only: its URL is theirs to know.
                yield* sql`
                  SELECT webhook_emit(${endpointDisabledType}, ${JSON.stringify(data)}::jsonb,
                                      ${[...endpoint.owners]}::text[], ${finishedAt}, ${endpoint.id}, true)`
                return { _tag: "Recorded", endpointDisabled: true } as const
              }
            }
          })
        )
        .pipe(storageFailure("finish webhook delivery")),
    nextDue: () =>
      sql<{ readonly next: unknown }>`
        SELECT min(greatest(d.due_at, d.lease_until)) AS next
        FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled
        WHERE d.state = 'pending'`.pipe(
        Effect.map((rows) => toDateOrNull(rows[0]?.next)),
        storageFailure("find the next webhook delivery due")
      ),
    list: (endpointId, page) =>
      Effect.flatMap(
        deliveriesWhere(
          endpointId,
          sql.and(page.before === null ? [sql`true`] : [sql`d.sequence < ${page.before}`]),
          page.limit
        ),
        withAttempts
      ).pipe(storageFailure("list webhook deliveries")),
    get: (endpointId, deliveryId) => get(endpointId, deliveryId).pipe(storageFailure("get webhook delivery")),
    redeliver: (endpointId, deliveryId, at) =>
      sql
        .withTransaction(
          Effect.andThen(
            sql`
              UPDATE webhook_deliveries
              SET state = 'pending', due_at = ${at}, trying_since = ${at}, tries_since = 0, finished_at = NULL, lease_owner = NULL,
                  lease_until = NULL
              WHERE endpoint_id = ${endpointId} AND id = ${deliveryId} AND state <> 'pending'`,
            get(endpointId, deliveryId)
          )
        )
        .pipe(storageFailure("redeliver webhook delivery")),
    resume: (endpointId, at) =>
      sql`
        UPDATE webhook_deliveries SET due_at = ${at}, trying_since = ${at}, tries_since = 0
        WHERE endpoint_id = ${endpointId} AND state = 'pending'
        RETURNING 1`.pipe(
        Effect.map((rows) => rows.length),
        storageFailure("resume webhook deliveries")
      ),
    health: () =>
      sql<{
        readonly id: string
        readonly last_success_at: unknown
        readonly pending: unknown
        readonly oldest: unknown
        readonly attempted_at: unknown
        readonly error: string | null
      }>`
        SELECT e.id, e.last_success_at, p.pending, p.oldest, la.started_at AS attempted_at, la.error
        FROM webhook_endpoints e
        LEFT JOIN LATERAL (
          SELECT count(*) AS pending, min(d.created_at) AS oldest FROM webhook_deliveries d
          WHERE d.endpoint_id = e.id AND d.state = 'pending'
        ) p ON true
        LEFT JOIN LATERAL (
          SELECT a.started_at, a.error FROM webhook_delivery_attempts a
          JOIN webhook_deliveries d ON d.id = a.delivery_id
          WHERE d.endpoint_id = e.id
          ORDER BY a.started_at DESC, a.id DESC LIMIT 1
        ) la ON true
        ORDER BY e.created_at, e.id`.pipe(
        Effect.map((rows) =>
          rows.map((row) => ({
            endpointId: row.id,
            pending: Number(row.pending ?? 0),
            oldestPendingAt: toDateOrNull(row.oldest),
            lastSuccessAt: toDateOrNull(row.last_success_at),
            lastAttemptAt: toDateOrNull(row.attempted_at),
            lastError: row.attempted_at === null ? null : row.error
          }))
        ),
        storageFailure("read webhook endpoints' health")
      ),
    // The tries go with their deliveries (ON DELETE CASCADE); then the events left without one
    // (theirs, and those of removed endpoints).
    prune: (before) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            const gone = yield* sql`
              DELETE FROM webhook_deliveries WHERE state <> 'pending' AND finished_at < ${before}
              RETURNING 1`
            yield* sql`
              DELETE FROM webhook_events e
              WHERE e.occurred_at < ${before}
                AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_seq = e.seq)`
            return gone.length
          })
        )
        .pipe(storageFailure("prune webhook deliveries")),
    backlog: (now) =>
      sql<{ readonly pending: unknown; readonly oldest: unknown }>`
        SELECT count(*) AS pending, min(due_at) FILTER (WHERE due_at <= ${now}) AS oldest
        FROM webhook_deliveries WHERE state = 'pending'`.pipe(
        Effect.map((rows) => ({ pending: Number(rows[0]?.pending ?? 0), oldestDueAt: toDateOrNull(rows[0]?.oldest) })),
        storageFailure("read the webhook backlog")
      )
  })
})

export const layerSqlWebhookDeliveries = Layer.effect(WebhookDeliveries, makeSqlWebhookDeliveries)
