import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { accountCredentials, onSaleAround, pullFixtures } from "./fixtures/index.ts"
import type { AccountCredentials } from "./src/credentials.ts"

/**
 * A fake Atlas Kitchen on loopback, for tests: the Admin API's `GET /menus` and `GET /menus/{id}`
 * under `/admin/v1` (checking `X-Api-Key` and `X-Merchant-Id`) and the Storefront API's
 * `GET /channel` under `/storefronts/v1` (checking `X-Channel-Id`). Errors use Atlas's shape
 * `{type, message, details}` (the 401 its Authentication page shows). Plain node:http, no test
 * runner, so service-level tests can start it too:
 *
 * ```ts
 * const atlas = await startFakeAtlas()
 * // store atlas.account as the merchant's credentials, pull, then look at atlas.calls
 * await atlas.close()
 * ```
 *
 * Menus are for sale by their `start_date`/`end_date` (Singapore time): by default the fake serves
 * the Singapore fixtures re-dated to be on sale around the real today (`onSaleAround`), so a pull
 * on the real clock finds both. Pass `menus: pullFixtures.menus` for the fixtures as dated (2024).
 */

export interface FakeAtlasOptions {
  readonly merchantId?: string
  readonly apiKey?: string
  readonly channelId?: string
  /** The `GET /channel` answer; the Singapore channel fixture by default. */
  readonly channel?: unknown
  /** Full menus as `GET /menus/{id}` answers them; `GET /menus` lists their headers. The Singapore menus on sale today by default. */
  readonly menus?: ReadonlyArray<unknown>
}

/** One request the fake received, with the credentials it presented (to check what was sent where). */
export interface FakeAtlasCall {
  readonly method: string
  /** Path and query as requested: `/admin/v1/menus/8921`. */
  readonly path: string
  readonly apiKey: string | undefined
  readonly merchantId: string | undefined
  readonly channelId: string | undefined
}

/** A scripted answer in place of the fake's own. */
export interface FakeAnswer {
  readonly status?: number
  /** Sent as JSON. */
  readonly json?: unknown
  /** Sent as it is (garbage, truncated JSON, an HTML error page). */
  readonly text?: string
  readonly headers?: Readonly<Record<string, string>>
  /** Never answer: the request hangs until the fake is closed. */
  readonly hang?: boolean
}

export interface FakeAtlas {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  readonly adminBaseUrl: string
  readonly storefrontBaseUrl: string
  readonly merchantId: string
  readonly apiKey: string
  readonly channelId: string
  /** The merchant's credentials pointing at this fake (the fixture merchant's webhook token). */
  readonly account: AccountCredentials
  /** Every request received, in order (recorded when it arrives, before it is answered). */
  readonly calls: ReadonlyArray<FakeAtlasCall>
  setMenus(menus: ReadonlyArray<unknown>): void
  setChannel(channel: unknown): void
  /** Answers every request for this path (`/admin/v1/menus`, without query) so; null restores the fake's own answer. */
  answer(path: string, answer: FakeAnswer | null): void
  close(): Promise<void>
}

const adminPrefix = "/admin/v1"
const storefrontPrefix = "/storefronts/v1"

/** The header fields of a menu, as "Menu List" shows them (no sections). */
const listedKeys = [
  "id",
  "identifier",
  "brand_id",
  "start_date",
  "end_date",
  "name",
  "state",
  "tag_list",
  "lead_time",
  "created_at",
  "updated_at"
] as const

const headerOf = (menu: unknown): Record<string, unknown> => {
  const source = typeof menu === "object" && menu !== null ? (menu as Record<string, unknown>) : {}
  return Object.fromEntries(listedKeys.filter((key) => Object.hasOwn(source, key)).map((key) => [key, source[key]]))
}

const idOf = (menu: unknown): string | undefined =>
  typeof menu === "object" && menu !== null && "id" in menu ? String(menu.id) : undefined

const atlasError = (type: string, message: string) => ({ type, message, details: [] })

const header = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}

export const startFakeAtlas = async (options: FakeAtlasOptions = {}): Promise<FakeAtlas> => {
  const merchantId = options.merchantId ?? accountCredentials.merchantId
  const apiKey = options.apiKey ?? accountCredentials.apiKey
  const channelId = options.channelId ?? accountCredentials.channelId ?? "atlas-cafe-sg"
  let channel: unknown = options.channel ?? pullFixtures.channel
  let menus: ReadonlyArray<unknown> = options.menus ?? pullFixtures.menus.map((menu) => onSaleAround(menu, Date.now()))
  const calls: Array<FakeAtlasCall> = []
  const answers = new Map<string, FakeAnswer>()
  const hanging = new Set<ServerResponse>()

  const send = (response: ServerResponse, answer: FakeAnswer) => {
    if (answer.hang === true) {
      hanging.add(response)
      return
    }
    const body = answer.text ?? (answer.json === undefined ? "" : JSON.stringify(answer.json))
    response.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers })
    response.end(body)
  }

  const handle = (request: IncomingMessage): FakeAnswer => {
    const url = new URL(request.url ?? "/", "http://fake.atlas")
    const path = url.pathname
    const scripted = answers.get(path)
    if (scripted !== undefined) return scripted
    if (request.method !== "GET") return { status: 404, json: atlasError("Not Found", "no such endpoint") }
    if (path === `${storefrontPrefix}/channel`) {
      return header(request, "x-channel-id") === channelId
        ? { json: channel }
        : { status: 404, json: atlasError("Not Found", "Channel not found") }
    }
    if (path.startsWith(`${adminPrefix}/`)) {
      if (header(request, "x-api-key") !== apiKey || header(request, "x-merchant-id") !== merchantId) {
        return {
          status: 401,
          json: {
            type: "Unauthorized",
            message: "You did not provide valid credentials for this request",
            error_hash: { api_key: "Check if the API Key is set correctly in the X-Api-Key header" }
          }
        }
      }
      if (path === `${adminPrefix}/menus`) return { json: { object: "menu", items: menus.map(headerOf) } }
      const detail = /^\/admin\/v1\/menus\/([^/]+)$/.exec(path)
      if (detail !== null) {
        const menu = menus.find((m) => idOf(m) === decodeURIComponent(detail[1]!))
        return menu === undefined ? { status: 404, json: atlasError("Not Found", "Menu not found") } : { json: menu }
      }
    }
    return { status: 404, json: atlasError("Not Found", "no such endpoint") }
  }

  const server = createServer((request, response) => {
    calls.push({
      method: request.method ?? "",
      path: request.url ?? "",
      apiKey: header(request, "x-api-key"),
      merchantId: header(request, "x-merchant-id"),
      channelId: header(request, "x-channel-id")
    })
    request.resume()
    request.on("end", () => send(response, handle(request)))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    adminBaseUrl: `${url}${adminPrefix}`,
    storefrontBaseUrl: `${url}${storefrontPrefix}`,
    merchantId,
    apiKey,
    channelId,
    account: {
      adminBaseUrl: `${url}${adminPrefix}`,
      storefrontBaseUrl: `${url}${storefrontPrefix}`,
      merchantId,
      apiKey,
      channelId,
      ...(accountCredentials.webhookToken === undefined ? {} : { webhookToken: accountCredentials.webhookToken })
    },
    calls,
    setMenus: (next) => {
      menus = next
    },
    setChannel: (next) => {
      channel = next
    },
    answer: (path, answer) => {
      if (answer === null) answers.delete(path)
      else answers.set(path, answer)
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const response of hanging) response.destroy()
        hanging.clear()
        server.closeAllConnections()
        server.close((error) => (error === undefined ? resolve() : reject(error)))
      })
  }
}
