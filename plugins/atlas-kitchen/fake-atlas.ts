import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { accountCredentials, onSaleAround, pullFixtures } from "./fixtures/index.ts"
import type { AccountCredentials } from "./src/credentials.ts"

/**
 * A fake Atlas Kitchen on loopback, for tests: the Admin API's `GET /menus`, `GET /menus/{id}` and
 * `POST /outlets/{outlet_id}/channels/{channel_id}/orders` under `/admin/v1` (checking `X-Api-Key`
 * and `X-Merchant-Id`) and the Storefront API's `GET /channel` under `/storefronts/v1` (checking
 * `X-Channel-Id`). Errors use Atlas's shape `{type, message, details}` (the 401 its Authentication
 * page shows). Plain node:http, no test runner, so service-level tests can start it too:
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

/**
 * How the fake answers every order request instead of checking it (the conformance kit's order
 * checks): "accept" creates it (201, the fake's next order id), "duplicate" answers as for an
 * `external_order_id` the fake already holds (200 with that order, id 85), "reject" refuses it (422,
 * Atlas's error shape), "unavailable" answers 500, "hang" never answers, "reset" drops the
 * connection once the request arrived. The credentials are checked first all the same.
 */
export type FakeOrderAnswer = "accept" | "duplicate" | "reject" | "unavailable" | "hang" | "reset"

export interface FakeAtlasOptions {
  readonly merchantId?: string
  readonly apiKey?: string
  readonly channelId?: string
  /** The channel orders are created under (the `{channel_id}` of the order path). */
  readonly orderChannelId?: string
  /** Answers every order request so instead of checking it; null (the default) checks and creates. */
  readonly orderAnswer?: FakeOrderAnswer | null
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
  /** The body as received (empty for a GET). */
  readonly body: string
}

/** An order the fake created, as it answers it (Atlas's `OrderResponse`), and the request body it came from. */
export interface FakeAtlasOrder {
  readonly id: number
  readonly outletId: number
  readonly request: Record<string, unknown>
  readonly answer: Record<string, unknown>
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
  /** Drop the connection once the request arrived, answering nothing. */
  readonly reset?: boolean
}

export interface FakeAtlas {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  readonly adminBaseUrl: string
  readonly storefrontBaseUrl: string
  readonly merchantId: string
  readonly apiKey: string
  readonly channelId: string
  readonly orderChannelId: string
  /** The merchant's credentials pointing at this fake (the fixture merchant's webhook token). */
  readonly account: AccountCredentials
  /** Every request received, in order (recorded once its body arrived, before it is answered). */
  readonly calls: ReadonlyArray<FakeAtlasCall>
  /** The orders created, in order. */
  readonly orders: ReadonlyArray<FakeAtlasOrder>
  /** How many order requests (to the order path, any answer) were received. */
  orderRequests(): number
  /** Their bodies, as received, in order. */
  orderBodies(): ReadonlyArray<string>
  setMenus(menus: ReadonlyArray<unknown>): void
  setChannel(channel: unknown): void
  /** Answers every order request so from now on; null checks and creates again. */
  setOrderAnswer(answer: FakeOrderAnswer | null): void
  /** Answers every request for this path (`/admin/v1/menus`, without query) so; null restores the fake's own answer. */
  answer(path: string, answer: FakeAnswer | null): void
  close(): Promise<void>
}

const adminPrefix = "/admin/v1"
const storefrontPrefix = "/storefronts/v1"
const orderPath = /^\/admin\/v1\/outlets\/([^/]+)\/channels\/([^/]+)\/orders$/

/** The id of the first order the fake creates (the docs' example answer), and of the one a forced duplicate names. */
const firstOrderId = 85

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

/** The 401 of Atlas's Authentication page. */
const unauthorized: FakeAnswer = {
  status: 401,
  json: {
    type: "Unauthorized",
    message: "You did not provide valid credentials for this request",
    error_hash: { api_key: "Check if the API Key is set correctly in the X-Api-Key header" }
  }
}

const header = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const records = (value: unknown): ReadonlyArray<Record<string, unknown>> =>
  Array.isArray(value) ? value.filter(isRecord) : []

