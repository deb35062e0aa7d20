/**
 * A fake Lightspeed Restaurant K-Series API on loopback, for tests of the pull (this plugin's and the
 * service's): a real HTTP server speaking the endpoints the plugin calls, with OAuth as Lightspeed
 * does it. Access tokens are checked on every call (401 otherwise); the token endpoint checks the
 * client (HTTP Basic) and spends refresh tokens once: a refresh answers a new access token and a new
 * refresh token, and the old refresh token is refused from then on (400 invalid_grant).
 *
 *   POST /oauth/token                               grant_type=refresh_token&refresh_token=...
 *   GET  /f/data/businesses                         the businesses answer given (HAL or bare)
 *   GET  /o/op/1/menu/list?businessLocationId=      [{menuName, ikentooMenuId}] of the location's menus
 *   GET  /o/op/1/menu/load/{menuId}?businessLocationId=   the menu load given
 *   POST /o/op/1/order/toGo, /o/op/1/order/local    an order (see below)
 *
 * Every request is recorded (`calls`, and order requests with their bodies in `orders`), faults can
 * be injected per path (`fail`), and the catalog can be changed between pulls (`setBusinesses`,
 * `setMenus`).
 *
 * Orders are answered as the K-Series documentation says (api-docs.lsk.lightspeed.app, "Create To Go
 * Order", "Create Local Order"): `200 {"status":"ok"}` for an order taken, `409
 * {"status":"fail","msg":"reference has already been used ..."}` for a thirdPartyReference taken
 * before, and a `400` in Spring's validation format (`message`, `errors[].field`,
 * `errors[].defaultMessage`) for a body breaking the documented rules: businessLocationId an integer
 * (read from the raw text, so that an int64 above 2^53 is compared exactly) naming a location the
 * fake knows, thirdPartyReference of 1 to 48 characters, endpointId, customerInfo.firstName of 1 to
 * 128 characters, items with a SKU of 1 to 25 characters and a whole quantity from 1, modifiers with
 * a modifierId, a payment with its paymentAmount. `answerOrders` makes every order request answer
 * one way instead (the conformance kit's answers): a duplicate, a refusal, a 503, no answer, or a
 * connection reset.
 */
import { randomUUID } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

export interface FakeLightspeedOptions {
  /** The OAuth client Lightspeed knows; the token endpoint refuses any other (401 invalid_client). */
  readonly clientId: string
  readonly clientSecret: string
  /** The refresh token valid at the start. */
  readonly refreshToken: string
  /** Access tokens valid at the start, with no expiry; any other is refused (401) until issued by a refresh. */
  readonly accessTokens?: ReadonlyArray<string>
  /** `expires_in` of the access tokens the refresh issues, in seconds: 3600 by default, as Lightspeed. */
  readonly accessTokenLifetime?: number
  /** How long the token endpoint takes to answer, in milliseconds (to widen a race between two refreshes). */
  readonly tokenDelayMs?: number
  /** The answer of GET /f/data/businesses. */
  readonly businesses: unknown
  /** Menu loads per business location (blID, as text); the menu list is derived from them. */
  readonly menus?: Readonly<Record<string, ReadonlyArray<unknown>>>
  /** The business locations (blIDs) taking orders; by default those with menus. */
  readonly orderLocations?: ReadonlyArray<string>
  /** How order requests are answered at first: "accept" (Lightspeed's own rules, the default) or one fixed answer. */
  readonly orderAnswer?: OrderAnswer
}

/**
 * How order requests are answered: "accept" checks them as Lightspeed does (taken, or refused as a
 * duplicate or as invalid); the others answer every order request alike: "duplicate" a 409, "reject"
 * a 400 refusal, "unavailable" a 503, "hang" nothing, "reset" a cut connection.
 */
export type OrderAnswer = "accept" | "duplicate" | "reject" | "unavailable" | "hang" | "reset"

/** An order request as the fake received it. */
export interface RecordedOrder {
  readonly path: string
  readonly bearer: string | null
  /** The body exactly as sent. */
  readonly body: string
  /** What the fake answered; 0 when it did not answer (a hang or a cut connection). */
  readonly status: number
}

export interface RecordedCall {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  /** The bearer token presented, or null. */
  readonly bearer: string | null
  /** The form fields of a token request (the refresh token among them), or null for any other request. */
  readonly form: Readonly<Record<string, string>> | null
  /** What the fake answered; 0 when it did not answer (a hang or a cut connection). */
  readonly status: number
}

