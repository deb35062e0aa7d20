import { Effect, Layer } from "effect"
import { SqlClient, type Statement } from "effect/sql"
import {
  type ClaimedDelivery,
  type MoveResult,
  moveResult,
  Orders,
  orderCursor,
  type StatusChange
} from "../../../application/ports/orders.ts"
import { InvalidInput, type StorageError } from "../../../domain/errors.ts"
import {
  type DeliveryAttempt,
  type DeliveryKind,
  type DeliveryOutcome,
  type Order,
  type OrderRequest,
  type OrderStatus,
  orderStatuses,
  type PricedOrder,
  type TimelineEntry,
  type TimelineSource
} from "../../../domain/order.ts"
import { canMove, refusalReason } from "../../../domain/order-status.ts"
import { storageFailure, toDate, toDateOrNull } from "./sql-errors.ts"

/** The request as its JSON document holds it: the one instant in it as an ISO string. */
type StoredRequest = Omit<OrderRequest, "fulfilment"> & {
  readonly fulfilment: Omit<OrderRequest["fulfilment"], "scheduledFor"> & { readonly scheduledFor: string | null }
}

const requestJson = (request: OrderRequest): string => {
  const stored: StoredRequest = {
    ...request,
    fulfilment: { ...request.fulfilment, scheduledFor: request.fulfilment.scheduledFor?.toISOString() ?? null }
  }
  return JSON.stringify(stored)
}

const requestOf = (stored: StoredRequest): OrderRequest => ({
  ...stored,
  fulfilment: {
    ...stored.fulfilment,
    scheduledFor: stored.fulfilment.scheduledFor === null ? null : new Date(stored.fulfilment.scheduledFor)
  }
})

interface OrderDbRow {
  readonly order_id: string
  readonly ref_code: string
  readonly fingerprint: string
  readonly outlet_id: string
  readonly provider: string
  readonly outlet_external_id: string
  readonly status: string
  readonly request: StoredRequest
  readonly priced: PricedOrder
  readonly menu_source: string
  readonly menus: Order["menus"]
  readonly pos_order_id: string | null
  readonly created_at: unknown
  readonly updated_at: unknown
}

const toOrder = (row: OrderDbRow): Order => ({
  orderId: row.order_id,
  refCode: row.ref_code,
  fingerprint: row.fingerprint,
  outletId: row.outlet_id,
  provider: row.provider,
  outletExternalId: row.outlet_external_id,
  status: row.status as OrderStatus,
  request: requestOf(row.request),
  priced: row.priced,
  menuSource: row.menu_source as Order["menuSource"],
  menus: row.menus,
  posOrderId: row.pos_order_id,
  createdAt: toDate(row.created_at),
  updatedAt: toDate(row.updated_at)
})

/** A claimed outbox row joined to its order: the outbox's own columns renamed beside `orders.*`. */
interface ClaimedDbRow extends OrderDbRow {
  readonly outbox_id: string
  readonly kind: string
  readonly attempts: number
  readonly due_at: unknown
  readonly outbox_created_at: unknown
  readonly outbox_reason: string | null
  readonly outbox_trace_context: string | null
  readonly lease_until: unknown
}

interface TimelineDbRow {
  readonly at: unknown
  readonly status: string | null
  readonly source: string
  readonly vendor_status: string | null
  readonly reason: string | null
}

interface AttemptDbRow {
  readonly kind: string
  readonly attempt: number
  readonly started_at: unknown
  readonly finished_at: unknown
  readonly outcome: string
  readonly reason: string | null
}

/** The priced lines as `order_lines` rows, for one `jsonb_to_recordset`. */
const linesJson = (order: Order): string =>
  JSON.stringify(
    order.priced.lines.map((line) => ({
      line_no: line.lineNo,
      product_id: line.productId,
      pos_code: line.posCode,
      name: line.name,
      quantity: line.quantity,
      unit_price: line.unitPrice,
      subtotal: line.subtotal,
      discount: line.discount,
      tax_rate_ppm: line.tax.ratePpm,
      tax_amount: line.tax.amount,
      total: line.total,
      note: line.note,
      modifiers: line.modifiers
    }))
  )