/** Every item an order may name in these menus: products, and the items their modifiers stand for. */
const itemIdsOf = (menus: ReadonlyArray<unknown>): ReadonlySet<number> => {
  const ids = new Set<number>()
  const products = (section: Record<string, unknown>) => [
    ...records(section.products),
    ...records(section.sub_sections).flatMap((sub) => records(sub.products))
  ]
  for (const menu of menus.filter(isRecord)) {
    for (const product of records(menu.sections).flatMap(products)) {
      if (typeof product.id === "number") ids.add(product.id)
      for (const link of records(product.item_modifier_groups)) {
        const group = isRecord(link.modifier_group) ? link.modifier_group : {}
        for (const modifier of records(group.modifiers)) {
          const item = isRecord(modifier.item) ? modifier.item.id : modifier.id
          if (typeof item === "number") ids.add(item)
        }
      }
    }
  }
  return ids
}

/** The outlets of a storefront channel answer, by id. */
const outletIdsOf = (channel: unknown): ReadonlySet<number> =>
  new Set(
    records(isRecord(channel) ? channel.outlets : undefined)
      .map((outlet) => outlet.id)
      .filter((id): id is number => typeof id === "number")
  )

const isInt = (value: unknown, min: number): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= min

/**
 * The problems Atlas's validation would find in a create-order body, as `details` entries: the
 * fields the docs mark required, with their types and allowed values, and items that exist.
 */
const orderProblems = (
  body: Record<string, unknown>,
  items: ReadonlySet<number>
): Array<{ field: string; message: string }> => {
  const problems: Array<{ field: string; message: string }> = []
  const add = (field: string, message: string) => problems.push({ field, message })
  if (!["dine_in", "pickup", "delivery"].includes(String(body.fulfilment_type))) {
    add("fulfilment_type", "is not included in the list")
  }
  if (typeof body.serving_date !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(body.serving_date)) {
    add("serving_date", "is not a date")
  }
  if (!isInt(body.timeslot_start, 0)) add("timeslot_start", "is not an integer")
  if (!isInt(body.timeslot_end, 0)) add("timeslot_end", "is not an integer")
  if (
    body.timeslot_type !== undefined &&
    ![null, "asap", "available_timeslots"].includes(body.timeslot_type as never)
  ) {
    add("timeslot_type", "is not included in the list")
  }
  const orderItems = Array.isArray(body.order_items) ? body.order_items : []
  if (orderItems.length === 0) add("order_items", "can't be blank")
  const checkItem = (item: unknown, at: string, nested: boolean): void => {
    if (!isRecord(item)) {
      add(at, "is not an object")
      return
    }
    if (!isInt(item.item_id, 1)) add(`${at}.item_id`, "is not an integer")
    else if (!items.has(item.item_id)) add(`${at}.item_id`, `Item ${item.item_id} not found`)
    if (!isInt(item.quantity, 1)) add(`${at}.quantity`, "must be greater than or equal to 1")
    if (!isInt(item.price_cents, 0)) add(`${at}.price_cents`, "is not an integer")
    if (nested) {
      if (!Array.isArray(item.sub_items)) add(`${at}.sub_items`, "can't be blank")
      else
        item.sub_items.forEach((sub, j) => {
          checkItem(sub, `${at}.sub_items[${j}]`, false)
        })
    }
  }
  orderItems.forEach((item, i) => {
    checkItem(item, `order_items[${i}]`, true)
  })
  if (body.external_order_id !== undefined && typeof body.external_order_id !== "string") {
    add("external_order_id", "is not a string")
  }
  if (body.is_paid !== undefined && typeof body.is_paid !== "boolean") add("is_paid", "is not a boolean")
  for (const key of ["subtotal", "delivery_fee", "surcharge", "discount", "total", "tax", "total_including_tax"]) {
    if (body[key] !== undefined && !isInt(body[key], 0)) add(key, "is not an integer")
  }
  records(body.order_payments).forEach((payment, i) => {
    if (!isInt(payment.amount, 0)) add(`order_payments[${i}].amount`, "is not an integer")
    for (const key of ["capture_id", "capture_type"]) {
      if (typeof payment[key] !== "string" || payment[key] === "") add(`order_payments[${i}].${key}`, "can't be blank")
    }
  })
  return problems
}