/**
 * What a faulty answer looks like: a status with an optional body, `garbage` (200 with a body that is
 * not JSON), `hang` (never answers), or `reset` (the connection is cut).
 */
export type Fault =
  | { readonly status: number; readonly body?: string }
  | { readonly _tag: "garbage" }
  | { readonly _tag: "hang" }
  | { readonly _tag: "reset" }

export interface FakeLightspeed {
  /** The base URL to set as the business's `apiBaseUrl`: `http://127.0.0.1:<port>`. */
  readonly url: string
  /** Every request received, in order. */
  readonly calls: ReadonlyArray<RecordedCall>
  /** Every order request received (POST /o/op/1/order/...), with its body, in order. */
  readonly orders: ReadonlyArray<RecordedOrder>
  /** The thirdPartyReferences of the orders taken so far, in order. */
  readonly takenReferences: () => ReadonlyArray<string>
  /** Changes how order requests are answered from now on. */
  readonly answerOrders: (answer: OrderAnswer) => void
  /** The refresh token Lightspeed holds as valid now. */
  readonly refreshToken: () => string
  /** How many refreshes succeeded (each spent one refresh token). */
  readonly refreshes: () => number
  readonly setBusinesses: (payload: unknown) => void
  /** Replaces a location's menus (its menu list follows). */
  readonly setMenus: (businessLocationId: string, menus: ReadonlyArray<unknown>) => void
  /** The next `times` requests (1 by default) whose path starts with `pathPrefix` get `fault` instead of an answer. */
  readonly fail: (pathPrefix: string, fault: Fault, times?: number) => void
  /** Every access token valid so far is refused from now on (revoked), as after a merchant's logout. */
  readonly revokeAccessTokens: () => void
  readonly close: () => Promise<void>
}

const json = (response: ServerResponse, status: number, body: unknown): number => {
  response.writeHead(status, { "content-type": "application/json" })
  response.end(JSON.stringify(body))
  return status
}

/** Lightspeed's error body: `{"status", "message"}` (the real one also has a timestamp). */
const problem = (response: ServerResponse, status: number, message: string): number =>
  json(response, status, { status, message })

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

const basicCredentials = (authorization: string | undefined): readonly [string, string] | null => {
  const match = /^Basic\s+(\S+)$/i.exec(authorization ?? "")
  if (match === null) return null
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  return colon < 0 ? null : [decoded.slice(0, colon), decoded.slice(colon + 1)]
}

const field = (value: unknown, key: string): unknown =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined

const orderPaths: Readonly<Record<string, string>> = {
  "/o/op/1/order/toGo": "toGoOrder",
  "/o/op/1/order/local": "localOrder"
}

/** Spring's 400 body, as K-Series answers a request breaking its rules. */
const badRequest = (
  response: ServerResponse,
  path: string,
  message: string,
  errors: ReadonlyArray<{ readonly field: string; readonly defaultMessage: string; readonly objectName: string }> = []
): number =>
  json(response, 400, {
    timestamp: new Date().toISOString().replace("Z", "+0000"),
    status: 400,
    error: "Bad Request",
    message,
    ...(errors.length === 0
      ? {}
      : {
          errors: errors.map((error) => ({
            codes: [`Invalid.${error.objectName}.${error.field}`],
            defaultMessage: error.defaultMessage,
            objectName: error.objectName,
            field: error.field,
            bindingFailure: false,
            code: "Invalid"
          }))
        }),
    path
  })

const isText = (value: unknown, min: number, max: number): boolean =>
  typeof value === "string" && value.length >= min && value.length <= max

