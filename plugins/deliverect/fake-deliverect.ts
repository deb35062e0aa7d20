import { randomUUID } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { outletCredentials } from "./fixtures/index.ts"
import type { OutletCredentials } from "./src/credentials.ts"

/**
 * A fake of Deliverect's Channel API on loopback, for tests: the token endpoint
 * (`POST /oauth/token`, client credentials in a JSON body) and the channel order endpoint
 * (`POST /{channelName}/order/{channelLinkId}`, orders and their cancellations), in Deliverect's
 * formats: a token answer `{access_token, token_type, expires_at, expires_in, scope}`, the order
 * answer `201 {}`, field errors `400 {"orderFieldsErrors": {...}, "orderPaymentErrors": {...}}`,
 * `401 {"code": "token_expired", ...}` for a token it does not take, Deliverect's
 * `{"code": "Authorization error", "description": "you're not allowed to send in orders"}` for a
 * channel name or channel link the client may not use, and its 500 and 404 bodies. Plain
 * node:http, no test runner, so any test can start it:
 *
 * ```ts
 * const deliverect = await startFakeDeliverect()
 * // credentials: deliverect.credentials; then look at deliverect.requests
 * await deliverect.close()
 * ```
 *
 * Tokens are self-describing (the client id and expiry inside, like the JWTs Deliverect issues),
 * so a token one fake issued is taken by another on the same port: a plugin's token cache does not
 * make a test depend on which fake it talked to before.
 */

/**
 * How the order endpoint answers once a request is authorised (the conformance kit's
 * `FakeOrderAnswer`): `accept` takes a well-formed order (`201 {}`); `duplicate` answers as
 * Deliverect does for a channelOrderId it already has, the same `201 {}` (it files the repeat as
 * a DUPLICATE and hides it); `reject` refuses with field errors (400); `unavailable` is a 500;
 * `hang` never answers; `reset` drops the connection once the request arrived.
 */
export type FakeOrderMode = "accept" | "duplicate" | "reject" | "unavailable" | "hang" | "reset"

/** A scripted answer to the order endpoint, in place of the mode's. */
export interface FakeAnswer {
  readonly status?: number
  /** Sent as JSON. */
  readonly json?: unknown
  /** Sent as it is (garbage, truncated JSON, an HTML error page). */
  readonly text?: string
}

export interface FakeDeliverectOptions {
  /** The client credentials it takes; the fixture outlet's by default. */
  readonly clientId?: string
  readonly clientSecret?: string
  /** The channel's scope in order URLs; the fixture outlet's by default. */
  readonly channelName?: string
  /** The channel links the channel may send orders to; any by default. */
  readonly channelLinks?: ReadonlyArray<string>
  /** How order requests are answered; `accept` by default. */
  readonly orders?: FakeOrderMode
  /** Seconds a token lives (its `expires_at` and `expires_in`); a day by default. */
  readonly tokenLifetimeSeconds?: number
  /**
   * Milliseconds the order endpoint takes to answer, as a real POS does (the request is recorded
   * when it arrives, the answer sent this long after); 0 by default.
   */
  readonly delayMs?: number
}

/** One request the fake received, recorded when it arrived. */
export interface FakeDeliverectRequest {
  readonly method: string
  /** Path and query as requested. */
  readonly path: string
  readonly kind: "token" | "order" | "other"
  readonly headers: Readonly<Record<string, string | undefined>>
  /** The raw body, as received. */
  readonly body: string
}

