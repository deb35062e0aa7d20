import type { OrderStatus, TimelineSource } from "./order.ts"
import type { WebhookEventType } from "./webhook-endpoint.ts"

/**
 * The events partner webhooks carry, and their deliveries. An event is recorded in the same
 * transaction as the change it reports and fanned out there to one delivery per endpoint that hears
 * it, each with the endpoint's next sequence number; the body is built when a delivery is sent.
 */

/** What a notice about an endpoint itself is called: sent to the tenant's other endpoints, whatever they subscribe to. */
export const endpointDisabledType = "endpoint.disabled"

export type DeliveredEventType = WebhookEventType | typeof endpointDisabledType

/** An order as its events describe it: what a partner needs to find it and to show its state. */
export interface OrderEventFacts {
  readonly orderId: string
  readonly refCode: string
  readonly outletId: string
  readonly status: OrderStatus
  readonly posOrderId: string | null
  readonly currency: string
  /** The order's total in minor units (SPEC: money is an integer of the currency's minor unit). */
  readonly total: number
}

export interface OrderMove {
  readonly from: OrderStatus
  readonly to: OrderStatus
  readonly reason: string | null
  readonly source: TimelineSource
}

/**
 * The events one timeline entry of an order raises, with their data: `order.created` for its first
 * status, else `order.status_changed` and, for REJECTED and FAILED, `order.rejected` or
 * `order.failed` beside it. The storage adapters raise exactly these (the SQL trigger of
 * webhook-event-migrations.ts builds the same objects).
 */
export const orderEvents = (
  order: OrderEventFacts,
  move: OrderMove | null
): ReadonlyArray<{ readonly type: WebhookEventType; readonly data: Readonly<Record<string, unknown>> }> => {
  const base = {
    orderId: order.orderId,
    refCode: order.refCode,
    outletId: order.outletId,
    status: order.status,
    posOrderId: order.posOrderId,
    total: { amount: order.total, currency: order.currency }
  }
  if (move === null) return [{ type: "order.created", data: base }]
  const changed = { ...base, from: move.from, to: move.to, reason: move.reason, source: move.source }
  const events: Array<{ readonly type: WebhookEventType; readonly data: Readonly<Record<string, unknown>> }> = [
    { type: "order.status_changed", data: changed }
  ]
  if (move.to === "REJECTED") events.push({ type: "order.rejected", data: { ...base, reason: move.reason } })
  if (move.to === "FAILED") events.push({ type: "order.failed", data: { ...base, reason: move.reason } })
  return events
}

/** Where a delivery stands: waiting for its next try (or its first), received by the endpoint, or given up. */
export type WebhookDeliveryState = "pending" | "delivered" | "failed"

/** One try of a delivery. */
export interface WebhookDeliveryAttempt {
  /** 1 for the first try; a redelivery goes on counting. */
  readonly attempt: number
  readonly startedAt: Date
  readonly latencyMs: number
  /** The answer's status; null when none came (see `error`). */
  readonly statusCode: number | null
  /** Why the try failed (`timeout after 10000 ms`, `answered 500`); null for a 2xx. */
  readonly error: string | null
}

/** A delivery as its endpoint's owner sees it. */
export interface WebhookDeliveryRecord {
  /** `whd_` and 32 hex digits. */
  readonly id: string
  readonly endpointId: string
  /** The event's id: the `webhook-id` of every try, so the receiver can drop a repeat. */
  readonly eventId: string
  readonly eventType: DeliveredEventType
  /** The endpoint's own count of events: 1, 2, 3... in the order they were recorded. */
  readonly sequence: number
  readonly state: WebhookDeliveryState
  readonly attempts: ReadonlyArray<WebhookDeliveryAttempt>
  /** When the next try is due; null when the delivery is finished. */
  readonly nextAttemptAt: Date | null
  readonly createdAt: Date
  readonly finishedAt: Date | null
}

export const isWebhookDeliveryId = (id: string): boolean => /^whd_[0-9a-f]{32}$/.test(id)

/**
 * A delivery's body: the Standard Webhooks payload (`type`, `timestamp`, `data`) with the event's
 * id, the tenant and the endpoint's sequence number. What is signed and sent, byte for byte.
 */
export const eventBody = (event: {
  readonly id: string
  readonly type: string
  readonly tenantId: string
  readonly occurredAt: Date
  readonly sequence: number
  readonly data: unknown
}): string =>
  JSON.stringify({
    id: event.id,
    type: event.type,
    tenantId: event.tenantId,
    timestamp: event.occurredAt.toISOString(),
    sequence: event.sequence,
    data: event.data
  })

/** An event of the tenant's catalog or menus, with its data; every endpoint that subscribes hears it. */
export interface TenantEvent {
  readonly type: WebhookEventType
  readonly data: Readonly<Record<string, unknown>>
}

/** A new version of a Menu V2 menu, and the outlets it is on. */
export const menuPublished = (menu: {
  readonly menuId: string
  readonly version: number
  readonly name: string
  readonly items: number
  readonly publishedAt: Date
  readonly outletIds: ReadonlyArray<string>
}): TenantEvent => ({
  type: "menu.published",
  data: {
    menuId: menu.menuId,
    version: menu.version,
    name: menu.name,
    items: menu.items,
    publishedAt: menu.publishedAt.toISOString(),
    outletIds: [...new Set(menu.outletIds)].sort()
  }
})

/** An outlet's busy mode changed (ONLINE, BUSY, PAUSED); `previous` is ONLINE when none was set. */
export const outletBusyChanged = (outletId: string, previous: string, busyMode: string): TenantEvent | null =>
  previous === busyMode ? null : { type: "outlet.busy_changed", data: { outletId, busyMode, previous } }

/**
 * A product's snooze at an outlet was set, changed or lifted: `snoozedUntil` null when lifted or
 * when it holds until further notice (`indefinitely`).
 */
export const productAvailabilityChanged = (
  outletId: string,
  productId: string,
  snoozedUntil: Date | null,
  indefinitely: boolean
): TenantEvent => ({
  type: "product.availability_changed",
  data: {
    outletId,
    productId,
    snoozedUntil: snoozedUntil === null || indefinitely ? null : snoozedUntil.toISOString(),
    indefinitely
  }
})

/** A sync's record: `sync.completed` when it succeeded, else `sync.failed`. */
export const syncFinished = (sync: {
  readonly id: string
  readonly kind: string
  readonly provider: string
  readonly storeId: string | null
  readonly status: "succeeded" | "failed"
  readonly counts: unknown
  readonly error: string | null
  readonly startedAt: Date
  readonly finishedAt: Date
}): TenantEvent => ({
  type: sync.status === "succeeded" ? "sync.completed" : "sync.failed",
  data: {
    syncId: sync.id,
    kind: sync.kind,
    provider: sync.provider,
    outletId: sync.storeId,
    status: sync.status,
    counts: sync.counts,
    error: sync.error,
    startedAt: sync.startedAt.toISOString(),
    finishedAt: sync.finishedAt.toISOString()
  }
})