/** The documented rules of an order body: each broken one as a Spring field error. */
const orderErrors = (order: unknown, objectName: string) => {
  const errors: Array<{ field: string; defaultMessage: string; objectName: string }> = []
  const broken = (name: string, defaultMessage: string) => errors.push({ field: name, defaultMessage, objectName })
  if (!isText(field(order, "thirdPartyReference"), 1, 48))
    broken("thirdPartyReference", "size must be between 1 and 48")
  if (!isText(field(order, "endpointId"), 1, Infinity)) broken("endpointId", "must not be blank")
  const customer = field(order, "customerInfo")
  if (customer === undefined || customer === null) broken("customerInfo", "must not be null")
  else if (!isText(field(customer, "firstName"), 1, 128))
    broken("customerInfo.firstName", "size must be between 1 and 128")
  const items = field(order, "items")
  if (items !== undefined && !Array.isArray(items)) broken("items", "must be an array")
  for (const [index, item] of (Array.isArray(items) ? items : []).entries()) {
    if (!isText(field(item, "sku"), 1, 25)) broken(`items[${index}].sku`, "size must be between 1 and 25")
    const quantity = field(item, "quantity")
    if (typeof quantity !== "number" || !Number.isInteger(quantity) || quantity < 1) {
      broken(`items[${index}].quantity`, "must be greater than or equal to 1")
    }
    const modifiers = field(item, "modifiers")
    for (const [at, modifier] of (Array.isArray(modifiers) ? modifiers : []).entries()) {
      if (!isText(field(modifier, "modifierId"), 1, Infinity)) {
        broken(`items[${index}].modifiers[${at}].modifierId`, "must not be blank")
      }
    }
  }
  const payment = field(order, "payment")
  if (payment !== undefined && typeof field(payment, "paymentAmount") !== "number") {
    broken("payment.paymentAmount", "must not be null")
  }
  return errors
}

