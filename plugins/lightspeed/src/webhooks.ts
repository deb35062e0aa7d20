import type { OrderStatus, PosEvent, WebhookRequest, WebhookSubject } from "@pos-integration/sdk"
import { decodePayload, type PayloadRejected, webhookJson } from "@pos-integration/sdk"
import { Effect } from "effect"
import { guardDecoder } from "./guard.ts"
import {
  NotificationOutlet,
  type OrderNotification,
  OrderNotification as OrderNotificationSchema
} from "./notification-schema.ts"
import { idText } from "./vendor-id.ts"

/**
 * Order statuses of the K-Series order notification. DELIVERED is the optional order event a webhook
 * endpoint can subscribe to (`subscribeTo: [{"resource":"order","name":"DELIVERED"}]`): the order is done.
 */
const orderStatuses: Readonly<Record<string, OrderStatus>> = {
  SUCCESS: "ACCEPTED",
  FAILURE: "REJECTED",
  IN_DELIVERY: "IN_DELIVERY",
  READY_FOR_PICKUP: "READY",
  DELIVERED: "COMPLETED",
  CLOSED: "COMPLETED",
  ABANDONED: "CANCELLED",
  CANCELLED: "CANCELLED"
}

const text = (value: string | null | undefined): string | null =>
  value === undefined || value === null || value.trim() === "" ? null : value

/** The POS's own order id: the account identifier (V3 format), else the deprecated V2 account id. */
const posOrderId = (n: OrderNotification): string | null => {
  const legacy = n.ikentooAccountId ?? n.iKentooAccountId ?? null
  return text(n.ikentooAccountIdentifier) ?? (legacy === null ? null : text(idText(legacy)))
}

/**
 * One notification is one event. A PAYMENT notification (the outcome of a payment added to the
 * order) is no order status: it is reported with status null and vendorStatus "PAYMENT:<status>", as
 * is any status or type this plugin does not know, so that the core logs and ignores it.
 */
const eventOf = (n: OrderNotification): PosEvent => {
  const type = text(n.type)?.toUpperCase() ?? "ORDER"
  const status = n.status.trim().toUpperCase()
  return {
    _tag: "OrderStatusChanged",
    refCode: text(n.thirdPartyReference),
    posOrderId: posOrderId(n),
    status: type === "ORDER" ? (Object.hasOwn(orderStatuses, status) ? orderStatuses[status]! : null) : null,
    vendorStatus: type === "ORDER" ? n.status : `${type}:${n.status}`,
    reason: text(n.reason),
    // The notification carries no event time.
    at: null
  }
}

/**
 * The business location a notification is about. It names no business: the core finds the
 * location's business (the outlet's accountId) and hands over that business's webhook token.
 */
export const webhookOutlet = (request: WebhookRequest): Effect.Effect<WebhookSubject, PayloadRejected> =>
  guardDecoder(
    webhookJson(request).pipe(
      Effect.flatMap(decodePayload(NotificationOutlet)),
      Effect.map((n): WebhookSubject => ({ _tag: "Outlet", externalOutletId: idText(n.businessLocationId) }))
    )
  )

export const decodeWebhook = (request: WebhookRequest): Effect.Effect<ReadonlyArray<PosEvent>, PayloadRejected> =>
  guardDecoder(
    webhookJson(request).pipe(
      Effect.flatMap(decodePayload(OrderNotificationSchema)),
      Effect.map((n) => [eventOf(n)])
    )
  )
