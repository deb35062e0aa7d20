import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Fiber, FiberSet, Schema, type Scope } from "effect"

/**
 * The demo's point of sale: a small Deliverect Channel API on loopback, so that `npm start` shows an
 * order travel RECEIVED -> SUBMITTED -> ACCEPTED with no system outside this process. It speaks the
 * Channel API as the Deliverect plugin calls it, in Deliverect's formats:
 *
 * - `POST /oauth/token`: the channel integration's client credentials in a JSON body
 *   (`client_id`, `client_secret`, `audience`, `grant_type: client_credentials`), answered with
 *   `{access_token, token_type, expires_at, expires_in, scope}`; wrong credentials are a 401
 *   `{"error": "access_denied", ...}`.
 * - `POST /{channelName}/order/{channelLinkId}` with the Bearer token: an order (`201 {}`), the same
 *   channelOrderId again (`201 {}` too, and nothing else happens: Deliverect files the repeat as a
 *   DUPLICATE and hides it), a cancellation (`status: 100` with a `cancellationReason`, `201 {}`),
 *   field errors as `400 {"orderFieldsErrors": {...}, "orderPaymentErrors": {...}}`, a token it did
 *   not issue as `401 {"code": "token_expired"}`, another channel or channel link as Deliverect's
 *   `401 {"code": "Authorization error"}`.
 *
 * Then it plays the kitchen: for each order it took, it posts Deliverect's order status webhooks
 * (`{"orderId", "channelOrderId", "status", "timeStamp", "receiptId", "reason", "location",
 * "channelLink"}`, signed as Deliverect signs them: the hex HMAC-SHA256 of the raw body with the
 * channel link's webhook secret, in `x-deliverect-signature`) to the service's own webhook endpoint,
 * on a fixed schedule: ACCEPTED (20) after a second, then PREPARING (50) and READY_FOR_PICKUP (70).
 * A cancellation stops the schedule and is answered with CANCELED (110) a second later.
 *
 * Its client secret and webhook secret are drawn afresh at each start; the demo outlets' credentials
 * are set to them at each start (runtime/bootstrap.ts), so nothing from an earlier run reaches it.
 * Everything it does is logged, and everything it schedules stops when its scope closes.
 */

/** A channel link the simulated POS serves: the Deliverect ids of one demo outlet. */
export interface SimulatedChannelLink {
  readonly channelLinkId: string
  /** Deliverect's location of the channel link, named in the webhooks' `location`. */
  readonly locationId: string | null
}

/** Where the webhooks go: the service's own address and its webhook path, with the tenant's host name. */
export interface WebhookTarget {
  /** The address to connect to (a loopback address of the service's listener). */
  readonly address: string
  readonly port: number
  /** BASE_PATH and `/api/v1/pos/deliverect/webhooks`. */
  readonly path: string
  /** The `Host` header naming the tenant: `demo.<BASE_DOMAIN>:<port>`. */
  readonly host: string
}

/** One status webhook of the schedule: Deliverect's status code, this long after the order was taken. */
export interface StatusStep {
  readonly afterMs: number
  readonly status: number
}

/** What the kitchen reports for every order it takes: ACCEPTED, PREPARING, READY_FOR_PICKUP. */
export const defaultSchedule: ReadonlyArray<StatusStep> = [
  { afterMs: 1000, status: 20 },
  { afterMs: 6000, status: 50 },
  { afterMs: 12000, status: 70 }
]

/** Deliverect's CANCELED: the kitchen's answer to a cancellation. */
const CANCELED = 110

export interface SimulatedPosOptions {
  readonly channelLinks: ReadonlyArray<SimulatedChannelLink>
  /**
   * Asked at each webhook, since the service's port is known only once it listens; undefined while
   * it does not listen (the webhook is then tried again later).
   */
  readonly webhookTarget: () => WebhookTarget | undefined
  readonly schedule?: ReadonlyArray<StatusStep>
  /** How long after a cancellation the kitchen reports CANCELED: a second by default. */
  readonly cancelAfterMs?: number
  /** How many times a webhook is sent before it is given up: 5 by default. */
  readonly webhookTries?: number
  /** The wait between two tries of a webhook: a second by default. */
  readonly retryDelayMs?: number
}

/** Outlet credentials in the Deliverect plugin's schema (plugins/deliverect/src/credentials.ts). */
export interface SimulatedPosCredentials {
  readonly baseUrl: string
  readonly channelName: string
  readonly clientId: string
  readonly clientSecret: string
  readonly webhookSecret: string
}

export interface SimulatedPos {
  /** `http://127.0.0.1:<port>`, the Channel API's base URL. */
  readonly url: string
  /** Credentials that reach this simulator, for any of its channel links. */
  readonly credentials: SimulatedPosCredentials
}