export const startFakeLightspeed = async (options: FakeLightspeedOptions): Promise<FakeLightspeed> => {
  const calls: Array<RecordedCall> = []
  const faults: Array<{ pathPrefix: string; fault: Fault; left: number }> = []
  /** Valid access tokens and when each expires (epoch ms; Infinity for the initial ones). */
  const accessTokens = new Map<string, number>((options.accessTokens ?? []).map((token) => [token, Infinity]))
  let refreshToken = options.refreshToken
  let refreshes = 0
  let businesses = options.businesses
  const menus = new Map<string, ReadonlyArray<unknown>>(Object.entries(options.menus ?? {}))
  const lifetime = options.accessTokenLifetime ?? 3600
  const orders: Array<RecordedOrder> = []
  const taken: Array<string> = []
  const orderLocations = new Set(options.orderLocations ?? Object.keys(options.menus ?? {}))
  let orderAnswer: OrderAnswer = options.orderAnswer ?? "accept"

  const token = async (request: IncomingMessage, response: ServerResponse, form: Record<string, string>) => {
    if (options.tokenDelayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.tokenDelayMs))
    const client = basicCredentials(request.headers.authorization)
    if (client === null || client[0] !== options.clientId || client[1] !== options.clientSecret) {
      return json(response, 401, { error: "invalid_client", error_description: "Bad client credentials" })
    }
    if (form["grant_type"] !== "refresh_token") return json(response, 400, { error: "unsupported_grant_type" })
    if (form["refresh_token"] !== refreshToken) {
      return json(response, 400, { error: "invalid_grant", error_description: "Invalid refresh token" })
    }
    refreshes += 1
    const access = `lsk-at-${refreshes}-${randomUUID()}`
    refreshToken = `lsk-rt-${refreshes}-${randomUUID()}`
    accessTokens.set(access, Date.now() + lifetime * 1000)
    return json(response, 200, {
      access_token: access,
      token_type: "bearer",
      refresh_token: refreshToken,
      expires_in: lifetime,
      scope: "orders-api items"
    })
  }

  /** True when the bearer token is one the fake issued and still honours; otherwise the 401 is answered. */
  const authorized = (response: ServerResponse, bearer: string | null): boolean => {
    const expiresAt = bearer === null ? undefined : accessTokens.get(bearer)
    if (expiresAt !== undefined && expiresAt > Date.now()) return true
    json(response, 401, { error: "invalid_token", error_description: "Access token expired or unknown" })
    return false
  }

  /** An order as Lightspeed takes it: checked against the documented rules, once per thirdPartyReference. */
  const order = (request: IncomingMessage, response: ServerResponse, path: string, text: string): number => {
    const objectName = orderPaths[path]!
    if (orderAnswer === "duplicate") {
      return json(response, 409, { status: "fail", msg: "reference has already been used 45454565682155" })
    }
    if (orderAnswer === "reject") {
      return badRequest(response, path, "Online ordering is not enabled for this business location")
    }
    if (orderAnswer === "unavailable") {
      return json(response, 503, { status: "503", timestamp: new Date().toISOString(), message: "Service Unavailable" })
    }
    if (orderAnswer === "reset") {
      request.socket.destroy()
      return 0
    }
    if (orderAnswer === "hang") return 0
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      return badRequest(response, path, "JSON parse error: the request body is not JSON")
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return badRequest(response, path, "JSON parse error: expected an object")
    }
    // The raw digits: JSON.parse would round an int64 above 2^53.
    const location = /"businessLocationId"\s*:\s*(\d+)\s*[,}]/.exec(text)?.[1]
    if (location === undefined) {
      return badRequest(response, path, `Validation failed for object='${objectName}'. Error count: 1`, [
        { field: "businessLocationId", defaultMessage: "must not be null", objectName }
      ])
    }
    if (!orderLocations.has(location)) return badRequest(response, path, `Business location ${location} not found`)
    const errors = orderErrors(body, objectName)
    if (errors.length > 0) {
      return badRequest(
        response,
        path,
        `Validation failed for object='${objectName}'. Error count: ${errors.length}`,
        errors
      )
    }
    const reference = field(body, "thirdPartyReference") as string
    if (taken.includes(reference)) {
      return json(response, 409, { status: "fail", msg: `reference has already been used ${reference}` })
    }
    taken.push(reference)
    return json(response, 200, { status: "ok" })
  }

  const api = (response: ServerResponse, path: string, query: Record<string, string>, bearer: string | null) => {
    if (!authorized(response, bearer)) return 401
    if (path === "/f/data/businesses") return json(response, 200, businesses)
    const location = query["businessLocationId"]
    if (path === "/o/op/1/menu/list" || path.startsWith("/o/op/1/menu/load/")) {
      if (location === undefined) return problem(response, 400, "businessLocationId is required")
      const loads = menus.get(location)
      if (loads === undefined) return problem(response, 404, `Business location ${location} not found`)
      if (path === "/o/op/1/menu/list") {
        return json(
          response,
          200,
          loads.map((menu) => ({ menuName: field(menu, "menuName"), ikentooMenuId: field(menu, "ikentooMenuId") }))
        )
      }
      const menuId = decodeURIComponent(path.slice("/o/op/1/menu/load/".length))
      const menu = loads.find((candidate) => String(field(candidate, "ikentooMenuId")) === menuId)
      return menu === undefined ? problem(response, 404, `Menu ${menuId} not found`) : json(response, 200, menu)
    }
    return problem(response, 404, "Not Found")
  }

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", "http://fake")
      const query = Object.fromEntries(url.searchParams)
      const text = await readBody(request)
      const isForm = /^application\/x-www-form-urlencoded/i.test(request.headers["content-type"] ?? "")
      const form = request.method === "POST" && isForm ? Object.fromEntries(new URLSearchParams(text)) : null
      const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1] ?? null
      const isOrder = request.method === "POST" && Object.hasOwn(orderPaths, url.pathname)
      const record = (status: number) => {
        calls.push({ method: request.method ?? "", path: url.pathname, query, bearer, form, status })
        if (isOrder) orders.push({ path: url.pathname, bearer, body: text, status })
      }
      const injected = faults.find((candidate) => url.pathname.startsWith(candidate.pathPrefix) && candidate.left > 0)
      if (injected !== undefined) {
        injected.left -= 1
        const fault = injected.fault
        if ("status" in fault) {
          response.writeHead(fault.status, { "content-type": "application/json" })
          response.end(fault.body ?? JSON.stringify({ status: fault.status, message: "injected" }))
          return record(fault.status)
        }
        if (fault._tag === "garbage") {
          response.writeHead(200, { "content-type": "text/html" })
          response.end("<html><body>Bad gateway, try again later</body>")
          return record(200)
        }
        if (fault._tag === "reset") request.socket.destroy()
        // A hang answers nothing: the connection stays open until the client gives up or the fake closes.
        return record(0)
      }
      if (request.method === "POST" && url.pathname === "/oauth/token")
        return record(await token(request, response, form ?? {}))
      if (isOrder) return record(authorized(response, bearer) ? order(request, response, url.pathname, text) : 401)
      if (request.method === "GET") return record(api(response, url.pathname, query, bearer))
      return record(problem(response, 405, "Method Not Allowed"))
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500)
      response.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    orders,
    takenReferences: () => [...taken],
    answerOrders: (answer) => {
      orderAnswer = answer
    },
    refreshToken: () => refreshToken,
    refreshes: () => refreshes,
    setBusinesses: (payload) => {
      businesses = payload
    },
    setMenus: (businessLocationId, loads) => {
      menus.set(businessLocationId, loads)
    },
    fail: (pathPrefix, fault, times = 1) => {
      faults.push({ pathPrefix, fault, left: times })
    },
    revokeAccessTokens: () => accessTokens.clear(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)))
        server.closeAllConnections()
      })
  }
}