export interface FakeDeliverect {
  /** `http://127.0.0.1:<port>`: the base URL. */
  readonly url: string
  /** Outlet credentials that reach this fake (the fixture outlet's, with its base URL and client). */
  readonly credentials: OutletCredentials
  /** Every request, in order. */
  readonly requests: ReadonlyArray<FakeDeliverectRequest>
  readonly tokenRequests: () => number
  /** Requests to the order endpoint (orders and cancellations), authorised or not. */
  readonly orderRequests: () => number
  readonly orderBodies: () => ReadonlyArray<string>
  /** The channelOrderIds of the orders it took, and of those it filed as duplicates. */
  readonly taken: ReadonlyArray<string>
  readonly duplicates: ReadonlyArray<string>
  setOrders(mode: FakeOrderMode): void
  /** Answers the next order requests with these, one each, before the mode applies again. */
  script(...answers: ReadonlyArray<FakeAnswer>): void
  /** Every token issued so far is refused from now on (401 token_expired), as a revoked one is. */
  revokeTokens(): void
  close(): Promise<void>
}

const tokenPrefix = "fake-deliverect."

interface TokenClaims {
  readonly clientId: string
  /** Epoch seconds. */
  readonly expiresAt: number
  readonly nonce: string
}

const issue = (claims: TokenClaims): string =>
  tokenPrefix + Buffer.from(JSON.stringify(claims), "utf8").toString("base64url")

