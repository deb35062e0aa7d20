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
 *
 * Every request is recorded (`calls`), faults can be injected per path (`fail`), and the catalog can
 * be changed between pulls (`setBusinesses`, `setMenus`).
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
}

export interface RecordedCall {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  /** The bearer token presented, or null. */
  readonly bearer: string | null
  /** The form fields of a token request (the refresh token among them), or null. */
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

  const api = (response: ServerResponse, path: string, query: Record<string, string>, bearer: string | null) => {
    const expiresAt = bearer === null ? undefined : accessTokens.get(bearer)
    if (expiresAt === undefined || expiresAt <= Date.now()) {
      return json(response, 401, { error: "invalid_token", error_description: "Access token expired or unknown" })
    }
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
      const form = request.method === "POST" ? Object.fromEntries(new URLSearchParams(text)) : null
      const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1] ?? null
      const record = (status: number) =>
        calls.push({ method: request.method ?? "", path: url.pathname, query, bearer, form, status })
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