type ListPage = Effect.Success<ReturnType<(typeof Orders.Service)["list"]>>

const badQuery = (details: string) => Effect.fail(new InvalidInput({ details }))

/**
 * Orders in a tenant's database (order-migrations.ts). A status change locks the order's row
 * (SELECT ... FOR UPDATE), so concurrent changes of one order take turns and each sees what the
 * one before did. Outbox rows are claimed with FOR UPDATE SKIP LOCKED: concurrent claimers pass
 * over the rows another is leasing instead of waiting for them, and a row whose lease a claim has
 * just taken no longer matches when another claim re-reads it.
 */
export const makeSqlOrders = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  /**
   * A status change by the transition table as common table expressions of one statement, for the
   * order `target` selects (`o` is the order's row): `cur` locks the row (FOR UPDATE, so its values
   * are the latest committed, whatever the statement's snapshot) and says whether the change moves
   * it (`moves`, from the statuses domain/order-status.ts allows towards `to`) and keeps the POS's id
   * (`keeps`); the others update the row, add the timeline entry (the refusal's reason for the
   * status found, from the same table) and finish the submit rows of a never-delivered order that
   * is cancelled (`except`: a row the statement finishes itself).
   */
  const changeCtes = (target: Statement.Fragment, change: StatusChange, except: string | null) => {
    const to = change.to
    const allowed = to === null ? [] : orderStatuses.filter((from) => canMove(from, to))
    const refusals =
      to === null
        ? {}
        : Object.fromEntries(
            orderStatuses
              .filter((from) => from !== to && !canMove(from, to))
              .map((from) => [from, refusalReason(from, to)])
          )
    const posOrderId = change.posOrderId ?? null
    return sql`
      cur AS (
        SELECT o.order_id, o.status, o.pos_order_id,
               ${JSON.stringify(allowed)}::jsonb @> to_jsonb(o.status) AS moves,
               (${posOrderId}::text IS NOT NULL AND o.pos_order_id IS NULL) AS keeps
        FROM orders o WHERE ${target} FOR UPDATE OF o
      ), moved AS (
        UPDATE orders o SET status = CASE WHEN cur.moves THEN ${to}::text ELSE cur.status END,
          pos_order_id = CASE WHEN cur.keeps THEN ${posOrderId}::text ELSE cur.pos_order_id END,
          updated_at = ${change.at}
        FROM cur WHERE o.order_id = cur.order_id AND (cur.moves OR cur.keeps)
      ), entry AS (
        INSERT INTO order_timeline (order_id, at, status, source, vendor_status, reason)
        SELECT cur.order_id, ${change.at}, CASE WHEN cur.moves THEN ${to}::text END, ${change.source},
               ${change.vendorStatus}::text,
               CASE WHEN ${to}::text IS NULL OR cur.moves THEN ${change.reason}::text
                    ELSE ${JSON.stringify(refusals)}::jsonb ->> cur.status END
        FROM cur WHERE ${to}::text IS NULL OR cur.status <> ${to}::text
      )${
        to === "CANCELLED"
          ? sql`, never_sent AS (
        UPDATE order_outbox b SET finished_at = ${change.at}, lease_until = NULL
        FROM cur
        WHERE cur.status = 'RECEIVED' AND b.order_id = cur.order_id AND b.kind = 'submit'
          AND b.finished_at IS NULL AND (b.lease_until IS NULL OR b.lease_until <= ${change.at})
          AND b.id IS DISTINCT FROM ${except}::text
      )`
          : sql``
      }`
  }

  /** A status change in one statement (atomic by itself, or inside the caller's transaction). */
  const applyChange = (orderId: string, change: StatusChange) =>
    Effect.map(
      sql<{ readonly status: string }>`
        WITH ${changeCtes(sql`o.order_id = ${orderId}`, change, null)}
        SELECT status FROM cur`,
      (rows): MoveResult =>
        rows[0] === undefined ? { _tag: "NotFound" } : moveResult(rows[0].status as OrderStatus, change.to)
    )

  const getOne = (condition: Statement.Fragment) =>
    Effect.map(sql<OrderDbRow>`SELECT * FROM orders WHERE ${condition}`, (rows) =>
      rows[0] === undefined ? undefined : toOrder(rows[0])
    )

  // A cancel row waits while a submit row of its order is unfinished: the cancellation follows the order.
  const heldBack = sql`
    o.kind = 'cancel' AND EXISTS (
      SELECT 1 FROM order_outbox s WHERE s.order_id = o.order_id AND s.kind = 'submit' AND s.finished_at IS NULL)`

  return Orders.of({
    // One statement, atomic without a transaction: the order, its lines, its first timeline entry and
    // its outbox row, each inserted only when the order's was (its refCode free).
    place: (order, outboxId, placedBy = null, traceContext = null) =>
      Effect.gen(function* () {
        const inserted = yield* sql`
          WITH placed AS (
            INSERT INTO orders (order_id, ref_code, fingerprint, outlet_id, provider, outlet_external_id, status,
                                request, priced, menu_source, menus, pos_order_id, created_at, updated_at,
                                placed_by, trace_context)
            VALUES (${order.orderId}, ${order.refCode}, ${order.fingerprint}, ${order.outletId}, ${order.provider},
                    ${order.outletExternalId}, 'RECEIVED', ${requestJson(order.request)}::jsonb,
                    ${JSON.stringify(order.priced)}::jsonb, ${order.menuSource}, ${JSON.stringify(order.menus)}::jsonb,
                    ${order.posOrderId}, ${order.createdAt}, ${order.updatedAt}, ${placedBy}, ${traceContext})
            ON CONFLICT (ref_code) DO NOTHING
            RETURNING order_id
          ), lines AS (
            INSERT INTO order_lines (order_id, line_no, product_id, pos_code, name, quantity, unit_price, subtotal,
                                     discount, tax_rate_ppm, tax_amount, total, note, modifiers)
            SELECT p.order_id, l.line_no, l.product_id, l.pos_code, l.name, l.quantity, l.unit_price, l.subtotal,
                   l.discount, l.tax_rate_ppm, l.tax_amount, l.total, l.note, l.modifiers
            FROM placed p, jsonb_to_recordset(${linesJson(order)}::jsonb) AS l (line_no integer, product_id text,
              pos_code text, name text, quantity integer, unit_price bigint, subtotal bigint, discount bigint,
              tax_rate_ppm integer, tax_amount bigint, total bigint, note text, modifiers jsonb)
          ), entry AS (
            INSERT INTO order_timeline (order_id, at, status, source, vendor_status, reason)
            SELECT p.order_id, ${order.createdAt}, 'RECEIVED', 'service', NULL, NULL FROM placed p
          ), outbox AS (
            INSERT INTO order_outbox (id, order_id, kind, attempts, due_at, lease_owner, lease_until, created_at,
                                      finished_at, trace_context)
            SELECT ${outboxId}, p.order_id, 'submit', 0, ${order.createdAt}, NULL, NULL, ${order.createdAt}, NULL,
                   ${traceContext}
            FROM placed p
          )
          SELECT order_id FROM placed`
        if (inserted.length > 0) return { _tag: "Placed" } as const
        // The insert waited for the other order's statement, and it committed: this statement sees it.
        const existing = yield* getOne(sql`ref_code = ${order.refCode}`)
        if (existing === undefined) return yield* Effect.fail(new Error("the refCode's order cannot be read"))
        return { _tag: "RefCodeTaken", order: existing } as const
      }).pipe(storageFailure("place order")),
    get: (orderId) => getOne(sql`order_id = ${orderId}`).pipe(storageFailure("get order")),
    getByRefCode: (refCode) => getOne(sql`ref_code = ${refCode}`).pipe(storageFailure("get order by refCode")),
    getByPosOrderId: (provider, posOrderId) =>
      getOne(sql`provider = ${provider} AND pos_order_id = ${posOrderId} ORDER BY created_at DESC LIMIT 1`).pipe(
        storageFailure("get order by the POS's id")
      ),
    list: (query) =>
      Effect.suspend((): Effect.Effect<ListPage, StorageError | InvalidInput> => {
        const position = query.cursor === null ? null : orderCursor.decode(query.cursor)
        if (position === undefined) return badQuery("query.cursor: is not a cursor this listing issued")
        if (!Number.isSafeInteger(query.limit) || query.limit < 1) {
          return badQuery(`query.limit: must be a whole number, 1 or more, got ${query.limit}`)
        }
        const limit = query.limit
        // One row past the page tells whether another page follows.
        return sql<OrderDbRow>`
          SELECT * FROM orders
          WHERE ${sql.and([
            ...(query.refCode === null ? [] : [sql`ref_code = ${query.refCode}`]),
            ...(query.outletId === null ? [] : [sql`outlet_id = ${query.outletId}`]),
            ...(query.status === null ? [] : [sql`status = ${query.status}`]),
            ...(query.createdSince === null ? [] : [sql`created_at >= ${query.createdSince}`]),
            ...(position === null
              ? []
              : [sql`(created_at, order_id) < (${position.createdAt}::timestamptz, ${position.orderId})`])
          ])}
          ORDER BY created_at DESC, order_id DESC
          LIMIT ${limit + 1}`.pipe(
          Effect.map((rows) => {
            const orders = rows.slice(0, limit).map(toOrder)
            const last = orders.at(-1)
            return {
              orders,
              nextCursor: rows.length > limit && last !== undefined ? orderCursor.encode(last) : null
            }
          }),
          storageFailure("list orders")
        )
      }),
    timeline: (orderId) =>
      sql<TimelineDbRow>`
        SELECT at, status, source, vendor_status, reason FROM order_timeline
        WHERE order_id = ${orderId} ORDER BY id`.pipe(
        Effect.map((rows) =>
          rows.map(
            (row): TimelineEntry => ({
              at: toDate(row.at),
              status: row.status as OrderStatus | null,
              source: row.source as TimelineSource,
              vendorStatus: row.vendor_status,
              reason: row.reason
            })
          )
        ),
        storageFailure("read order timeline")
      ),
    attempts: (orderId) =>
      sql<AttemptDbRow>`
        SELECT kind, attempt, started_at, finished_at, outcome, reason FROM order_delivery_attempts
        WHERE order_id = ${orderId} ORDER BY id`.pipe(
        Effect.map((rows) =>
          rows.map(
            (row): DeliveryAttempt => ({
              kind: row.kind as DeliveryKind,
              attempt: Number(row.attempt),
              startedAt: toDate(row.started_at),
              finishedAt: toDate(row.finished_at),
              outcome: row.outcome as DeliveryOutcome,
              reason: row.reason
            })
          )
        ),
        storageFailure("read order delivery attempts")
      ),
    move: (orderId, change) => sql.withTransaction(applyChange(orderId, change)).pipe(storageFailure("move order")),
    moveAndEnqueue: (orderId, change, outbox) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            const result = yield* applyChange(orderId, change)
            if ((result._tag === "Moved" || result._tag === "Recorded") && outbox !== null) {
              // The order's row is locked: a concurrent request for the same kind waits, then joins this row.
              yield* sql`
                INSERT INTO order_outbox (id, order_id, kind, attempts, due_at, lease_owner, lease_until, created_at,
                                          finished_at, reason, trace_context)
                SELECT ${outbox.id}, ${orderId}, ${outbox.kind}, 0, ${outbox.dueAt}, NULL, NULL, ${change.at}, NULL,
                       ${outbox.reason ?? null}, ${outbox.traceContext ?? null}
                WHERE NOT EXISTS (
                  SELECT 1 FROM order_outbox
                  WHERE order_id = ${orderId} AND kind = ${outbox.kind} AND finished_at IS NULL)`
            }
            return result
          })
        )
        .pipe(storageFailure("move order and queue its delivery")),
    pendingKinds: (orderId) =>
      sql<{ readonly kind: string }>`
        SELECT DISTINCT kind FROM order_outbox WHERE order_id = ${orderId} AND finished_at IS NULL
        ORDER BY kind`.pipe(
        Effect.map((rows) => rows.map((row) => row.kind as DeliveryKind)),
        storageFailure("read pending order deliveries")
      ),
    // One statement: the rows picked and leased, joined to their orders as they stand.
    claim: (request) =>
      request.limit < 1
        ? Effect.succeed([])
        : sql<ClaimedDbRow>`
            WITH picked AS (
              SELECT o.id FROM order_outbox o
              WHERE o.finished_at IS NULL AND o.due_at <= ${request.now}
                AND (o.lease_until IS NULL OR o.lease_until <= ${request.now})
                AND NOT (${heldBack})
              ORDER BY o.due_at, o.id
              LIMIT ${request.limit}
              FOR UPDATE OF o SKIP LOCKED
            ), claimed AS (
              UPDATE order_outbox o
              SET attempts = o.attempts + 1, lease_owner = ${request.owner}, lease_until = ${request.leaseUntil}
              FROM picked WHERE o.id = picked.id
              RETURNING o.id, o.order_id, o.kind, o.attempts, o.due_at, o.created_at, o.lease_until, o.reason,
                        o.trace_context
            )
            SELECT c.id AS outbox_id, c.kind, c.attempts, c.due_at, c.created_at AS outbox_created_at, c.lease_until,
                   c.reason AS outbox_reason, c.trace_context AS outbox_trace_context, r.*
            FROM claimed c JOIN orders r ON r.order_id = c.order_id
            ORDER BY c.due_at, c.id`.pipe(
            Effect.map((rows) =>
              rows.map(
                (row): ClaimedDelivery => ({
                  id: row.outbox_id,
                  orderId: row.order_id,
                  kind: row.kind as DeliveryKind,
                  reason: row.outbox_reason,
                  traceContext: row.outbox_trace_context,
                  attempts: Number(row.attempts),
                  dueAt: toDate(row.due_at),
                  createdAt: toDate(row.outbox_created_at),
                  leaseUntil: toDate(row.lease_until),
                  order: toOrder(row)
                })
              )
            ),
            storageFailure("claim order deliveries")
          ),
    // One statement: the lease checked (the row locked), the attempt recorded, the row retried or
    // finished, and the order's change applied.
    finish: (id, owner, attempt, finish) => {
      const change = finish._tag === "Done" ? finish.change : null
      return sql<{ readonly order_id: string }>`
        WITH lease AS (
          SELECT id, order_id FROM order_outbox
          WHERE id = ${id} AND finished_at IS NULL AND lease_owner = ${owner}
          FOR UPDATE
        ), attempt AS (
          INSERT INTO order_delivery_attempts (order_id, outbox_id, kind, attempt, started_at, finished_at, outcome, reason)
          SELECT lease.order_id, lease.id, ${attempt.kind}, ${attempt.attempt}, ${attempt.startedAt},
                 ${attempt.finishedAt}, ${attempt.outcome}, ${attempt.reason}::text
          FROM lease
        ), ended AS (
          UPDATE order_outbox b
          SET ${
            finish._tag === "Retry"
              ? sql`due_at = ${finish.dueAt}, lease_owner = NULL, lease_until = NULL`
              : sql`finished_at = ${attempt.finishedAt}, lease_until = NULL`
          }
          FROM lease WHERE b.id = lease.id
        )${change === null ? sql`` : sql`, ${changeCtes(sql`o.order_id = (SELECT order_id FROM lease)`, change, id)}`}
        SELECT order_id FROM lease`.pipe(
        Effect.map((rows) => rows.length > 0),
        storageFailure("finish order delivery")
      )
    },
    nextDue: () =>
      sql<{ readonly next: unknown }>`
        SELECT min(greatest(o.due_at, o.lease_until)) AS next FROM order_outbox o
        WHERE o.finished_at IS NULL AND NOT (${heldBack})`.pipe(
        Effect.map((rows) => toDateOrNull(rows[0]?.next)),
        storageFailure("find the next order delivery due")
      ),
    backlog: (now) =>
      sql<{ readonly pending: unknown; readonly oldest: unknown }>`
        SELECT count(*) AS pending, min(due_at) FILTER (WHERE due_at <= ${now}) AS oldest
        FROM order_outbox WHERE finished_at IS NULL`.pipe(
        Effect.map((rows) => ({ pending: Number(rows[0]?.pending ?? 0), oldestDueAt: toDateOrNull(rows[0]?.oldest) })),
        storageFailure("read the order outbox's backlog")
      )
  })
})

export const layerSqlOrders = Layer.effect(Orders, makeSqlOrders)