const claimsOf = (token: string): TokenClaims | null => {
  if (!token.startsWith(tokenPrefix)) return null
  try {
    const claims = JSON.parse(Buffer.from(token.slice(tokenPrefix.length), "base64url").toString("utf8")) as unknown
    if (typeof claims !== "object" || claims === null) return null
    const { clientId, expiresAt, nonce } = claims as Record<string, unknown>
    return typeof clientId === "string" && typeof expiresAt === "number" && typeof nonce === "string"
      ? { clientId, expiresAt, nonce }
      : null
  } catch {
    return null
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const missing = "Missing from the payload."

/** Deliverect's validation of an order's required fields, in its 400 shape; null when well-formed. */
const fieldErrors = (order: Record<string, unknown>): Record<string, unknown> | null => {
  const orderFieldsErrors: Record<string, string> = {}
  const orderPaymentErrors: Record<string, string> = {}
  for (const field of ["channelOrderId", "channelOrderDisplayId"]) {
    if (typeof order[field] !== "string" || order[field] === "") orderFieldsErrors[field] = missing
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

const header = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name]
  return Array.isArray(value) ? value.join(", ") : value
}

export const startFakeDeliverect = async (options: FakeDeliverectOptions = {}): Promise<FakeDeliverect> => {
  const clientId = options.clientId ?? outletCredentials.clientId
  const clientSecret = options.clientSecret ?? outletCredentials.clientSecret
  const channelName = options.channelName ?? outletCredentials.channelName
  const lifetime = options.tokenLifetimeSeconds ?? 86_400
  let mode: FakeOrderMode = options.orders ?? "accept"
  const requests: Array<FakeDeliverectRequest> = []
  const scripted: Array<FakeAnswer> = []
  const revoked = new Set<string>()
  const issued: Array<string> = []
  const taken: Array<string> = []
  const duplicates: Array<string> = []
  const hanging = new Set<ServerResponse>()
  const delayMs = options.delayMs ?? 0
  const delayed = new Set<ReturnType<typeof setTimeout>>()

  const send = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { "content-type": "application/json" })
    response.end(typeof body === "string" ? body : JSON.stringify(body))
  }

  const token = (response: ServerResponse, body: string) => {
    let json: unknown
    try {
      json = JSON.parse(body)
    } catch {
      json = undefined
    }
    const given = isObject(json) ? json : {}
    if (
      given["client_id"] !== clientId ||
      given["client_secret"] !== clientSecret ||
      typeof given["audience"] !== "string" ||
      given["grant_type"] !== "client_credentials"
    ) {
      return send(response, 401, { error: "access_denied", error_description: "Unauthorized" })
    }
    const expiresAt = Math.floor(Date.now() / 1000) + lifetime
    const value = issue({ clientId, expiresAt, nonce: randomUUID() })
    issued.push(value)
    send(response, 200, {
      access_token: value,
      token_type: "Bearer",
      expires_at: expiresAt,
      expires_in: lifetime,
      scope: `genericChannel:${channelName}`
    })
  }

  const order = (request: IncomingMessage, response: ServerResponse, path: string, body: string) => {
    const bearer = /^Bearer (.+)$/.exec(header(request, "authorization") ?? "")?.[1]
    const claims = bearer === undefined ? null : claimsOf(bearer)
    if (
      bearer === undefined ||
      claims === null ||
      claims.clientId !== clientId ||
      claims.expiresAt * 1000 <= Date.now() ||
      revoked.has(bearer)
    ) {
      return send(response, 401, { code: "token_expired", description: "token is expired" })
    }
    const [, scope = "", channelLink = ""] = /^\/([^/]+)\/order\/([^/]+)$/.exec(path) ?? []
    if (
      decodeURIComponent(scope) !== channelName ||
      (options.channelLinks !== undefined && !options.channelLinks.includes(decodeURIComponent(channelLink)))
    ) {
      return send(response, 401, { code: "Authorization error", description: "you're not allowed to send in orders" })
    }
    const next = scripted.shift()
    if (next !== undefined) {
      response.writeHead(next.status ?? 200, { "content-type": "application/json" })
      return response.end(next.text ?? (next.json === undefined ? "" : JSON.stringify(next.json)))
    }
    switch (mode) {
      case "hang":
        hanging.add(response)
        return
      case "reset":
        request.socket.destroy()
        return
      case "unavailable":
        return send(response, 500, { error: { code: "internal_server_error", message: "Internal server error" } })
      case "reject":
        return send(response, 400, {
          orderFieldsErrors: { channelLinkId: "The channel link is not accepting orders." }
        })
      case "accept":
      case "duplicate": {
        let json: unknown
        try {
          json = JSON.parse(body)
        } catch {
          json = undefined
        }
        if (!isObject(json)) return send(response, 400, { orderFieldsErrors: { order: "Invalid JSON payload." } })
        const errors = fieldErrors(json)
        if (errors !== null) return send(response, 400, errors)
        const channelOrderId = json["channelOrderId"] as string
        if (json["status"] !== 100) {
          if (mode === "duplicate" || taken.includes(channelOrderId)) duplicates.push(channelOrderId)
          else taken.push(channelOrderId)
        }
        return send(response, 201, {})
      }
    }
  }

  const server = createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8")
      const path = new URL(request.url ?? "/", "http://fake.deliverect").pathname
      const kind =
        request.method === "POST" && path === "/oauth/token"
          ? "token"
          : request.method === "POST" && /^\/[^/]+\/order\/[^/]+$/.test(path)
            ? "order"
            : "other"
      requests.push({
        method: request.method ?? "",
        path: request.url ?? "",
        kind,
        headers: { ...request.headers } as Record<string, string | undefined>,
        body
      })
      if (kind === "token") return token(response, body)
      if (kind === "order") {
        if (delayMs <= 0) return order(request, response, path, body)
        const timer = setTimeout(() => {
          delayed.delete(timer)
          order(request, response, path, body)
        }, delayMs)
        delayed.add(timer)
        return
      }
      send(response, 404, {
        message:
          "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again."
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const ofKind = (kind: FakeDeliverectRequest["kind"]) => requests.filter((r) => r.kind === kind)

  return {
    url,
    credentials: { ...outletCredentials, baseUrl: url, clientId, clientSecret, channelName },
    requests,
    tokenRequests: () => ofKind("token").length,
    orderRequests: () => ofKind("order").length,
    orderBodies: () => ofKind("order").map((r) => r.body),
    taken,
    duplicates,
    setOrders: (next) => {
      mode = next
    },
    script: (...answers) => {
      scripted.push(...answers)
    },
    revokeTokens: () => {
      for (const value of issued) revoked.add(value)
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const response of hanging) response.destroy()
        hanging.clear()
        for (const timer of delayed) clearTimeout(timer)
        delayed.clear()
        server.closeAllConnections()
        server.close((error) => (error === undefined ? resolve() : reject(error)))
      })
  }
}
