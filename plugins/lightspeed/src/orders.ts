import {
  MissingCredentials,
  type PosCallContext,
  type PosOrder,
  PosRejected,
  PosUnavailable,
  requireCredentials,
  type SubmittedOrder
} from "@pos-integration/sdk"
import { type Duration, Effect } from "effect"
import { type Answer, type ApiFailure, openApi, transient } from "./api.ts"
import type { AccountCredentials, OutletCredentials } from "./credentials.ts"
import { type OrderSettings, orderRequest } from "./order-request.ts"

type Context = PosCallContext<OutletCredentials, AccountCredentials>
type SubmitFailure = PosRejected | PosUnavailable | MissingCredentials

export interface OrderOptions {
  /** How long one HTTP exchange may take before the POS counts as unavailable (the order is then retried). */
  readonly timeout: Duration.Input
  /** `maxTimeToAttemptOrderDeliverToPos`, in milliseconds; Lightspeed's minimum is 60000. */
  readonly deliveryWindowMs: number
}

/**
 * 15 seconds per exchange, as the pull. Lightspeed keeps trying to reach the location's POS devices
 * for 5 minutes (its documentation strongly recommends a limit): an order no device took by then is
 * given up with a FAILURE notification, rather than printed long after the customer was told.
 */
export const defaultOrderOptions: OrderOptions = { timeout: "15 seconds", deliveryWindowMs: 300_000 }

/** How much of a vendor's refusal is quoted: enough for a validation message, never a page. */
const maxReason = 500

const field = (value: unknown, key: string): unknown =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined

const textField = (value: unknown, key: string): string | null => {
  const found = field(value, key)
  return typeof found === "string" && found.trim() !== "" ? found.trim() : null
}

const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * What a K-Series error answer says, in one line: `message` (Spring's error body) or `msg` (the
 * conflict body), and the fields a validation failure names (`errors[].field` and `defaultMessage`).
 * A body that is no JSON is not quoted: it may be a proxy's page.
 */
const vendorReason = (body: unknown): string | null => {
  const head = textField(body, "message") ?? textField(body, "msg") ?? textField(body, "error")
  const errors = field(body, "errors")
  const details = Array.isArray(errors)
    ? errors.flatMap((error) => {
        const message = textField(error, "defaultMessage") ?? textField(error, "message")
        if (message === null) return []
        const name = textField(error, "field")
        return [name === null ? message : `${name}: ${message}`]
      })
    : []
  const text = [head, ...details].filter((part): part is string => part !== null).join("; ")
  return text === "" ? null : text
}

/** The text with every secret blanked out and its length bounded: a vendor may echo what it was sent. */
const scrubbed = (text: string, secrets: ReadonlyArray<string>): string => {
  let safe = text.replace(/[\r\n\t]+/g, " ")
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 4) safe = safe.split(secret).join("[redacted]")
  }
  return safe.length > maxReason ? `${safe.slice(0, maxReason)}...` : safe
}

/** The documented wording of K-Series' answer to a `thirdPartyReference` used before. */
const usedReference = /reference has already been used/i

/**
 * The meaning of an order endpoint's answer (api-docs.lsk.lightspeed.app, "Create To Go Order" and
 * "Create Local Order"):
 *
 * - 200 `{"status":"ok"}`: the order was taken, to be delivered to the POS. It carries no id: the
 *   order's account identifier comes with its SUCCESS notification, keyed by the thirdPartyReference.
 * - 409 `{"status":"fail","msg":"reference has already been used ..."}`: an order under this
 *   thirdPartyReference exists, placed by an earlier attempt whose answer was lost: submitted. A 400
 *   with that wording is read alike (K-Series' payment endpoint answers a used reference so).
 * - Other 4xx: refused for good, with Lightspeed's reason (a 401 after a renewed token too).
 * - 408, 425, 429, 5xx, any other status, or a 2xx without its acknowledgement: unavailable. An order
 *   retried after an answer that was lost or unreadable meets the 409 if it had been taken.
 */
