import {
  decodePayload,
  PayloadRejected,
  type PosEvent,
  verifyHmacSha256Hex,
  type WebhookRejected,
  type WebhookRequest,
  webhookHeader,
  webhookJson
} from "@pos-integration/sdk"
import { Effect, Predicate, Schema } from "effect"
import { SNOOZED_INDEFINITELY } from "./catalog.ts"
import type { Credentials } from "./credentials.ts"
import { parseDeliverectInstant } from "./dates.ts"
import { canonicalStatus } from "./order-status.ts"
import { Problems } from "./problems.ts"
import {
  BusyModeWebhook,
  OperationReports,
  OrderStatusUpdate,
  OutletReference,
  type SnoozeItem,
  SnoozeWebhook
} from "./webhook-schema.ts"

/** Deliverect signs the raw body: hex HMAC-SHA256 with the channel link's secret, in this header. */
export const SIGNATURE_HEADER = "x-deliverect-signature"

export const verifyWebhook = (
  request: WebhookRequest,
  credentials: Credentials
): Effect.Effect<void, WebhookRejected> =>
  verifyHmacSha256Hex(credentials.webhookSecret, request.body, webhookHeader(request, SIGNATURE_HEADER))

const nonEmpty = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" ? value : undefined

/** Which channel link a webhook is about, read before it is verified, to find the secret to verify it with. */
export const webhookOutlet = (request: WebhookRequest): Effect.Effect<string, PayloadRejected> =>
  Effect.gen(function* () {
    const body = yield* webhookJson(request)
    const references = Array.isArray(body) ? body.filter(Predicate.isObject) : [body]
    for (const reference of references) {
      const { channelLinkId, channelLink } = yield* decodePayload(OutletReference)(reference)
      const id = nonEmpty(channelLinkId) ?? nonEmpty(channelLink)
      if (id !== undefined) return id
    }
    return yield* PayloadRejected.one("channelLinkId", "is missing: the webhook names no channel link")
  })

const orderStatusEvents = (body: unknown): Effect.Effect<ReadonlyArray<PosEvent>, PayloadRejected> =>
  Effect.map(decodePayload(OrderStatusUpdate)(body), (update) => {
    const timeStamp = nonEmpty(update.timeStamp)
    return [
      {
        _tag: "OrderStatusChanged",
        refCode: nonEmpty(update.channelOrderId) ?? null,
        posOrderId: nonEmpty(update.orderId) ?? null,
        status: canonicalStatus(update.status),
        vendorStatus: String(update.status),
        reason: nonEmpty(update.reason) ?? null,
        // An unreadable timestamp loses the time, not the status change.
        at: timeStamp === undefined ? null : (parseDeliverectInstant(timeStamp) ?? null)
      }
    ]
  })

/**
 * A snooze names the items to snooze now (`items`) and, when the channel link asks for it, all
 * snoozed ones (`allSnoozedItems`): both are applied, each item once. An unsnooze makes them
 * available again (until null); a snooze without an end lasts until the unsnooze.
 */
const snoozeEvents = (body: unknown): Effect.Effect<ReadonlyArray<PosEvent>, PayloadRejected> =>
  Effect.gen(function* () {
    const webhook = yield* decodePayload(SnoozeWebhook)(body)
    const problems = new Problems()
    const events: Array<PosEvent> = []
    webhook.operations.forEach((operation, index) => {
      const action = operation.action.trim().toLowerCase()
      if (action !== "snooze" && action !== "unsnooze") return
      const path = `operations[${index}]`
      const lists: Array<[string, ReadonlyArray<SnoozeItem>]> = [
        [`${path}.data.items`, operation.data?.items ?? []],
        [`${path}.data.allSnoozedItems`, operation.data?.allSnoozedItems ?? []],
        [`${path}.allSnoozedItems`, operation.allSnoozedItems ?? []]
      ]
      const items = new Map<string, string | null>()
      for (const [listPath, list] of lists) {
        list.forEach((item, itemIndex) => {
          const plu = nonEmpty(item.plu)
          if (plu === undefined || items.has(plu)) return
          if (action === "unsnooze") {
            items.set(plu, null)
            return
          }
          const end = nonEmpty(item.snoozeEnd)
          const until = end === undefined ? SNOOZED_INDEFINITELY : parseDeliverectInstant(end)
          if (until === undefined)
            problems.add(`${listPath}[${itemIndex}].snoozeEnd`, `not a Deliverect date-time: ${end}`)
          else items.set(plu, until)
        })
      }
      if (items.size > 0) {
        events.push({
          _tag: "ItemsSnoozed",
          externalOutletId: webhook.channelLinkId,
          items: [...items].map(([posCode, until]) => ({ posCode, until }))
        })
      }
    })
    if (!problems.isEmpty) return yield* problems.rejection()
    return events
  })

const isBusyMode = Schema.is(Schema.Literals(["ONLINE", "BUSY", "PAUSED"]))

const busyModeEvents = (body: unknown): Effect.Effect<ReadonlyArray<PosEvent>, PayloadRejected> =>
  Effect.gen(function* () {
    const webhook = yield* decodePayload(BusyModeWebhook)(body)
    const mode = webhook.status.trim().toUpperCase()
    if (!isBusyMode(mode)) {
      return yield* PayloadRejected.one("status", `not a busy mode (ONLINE, BUSY or PAUSED): ${webhook.status}`)
    }
    return [{ _tag: "BusyModeChanged", externalOutletId: webhook.channelLinkId, mode }]
  })

/** A successful menu publish, reported per channel link: the menu changed. Other reports say nothing. */
const reportEvents = (body: unknown): Effect.Effect<ReadonlyArray<PosEvent>, PayloadRejected> =>
  Effect.map(decodePayload(OperationReports)(body), (reports) =>
    reports.flatMap((report): Array<PosEvent> => {
      const status = nonEmpty(report.status)?.toLowerCase()
      if (report.eventType.toLowerCase() !== "menupush" || (status !== undefined && status !== "success")) return []
      return [{ _tag: "MenuChanged", externalOutletId: nonEmpty(report.channelLinkId) ?? null }]
    })
  )

/** Deliverect posts each kind to its own URL; one endpoint tells them apart by their fields. */
export const decodeWebhook = (request: WebhookRequest): Effect.Effect<ReadonlyArray<PosEvent>, PayloadRejected> =>
  Effect.gen(function* () {
    const body = yield* webhookJson(request)
    if (Array.isArray(body)) return yield* reportEvents(body)
    if (!Predicate.isObject(body))
      return yield* PayloadRejected.one("(root)", "not a Deliverect webhook: expected an object")
    if (Predicate.hasProperty(body, "operations")) return yield* snoozeEvents(body)
    if (Predicate.hasProperty(body, "orderId") || Predicate.hasProperty(body, "channelOrderId")) {
      return yield* orderStatusEvents(body)
    }
    if (Predicate.hasProperty(body, "status") && Predicate.hasProperty(body, "channelLinkId")) {
      return yield* busyModeEvents(body)
    }
    return yield* PayloadRejected.one(
      "(root)",
      "not a Deliverect webhook this plugin reads: expected an order status update, a snooze, a busy mode change or an operational report"
    )
  })
