import {
  MissingCredentials,
  type PosCallContext,
  type PosOrder,
  PosRejected,
  PosUnavailable,
  requireCredentials,
  type SubmittedOrder
} from "@pos-integration/sdk"
import { Effect } from "effect"
import { type Answer, postToChannel, secretsOf, transient, vendorReason, withoutSecrets } from "./channel-api.ts"
import type { AccountCredentials, OutletCredentials } from "./credentials.ts"
import { channelCancellation, channelOrder } from "./order-request.ts"

type Context = PosCallContext<OutletCredentials, AccountCredentials>
type CallFailure = PosRejected | PosUnavailable | MissingCredentials

/**
 * The channel link the call is about: the outlet sync's `channelLinkId`, else the outlet's
 * external id (which is the channel link id for Deliverect), else the order's outlet.
 */
const channelLinkOf = (context: Context, fallback: string | null): string | null =>
  context.outlet?.identifiers["channelLinkId"] ?? context.outlet?.externalId ?? fallback

/** Deliverect's order id, when an answer carries one (its documented 201 answer is `{}`). */
const orderIdOf = (text: string): string | null => {
  try {
    const json: unknown = JSON.parse(text)
    if (typeof json !== "object" || json === null) return null
    for (const key of ["orderId", "_id", "id"] as const) {
      const value = (json as Record<string, unknown>)[key]
      if (typeof value === "string" && value.trim() !== "") return value
    }
    return null
  } catch {
    return null
  }
}

type Reading = { readonly _tag: "Taken"; readonly posOrderId: string | null } | { readonly _tag: "Duplicate" }

/**
 * What an answer to an order (or cancellation) means:
 * - 2xx: taken. Deliverect answers a well-formed order with 201 (`{}`), and a channelOrderId it
 *   already has the same way: it files the repeat as a DUPLICATE (status 30) and hides it, so the
 *   first order stands. A 2xx whose body is no JSON is no answer of Deliverect's (a proxy's page):
 *   unavailable, and sending it again is safe for the same reason.
 * - 409: the channelOrderId is taken. Deliverect does not document it; it is the usual answer of
 *   an API that refuses a key twice, and reading it as anything but "already there" would fail an
 *   order Deliverect has.
 * - 401 (after the token was renewed once) and 403: the token is good but does not reach this
 *   channel link (a wrong `channelName` scope, or a channel link not given to this integration:
 *   "considered unauthorised"); 404: no such endpoint, a wrong `baseUrl` or `channelName`. The
 *   order is fine and the credentials are not, so it is MissingCredentials: an operator fixes them
 *   and the order can go then, where PosRejected would have refused it for good.
 * - 408, 425, 429, 5xx (and 1xx/3xx): unavailable, retried.
 * - any other 4xx: Deliverect refused the order as sent (its field errors): rejected, with its words.
 */
const read = (answer: Answer, what: string, credentials: OutletCredentials): Effect.Effect<Reading, CallFailure> => {
  const clean = (text: string) => withoutSecrets(text, secretsOf(credentials))
  const said = vendorReason(answer.text)
  const because = said === null ? "" : `: ${said}`
  if (answer.status >= 200 && answer.status < 300) {
    if (answer.text.trim() !== "") {
      try {
        JSON.parse(answer.text)
      } catch {
        return Effect.fail(
          new PosUnavailable({ reason: `${what} answered HTTP ${answer.status} with a body that is not JSON` })
        )
      }
    }
    return Effect.succeed({ _tag: "Taken", posOrderId: orderIdOf(answer.text) })
  }
  if (answer.status === 409) return Effect.succeed({ _tag: "Duplicate" })
  if (transient(answer.status)) {
    return Effect.fail(new PosUnavailable({ reason: clean(`${what} answered HTTP ${answer.status}${because}`) }))
  }
  if (answer.status === 401 || answer.status === 403 || answer.status === 404) {
    return Effect.fail(
      new MissingCredentials({
        level: "outlet",
        reason: clean(
          `Deliverect refused ${what} (HTTP ${answer.status}${because}): ` +
            (answer.status === 404
              ? "check baseUrl and channelName"
              : "check channelName (the scope Deliverect gave the channel) and that the channel link is activated for it")
        )
      })
    )
  }
  return Effect.fail(
    new PosRejected({
      reason: clean(`Deliverect refused ${what} (HTTP ${answer.status})${because}`),
      status: answer.status
    })
  )
}

/**
 * Whatever goes wrong on the way that is no typed failure (a bug meeting an answer no test thought
 * of) is unavailability, never a defect: the outcome is unknown, and the refCode makes a retry safe.
 */
const guarded = <A>(effect: Effect.Effect<A, CallFailure>, what: string): Effect.Effect<A, CallFailure> =>
  Effect.suspend(() => effect).pipe(
    Effect.catchDefect(() => Effect.fail(new PosUnavailable({ reason: `${what} failed unexpectedly` })))
  )

/**
 * Sends the order to the channel link's order endpoint. The refCode is the channelOrderId, which
 * Deliverect never takes twice within 48 hours: an order sent again is the same order.
 */
export const submitOrder = (order: PosOrder, context: Context): Effect.Effect<SubmittedOrder, CallFailure> =>
  guarded(
    Effect.gen(function* () {
      const credentials = yield* requireCredentials(
        context.credentials.outlet,
        "outlet",
        "sending orders to Deliverect"
      )
      const channelLinkId = channelLinkOf(context, order.outletExternalId)!
      const body = yield* channelOrder(order, credentials.courier ?? "restaurant")
      const what = `the order ${order.refCode}`
      const answer = yield* postToChannel(context.http, credentials, channelLinkId, body, what)
      const reading = yield* read(answer, what, credentials)
      return reading._tag === "Duplicate"
        ? { posOrderId: null, duplicate: true }
        : { posOrderId: reading.posOrderId, duplicate: false }
    }),
    "sending the order to Deliverect"
  )

/**
 * Cancels the order as Deliverect's Channel API does it: the same endpoint, the same
 * channelOrderId, `status: 100` (CANCEL) and a reason. Deliverect relays it to the POS, which
 * answers CANCELED (110) through the order status webhook. A repeated cancellation is taken the
 * same way, so retrying one is safe.
 */
export const cancelOrder = (
  order: { readonly refCode: string; readonly posOrderId: string | null; readonly reason: string | null },
  context: Context
): Effect.Effect<void, CallFailure> =>
  guarded(
    Effect.gen(function* () {
      const credentials = yield* requireCredentials(
        context.credentials.outlet,
        "outlet",
        "cancelling orders at Deliverect"
      )
      const channelLinkId = channelLinkOf(context, null)
      if (channelLinkId === null) {
        return yield* new PosRejected({
          reason: "the call names no outlet: Deliverect cancels an order through its channel link",
          status: null
        })
      }
      if (order.refCode.trim() === "") {
        return yield* new PosRejected({ reason: "the order to cancel has no refCode", status: null })
      }
      const what = `the cancellation of ${order.refCode}`
      const answer = yield* postToChannel(
        context.http,
        credentials,
        channelLinkId,
        channelCancellation(order.refCode, order.reason),
        what
      )
      yield* read(answer, what, credentials)
    }),
    "cancelling the order at Deliverect"
  )