/** The order Atlas answers for a created one (`OrderResponse`, the fields this fake knows). */
const orderAnswerOf = (
  id: number,
  outletId: number,
  channelId: string,
  body: Record<string, unknown>,
  at: number
): Record<string, unknown> => {
  const text = (key: string) => (typeof body[key] === "string" ? body[key] : null)
  const int = (key: string) => (typeof body[key] === "number" ? body[key] : 0)
  let line = 0
  const item = (source: Record<string, unknown>, nested: boolean): Record<string, unknown> => ({
    id: id * 100 + ++line,
    item_id: source.item_id ?? null,
    name: typeof source.name === "string" ? source.name : null,
    quantity: source.quantity ?? 1,
    price_cents: source.price_cents ?? 0,
    discount: 0,
    notes: typeof source.notes === "string" ? source.notes : null,
    ...(nested ? { sub_items: records(source.sub_items).map((sub) => item(sub, false)) } : {})
  })
  const paid = body.is_paid === true
  return {
    id,
    identifier: String(id),
    user_id: 17,
    channel_id: /^\d+$/.test(channelId) ? Number(channelId) : channelId,
    outlet_id: outletId,
    brand_id: null,
    fulfilment_type: text("fulfilment_type"),
    state: paid ? "confirmed" : "unpaid",
    notes: text("notes"),
    serving_date: text("serving_date"),
    timeslot_start: int("timeslot_start"),
    timeslot_end: int("timeslot_end"),
    timeslot_type: text("timeslot_type") ?? "available_timeslots",
    contact_name: text("contact_name"),
    contact_email: text("contact_email"),
    contact_number: text("contact_number"),
    external_order_id: text("external_order_id"),
    external_order_short_code: text("external_order_short_code"),
    address_line1: text("address_line1"),
    address_line2: text("address_line2"),
    postal_code: text("postal_code"),
    address_latitude: typeof body.address_latitude === "number" ? body.address_latitude : null,
    address_longitude: typeof body.address_longitude === "number" ? body.address_longitude : null,
    is_asap: body.timeslot_type === "asap",
    is_paid: paid,
    created_at: Math.floor(at / 1000),
    updated_at: Math.floor(at / 1000),
    cancelled_at: null,
    completed_at: null,
    order_items: records(body.order_items).map((source) => item(source, true)),
    order_payments: records(body.order_payments).map((payment, i) => ({
      id: id * 10 + i,
      capture_id: payment.capture_id ?? null,
      is_captured: true,
      capture_type: payment.capture_type ?? null,
      amount: payment.amount ?? 0
    }))
  }
}

/** A path segment decoded; a malformed escape stays as it was (it then names nothing the fake has). */
const pathPart = (segment: string): string => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