/** The channel's scope in the simulator's order URLs; also how its credentials are recognised. */
export const SIMULATED_CHANNEL = "DemoChannel"
const CLIENT_ID = "demo-channel"

export class SimulatedPosError extends Schema.TaggedError<SimulatedPosError>()("SimulatedPosError", {
  reason: Schema.String
}) {
  override get message(): string {
    return this.reason
  }
}

/** True when stored credentials are the simulator's (of this start or an earlier one), not an operator's. */
export const isSimulatorCredentials = (json: unknown): boolean => {
  if (typeof json !== "object" || json === null) return false
  const { baseUrl, channelName, clientId } = json as Record<string, unknown>
  return (
    channelName === SIMULATED_CHANNEL &&
    clientId === CLIENT_ID &&
    typeof baseUrl === "string" &&
    /^http:\/\/127\.0\.0\.1:\d+\/?$/.test(baseUrl)
  )
}

/** Bodies larger than this are not orders of the demo: refused. */
const maxBodyBytes = 1024 * 1024
/** Orders remembered to answer a repeat as a duplicate; the oldest is forgotten beyond this. */
const maxOrders = 10_000
const tokenLifetimeSeconds = 86_400
/** A webhook not answered within this is tried again. */
const webhookTimeoutMs = 5000

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const missing = "Missing from the payload."

/** Deliverect's checks of an order's required fields, in its 400 shape; null when well-formed. */
const fieldErrors = (order: Record<string, unknown>): Record<string, unknown> | null => {
  const orderFieldsErrors: Record<string, string> = {}
  const orderPaymentErrors: Record<string, string> = {}
  for (const field of ["channelOrderId", "channelOrderDisplayId"]) {
    if (typeof order[field] !== "string" || (order[field] as string).trim() === "") orderFieldsErrors[field] = missing
  }
  if (order["status"] === 100) {
    if (typeof order["cancellationReason"] !== "string") orderFieldsErrors["cancellationReason"] = missing
  } else {
    if (!Array.isArray(order["items"]) || order["items"].length === 0) orderFieldsErrors["items"] = missing
    if (!Number.isInteger(order["decimalDigits"])) orderFieldsErrors["decimalDigits"] = missing
    if (![1, 2, 3, 4, 5].includes(order["orderType"] as number)) orderFieldsErrors["orderType"] = missing
    if (typeof order["courier"] !== "string") orderFieldsErrors["courier"] = missing
    const payment = isObject(order["payment"]) ? order["payment"] : {}
    if (!Number.isInteger(payment["amount"])) orderPaymentErrors["amount"] = missing
    if (!Number.isInteger(payment["type"])) orderPaymentErrors["type"] = missing
  }
  const errors = {
    ...(Object.keys(orderFieldsErrors).length === 0 ? {} : { orderFieldsErrors }),
    ...(Object.keys(orderPaymentErrors).length === 0 ? {} : { orderPaymentErrors })
  }
  return Object.keys(errors).length === 0 ? null : errors
}

/** A path segment decoded, or undefined when its percent-encoding is malformed. */
const decoded = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

/** Equal strings, compared in constant time. */
const same = (a: string, b: string): boolean => {
  const left = Buffer.from(a, "utf8")
  const right = Buffer.from(b, "utf8")
  return left.length === right.length && timingSafeEqual(left, right)
}

/** Deliverect's spelling of an instant in webhooks: `2024-03-24T12:05:33.123000Z`. */
const deliverectInstant = (date: Date): string => date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z")

/** Deliverect's signature: the hex HMAC-SHA256 of the raw body with the channel link's secret. */
export const signWebhook = (secret: string, body: string): string =>
  createHmac("sha256", secret).update(body, "utf8").digest("hex")

interface TakenOrder {
  /** Deliverect's own id of the order (24 hex digits, as its ids are). */
  readonly orderId: string
  readonly channelOrderId: string
  readonly link: SimulatedChannelLink
  cancelled: boolean
  /** The status schedule still to come. */
  schedule: Fiber.Fiber<void> | undefined
}

/** One webhook's answer, or why there is none. */
type Delivery =
  | { readonly _tag: "Answered"; readonly status: number }
  | { readonly _tag: "NoAnswer"; readonly reason: string }

const post = (target: WebhookTarget, body: string, signature: string): Effect.Effect<Delivery> =>
  Effect.callback<Delivery>((resume) => {
    const outgoing = request(
      {
        host: target.address,
        port: target.port,
        method: "POST",
        path: target.path,
        agent: false,
        timeout: webhookTimeoutMs,
        headers: {
          host: target.host,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "user-agent": "deliverect-simulator",
          "x-deliverect-signature": signature
        }
      },
      (response) => {
        response.resume()
        response.on("end", () => resume(Effect.succeed({ _tag: "Answered", status: response.statusCode ?? 0 })))
        response.on("error", (error) => resume(Effect.succeed({ _tag: "NoAnswer", reason: error.message })))
      }
    )
    outgoing.on("timeout", () => outgoing.destroy(new Error(`no answer within ${webhookTimeoutMs} ms`)))
    outgoing.on("error", (error) => resume(Effect.succeed({ _tag: "NoAnswer", reason: error.message })))
    outgoing.end(body)
    return Effect.sync(() => outgoing.destroy())
  })

