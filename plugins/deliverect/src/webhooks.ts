import {
  decodePayload,
  PayloadRejected,
  type PosCredentials,
  type PosEvent,
  type Snooze,
  UNTIL_FURTHER_NOTICE,
  verifyHmac,
  WebhookRejected,
  type WebhookRequest,
  type WebhookSubject,
  webhookHeader,
  webhookJson
} from "@pos-integration/sdk"
import { Effect, Predicate, Schema } from "effect"
import type { AccountCredentials, OutletCredentials } from "./credentials.ts"
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

/**
 * Every Deliverect webhook names its channel link, whose outlet credentials hold the secret; the
 * URL it was sent to (and any query string on it) is not signed and plays no part.
 */
export const verifyWebhook = (
  request: WebhookRequest,
  credentials: PosCredentials<OutletCredentials, AccountCredentials>
): Effect.Effect<void, WebhookRejected> =>
  credentials.outlet === null
    ? Effect.fail(new WebhookRejected({ reason: "no outlet credentials are set for this channel link: no secret" }))
    : verifyHmac({
        algorithm: "SHA-256",
        secret: credentials.outlet.webhookSecret,
        message: request.body,
        signature: webhookHeader(request, SIGNATURE_HEADER),
        encoding: "hex"
      })

const nonEmpty = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" ? value : undefined

/** Which channel link a webhook is about, read before it is verified, to find the secret to verify it with. */
export const webhookOutlet = (request: WebhookRequest): Effect.Effect<WebhookSubject, PayloadRejected> =>
  Effect.gen(function* () {
    const body = yield* webhookJson(request)
    const references = Array.isArray(body) ? body.filter(Predicate.isObject) : [body]
    for (const reference of references) {
      const { channelLinkId, channelLink } = yield* decodePayload(OutletReference)(reference)
      const id = nonEmpty(channelLinkId) ?? nonEmpty(channelLink)
      if (id !== undefined) return { _tag: "Outlet", externalOutletId: id }
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
 * available again (until null); a snooze without an end lasts until further notice (the unsnooze).
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
      const items = new Map<string, Snooze>()
      for (const [listPath, list] of lists) {
        list.forEach((item, itemIndex) => {
          const plu = nonEmpty(item.plu)
          if (plu === undefined || items.has(plu)) return
          if (action === "unsnooze") {
            items.set(plu, null)
            return
          }
          const end = nonEmpty(item.snoozeEnd)
          const until = end === undefined ? UNTIL_FURTHER_NOTICE : parseDeliverectInstant(end)
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

/**
 * A successful menu publish, reported per channel link (and its account): the menu changed. Other
 * reports say nothing.
 */
const reportEvents = (body: unknown): Effect.Effect<ReadonlyArray<PosEvent>, PayloadRejected> =>
  Effect.map(decodePayload(OperationReports)(body), (reports) =>
    reports.flatMap((report): Array<PosEvent> => {
      const status = nonEmpty(report.status)?.toLowerCase()
      if (report.eventType.toLowerCase() !== "menupush" || (status !== undefined && status !== "success")) return []
      return [
        {
          _tag: "MenuChanged",
          externalOutletId: nonEmpty(report.channelLinkId) ?? null,
          accountId: nonEmpty(report.accountId) ?? null
        }
      ]
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