const outcomeOf = (
  answer: Answer,
  what: string,
  secrets: ReadonlyArray<string>
): Effect.Effect<SubmittedOrder, PosRejected | PosUnavailable> => {
  const body = parsed(answer.text)
  if (answer.status >= 200 && answer.status < 300) {
    const status = textField(body, "status")
    return status !== null && status.toLowerCase() === "ok"
      ? Effect.succeed({ posOrderId: null, duplicate: false })
      : Effect.fail(
          new PosUnavailable({
            reason: `${what} answered HTTP ${answer.status} without its acknowledgement ({"status":"ok"})`
          })
        )
  }
  const reason = vendorReason(body)
  if (answer.status === 409 || (answer.status === 400 && reason !== null && usedReference.test(reason))) {
    return Effect.succeed({ posOrderId: null, duplicate: true })
  }
  if (transient(answer.status) || answer.status < 400 || answer.status >= 500) {
    return Effect.fail(new PosUnavailable({ reason: `${what} answered HTTP ${answer.status}` }))
  }
  const said =
    answer.status === 401
      ? "refused a freshly renewed access token"
      : reason === null
        ? null
        : scrubbed(reason, secrets)
  return Effect.fail(
    new PosRejected({
      reason: `Lightspeed refused the order (${what} answered HTTP ${answer.status})${said === null ? "" : `: ${said}`}`,
      status: answer.status
    })
  )
}

/** The ordering fields of the business's credentials; an order cannot name its webhook endpoint without `endpointId`. */
const settingsOf = (
  credentials: AccountCredentials,
  options: OrderOptions
): Effect.Effect<OrderSettings, MissingCredentials> =>
  credentials.endpointId === undefined
    ? Effect.fail(
        new MissingCredentials({
          level: "account",
          reason:
            "the business's credentials have no endpointId: every Lightspeed order names the webhook endpoint registered for the business (PUT /o/wh/1/webhook)"
        })
      )
    : Effect.succeed({
        endpointId: credentials.endpointId,
        orderProfileCodes: credentials.orderProfileCodes ?? {},
        paymentMethodCode: credentials.paymentMethodCode,
        chargeSkus: credentials.chargeSkus ?? {},
        deliveryWindowMs: Math.max(60_000, Math.trunc(options.deliveryWindowMs))
      })

/**
 * Every string the business's credentials hold but the base URL (ids and codes too: a vendor
 * message echoing one is quoted without it), longest first so that none is left half blanked.
 */
const stringsOf = (credentials: AccountCredentials): ReadonlyArray<string> => {
  const { apiBaseUrl: _, ...rest } = credentials
  const found: Array<string> = []
  const visit = (value: unknown): void => {
    if (typeof value === "string") found.push(value)
    else if (typeof value === "object" && value !== null) Object.values(value).forEach(visit)
  }
  visit(rest)
  return found.sort((a, b) => b.length - a.length)
}

/** A token answer of an unexpected shape is Lightspeed answering wrongly: retried later, as any unreadable answer. */
const asSubmitFailure = (error: ApiFailure): SubmitFailure =>
  error._tag === "PayloadRejected"
    ? new PosUnavailable({ reason: "the Lightspeed token refresh answered in an unexpected shape" })
    : error

/**
 * Submits an order: exactly one POST to its K-Series endpoint (two when the first meets a 401: the
 * token is renewed through the vault and the POST sent once more). The refCode is the
 * thirdPartyReference, K-Series' idempotency key, so a retry of an order whose answer was lost is
 * answered as a duplicate, which counts as submitted.
 */
const submitOrder = (
  order: PosOrder,
  context: Context,
  options: OrderOptions
): Effect.Effect<SubmittedOrder, SubmitFailure> =>
  Effect.gen(function* () {
    const credentials = yield* requireCredentials(
      context.credentials.account,
      "account",
      "submitting an order to Lightspeed"
    )
    const settings = yield* settingsOf(credentials, options)
    const request = yield* orderRequest(order, settings)
    const api = yield* openApi(context, { timeout: options.timeout }, "submitting an order to Lightspeed")
    const answer = yield* api
      .send({ method: "POST", path: request.path, json: request.json })
      .pipe(Effect.mapError(asSubmitFailure))
    return yield* outcomeOf(answer, `Lightspeed POST ${request.path}`, [...api.secrets(), ...stringsOf(credentials)])
  }).pipe(
    // Never a defect: a bug meeting an answer no test thought of leaves the order to be retried.
    Effect.catchDefect(() =>
      Effect.fail(new PosUnavailable({ reason: "the Lightspeed order submission failed unexpectedly" }))
    )
  )

/** The order submission, with the options given (tests shorten them). */
export const makeSubmitOrder =
  (options: OrderOptions = defaultOrderOptions) =>
  (order: PosOrder, context: Context): Effect.Effect<SubmittedOrder, SubmitFailure> =>
    Effect.suspend(() => submitOrder(order, context, options))