/**
 * Starts the simulated POS on 127.0.0.1 (a port of the system's choosing) for the scope: closing
 * the scope stops its webhooks and its server.
 */
export const startSimulatedPos = (
  options: SimulatedPosOptions
): Effect.Effect<SimulatedPos, SimulatedPosError, Scope.Scope> =>
  Effect.gen(function* () {
    const schedule = options.schedule ?? defaultSchedule
    const tries = Math.max(1, options.webhookTries ?? 5)
    const retryDelayMs = options.retryDelayMs ?? 1000
    const cancelAfterMs = options.cancelAfterMs ?? 1000
    const links = new Map(options.channelLinks.map((link) => [link.channelLinkId, link] as const))
    const clientSecret = randomBytes(24).toString("base64url")
    const webhookSecret = randomBytes(32).toString("hex")
    /** Access tokens it issued, with their expiry in epoch seconds. */
    const tokens = new Map<string, number>()
    const orders = new Map<string, TakenOrder>()
    const fibers = yield* FiberSet.make()
    const run = yield* FiberSet.runtime(fibers)()
    /** Stops an order's status schedule. */
    const stop = (order: TakenOrder) => {
      if (order.schedule !== undefined) run(Fiber.interrupt(order.schedule))
    }

    /** Sends one status webhook, again a little later when the service did not take it (up to `tries`). */
    const sendStatus = (order: TakenOrder, status: number, reason: string) =>
      Effect.gen(function* () {
        const body = JSON.stringify({
          orderId: order.orderId,
          channelOrderId: order.channelOrderId,
          status,
          timeStamp: deliverectInstant(new Date()),
          receiptId: "",
          reason,
          location: order.link.locationId ?? "",
          channelLink: order.link.channelLinkId
        })
        const signature = signWebhook(webhookSecret, body)
        for (let attempt = 1; attempt <= tries; attempt++) {
          const target = options.webhookTarget()
          const delivery: Delivery =
            target === undefined
              ? { _tag: "NoAnswer", reason: "the service does not listen yet" }
              : yield* post(target, body, signature)
          if (delivery._tag === "Answered" && delivery.status >= 200 && delivery.status < 300) {
            return yield* Effect.logDebug("demo POS: order status sent", {
              refCode: order.channelOrderId,
              status
            })
          }
          // A 4xx is the service refusing it (the outlet's credentials changed): sending it again changes nothing.
          if (delivery._tag === "Answered" && delivery.status < 500) {
            return yield* Effect.logWarning("demo POS: the service refused an order status webhook", {
              refCode: order.channelOrderId,
              status,
              httpStatus: delivery.status
            })
          }
          if (attempt === tries) {
            return yield* Effect.logWarning("demo POS: an order status webhook was not delivered", {
              refCode: order.channelOrderId,
              status,
              tries,
              last: delivery._tag === "Answered" ? `HTTP ${delivery.status}` : delivery.reason
            })
          }
          yield* Effect.sleep(retryDelayMs)
        }
      })

    /** The kitchen's reports for an order it took, on the schedule, until it is cancelled. */
    const play = (order: TakenOrder) =>
      Effect.gen(function* () {
        let elapsed = 0
        for (const step of schedule) {
          yield* Effect.sleep(Math.max(0, step.afterMs - elapsed))
          elapsed = Math.max(elapsed, step.afterMs)
          yield* sendStatus(order, step.status, "")
        }
      })

    const remember = (key: string, order: TakenOrder) => {
      orders.set(key, order)
      if (orders.size > maxOrders) {
        const oldest = orders.keys().next().value
        if (oldest !== undefined) {
          const forgotten = orders.get(oldest)
          if (forgotten !== undefined) stop(forgotten)
          orders.delete(oldest)
        }
      }
    }

    const send = (response: ServerResponse, status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" })
      response.end(JSON.stringify(body))
    }

    const token = (response: ServerResponse, json: unknown) => {
      const given = isObject(json) ? json : {}
      if (
        typeof given["client_id"] !== "string" ||
        typeof given["client_secret"] !== "string" ||
        !same(given["client_id"], CLIENT_ID) ||
        !same(given["client_secret"], clientSecret) ||
        typeof given["audience"] !== "string" ||
        given["grant_type"] !== "client_credentials"
      ) {
        return send(response, 401, { error: "access_denied", error_description: "Unauthorized" })
      }
      const now = Math.floor(Date.now() / 1000)
      for (const [value, expiresAt] of tokens) if (expiresAt <= now) tokens.delete(value)
      const value = randomBytes(32).toString("base64url")
      const expiresAt = now + tokenLifetimeSeconds
      tokens.set(value, expiresAt)
      send(response, 200, {
        access_token: value,
        token_type: "Bearer",
        expires_at: expiresAt,
        expires_in: tokenLifetimeSeconds,
        scope: `genericChannel:${SIMULATED_CHANNEL}`
      })
    }

    const order = (request: IncomingMessage, response: ServerResponse, path: string, json: unknown) => {
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1]
      const expiresAt = bearer === undefined ? undefined : tokens.get(bearer)
      if (expiresAt === undefined || expiresAt * 1000 <= Date.now()) {
        return send(response, 401, { code: "token_expired", description: "token is expired" })
      }
      const [, scope = "", channelLinkId = ""] = /^\/([^/]+)\/order\/([^/]+)$/.exec(path) ?? []
      const link = links.get(decoded(channelLinkId) ?? "")
      if (decoded(scope) !== SIMULATED_CHANNEL || link === undefined) {
        return send(response, 401, { code: "Authorization error", description: "you're not allowed to send in orders" })
      }
      if (!isObject(json)) return send(response, 400, { orderFieldsErrors: { order: "Invalid JSON payload." } })
      const errors = fieldErrors(json)
      if (errors !== null) return send(response, 400, errors)
      const channelOrderId = json["channelOrderId"] as string
      const key = JSON.stringify([link.channelLinkId, channelOrderId])
      const known = orders.get(key)
      if (json["status"] === 100) {
        if (known === undefined) {
          return send(response, 400, { orderFieldsErrors: { channelOrderId: "No order with this channelOrderId." } })
        }
        send(response, 201, {})
        if (known.cancelled) return
        known.cancelled = true
        stop(known)
        run(
          Effect.gen(function* () {
            yield* Effect.logInfo("demo POS: order cancelled", { refCode: channelOrderId })
            yield* Effect.sleep(cancelAfterMs)
            yield* sendStatus(known, CANCELED, String(json["cancellationReason"]))
          })
        )
        return
      }
      send(response, 201, {})
      if (known !== undefined) {
        run(Effect.logInfo("demo POS: the same order again, filed as a duplicate", { refCode: channelOrderId }))
        return
      }
      const taken: TakenOrder = {
        orderId: randomBytes(12).toString("hex"),
        channelOrderId,
        link,
        cancelled: false,
        schedule: undefined
      }
      remember(key, taken)
      run(Effect.logInfo("demo POS: order taken", { refCode: channelOrderId, outlet: link.channelLinkId }))
      taken.schedule = run(play(taken))
    }

    const server = createServer((incoming, response) => {
      const chunks: Array<Buffer> = []
      let size = 0
      incoming.on("data", (chunk: Buffer) => {
        size += chunk.length
        if (size <= maxBodyBytes) chunks.push(chunk)
      })
      incoming.on("error", () => response.destroy())
      incoming.on("end", () => {
        if (size > maxBodyBytes) return send(response, 413, { message: "Request Entity Too Large" })
        const path = URL.parse(incoming.url ?? "/", "http://127.0.0.1")?.pathname ?? ""
        let json: unknown
        try {
          json = JSON.parse(Buffer.concat(chunks).toString("utf8"))
        } catch {
          json = undefined
        }
        if (incoming.method === "POST" && path === "/oauth/token") return token(response, json)
        if (incoming.method === "POST" && /^\/[^/]+\/order\/[^/]+$/.test(path)) {
          return order(incoming, response, path, json)
        }
        send(response, 404, {
          message:
            "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again."
        })
      })
    })

    const port = yield* Effect.acquireRelease(
      Effect.callback<number, SimulatedPosError>((resume) => {
        const failed = (error: Error) =>
          resume(Effect.fail(new SimulatedPosError({ reason: `the demo POS could not listen: ${error.message}` })))
        server.once("error", failed)
        server.listen(0, "127.0.0.1", () => {
          server.off("error", failed)
          resume(Effect.succeed((server.address() as AddressInfo).port))
        })
      }),
      () =>
        Effect.callback<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    // Added after the server's release, so it runs first: no webhook starts while the server closes.
    yield* Effect.addFinalizer(() => FiberSet.clear(fibers))
    const url = `http://127.0.0.1:${port}`
    return {
      url,
      credentials: { baseUrl: url, channelName: SIMULATED_CHANNEL, clientId: CLIENT_ID, clientSecret, webhookSecret }
    }
  })