export const startFakeAtlas = async (options: FakeAtlasOptions = {}): Promise<FakeAtlas> => {
  const merchantId = options.merchantId ?? accountCredentials.merchantId
  const apiKey = options.apiKey ?? accountCredentials.apiKey
  const channelId = options.channelId ?? accountCredentials.channelId ?? "atlas-cafe-sg"
  const orderChannelId = options.orderChannelId ?? accountCredentials.orderChannelId ?? "12"
  let orderAnswer: FakeOrderAnswer | null = options.orderAnswer ?? null
  const orders: Array<FakeAtlasOrder> = []
  let nextOrderId = firstOrderId
  let channel: unknown = options.channel ?? pullFixtures.channel
  let menus: ReadonlyArray<unknown> = options.menus ?? pullFixtures.menus.map((menu) => onSaleAround(menu, Date.now()))
  const calls: Array<FakeAtlasCall> = []
  const answers = new Map<string, FakeAnswer>()
  const hanging = new Set<ServerResponse>()

  const send = (request: IncomingMessage, response: ServerResponse, answer: FakeAnswer) => {
    if (answer.hang === true) {
      hanging.add(response)
      return
    }
    if (answer.reset === true) {
      request.socket.destroy()
      return
    }
    const body = answer.text ?? (answer.json === undefined ? "" : JSON.stringify(answer.json))
    response.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers })
    response.end(body)
  }

  /** `POST .../outlets/{outlet_id}/channels/{channel_id}/orders`, the credentials already checked. */
  const createOrder = (outletText: string, channelText: string, text: string): FakeAnswer => {
    const parsedBody = parseJson(text)
    const body = isRecord(parsedBody) ? parsedBody : {}
    const outletId = Number(outletText)
    const externalId = typeof body.external_order_id === "string" ? body.external_order_id : null
    const create = (): FakeAnswer => {
      const id = nextOrderId++
      const answer = orderAnswerOf(id, outletId, channelText, body, Date.now())
      orders.push({ id, outletId, request: body, answer })
      return { status: 201, json: answer }
    }
    switch (orderAnswer) {
      case "accept":
        return create()
      case "duplicate":
        return { status: 200, json: orderAnswerOf(firstOrderId, outletId, channelText, body, Date.now() - 60_000) }
      case "reject":
        return {
          status: 422,
          json: {
            type: "Invalid Parameter",
            message: "Outlet is not accepting orders for this timeslot",
            details: [{ field: "timeslot_start", message: "is not an available timeslot" }]
          }
        }
      case "unavailable":
        return { status: 500, json: atlasError("Server Error", "Request not processed") }
      case "hang":
        return { hang: true }
      case "reset":
        return { reset: true }
      case null:
        break
    }
    if (!/^\d+$/.test(outletText) || !outletIdsOf(channel).has(outletId)) {
      return { status: 404, json: atlasError("Not Found", "Outlet not found") }
    }
    if (channelText !== orderChannelId) return { status: 404, json: atlasError("Not Found", "Channel not found") }
    if (!isRecord(parsedBody)) {
      return { status: 400, json: atlasError("Invalid Parameter", "The request body is not a JSON object") }
    }
    const problems = orderProblems(body, itemIdsOf(menus))
    if (problems.length > 0) {
      return {
        status: 422,
        json: { type: "Invalid Parameter", message: "Request failed due to invalid parameters", details: problems }
      }
    }
    const existing = externalId === null ? undefined : orders.find((o) => o.request.external_order_id === externalId)
    return existing === undefined ? create() : { status: 200, json: existing.answer }
  }

  const handle = (request: IncomingMessage, body: string): FakeAnswer => {
    const url = new URL(request.url ?? "/", "http://fake.atlas")
    const path = url.pathname
    const scripted = answers.get(path)
    if (scripted !== undefined) return scripted
    const ordering = orderPath.exec(path)
    if (ordering !== null && request.method === "POST") {
      if (header(request, "x-api-key") !== apiKey || header(request, "x-merchant-id") !== merchantId) {
        return unauthorized
      }
      return createOrder(pathPart(ordering[1]!), pathPart(ordering[2]!), body)
    }
    if (request.method !== "GET") return { status: 404, json: atlasError("Not Found", "no such endpoint") }
    if (path === `${storefrontPrefix}/channel`) {
      return header(request, "x-channel-id") === channelId
        ? { json: channel }
        : { status: 404, json: atlasError("Not Found", "Channel not found") }
    }
    if (path.startsWith(`${adminPrefix}/`)) {
      if (header(request, "x-api-key") !== apiKey || header(request, "x-merchant-id") !== merchantId) {
        return unauthorized
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
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8")
      calls.push({
        method: request.method ?? "",
        path: request.url ?? "",
        apiKey: header(request, "x-api-key"),
        merchantId: header(request, "x-merchant-id"),
        channelId: header(request, "x-channel-id"),
        body
      })
      send(request, response, handle(request, body))
    })
  })
  const orderCalls = () => calls.filter((call) => orderPath.test(new URL(call.path, "http://fake.atlas").pathname))
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    adminBaseUrl: `${url}${adminPrefix}`,
    storefrontBaseUrl: `${url}${storefrontPrefix}`,
    merchantId,
    apiKey,
    channelId,
    orderChannelId,
    account: {
      adminBaseUrl: `${url}${adminPrefix}`,
      storefrontBaseUrl: `${url}${storefrontPrefix}`,
      merchantId,
      apiKey,
      channelId,
      orderChannelId,
      ...(accountCredentials.webhookToken === undefined ? {} : { webhookToken: accountCredentials.webhookToken })
    },
    calls,
    orders,
    orderRequests: () => orderCalls().length,
    orderBodies: () => orderCalls().map((call) => call.body),
    setMenus: (next) => {
      menus = next
    },
    setChannel: (next) => {
      channel = next
    },
    setOrderAnswer: (next) => {
      orderAnswer = next
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
