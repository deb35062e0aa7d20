import { randomUUID } from "node:crypto"
import type { PosCredentials, PosOrder } from "@pos-integration/sdk"
import { Cause, Duration, Effect, Result } from "effect"
import { FetchHttpClient, HttpClient, type HttpClientRequest, HttpClientResponse } from "effect/http"
import { afterEach, describe, expect, it } from "vitest"
import { type FakeDeliverect, type FakeDeliverectOptions, startFakeDeliverect } from "./fake-deliverect.ts"
import { marinaBay, marinaBayOrder } from "./fixtures/index.ts"
import plugin from "./index.ts"
import { decimalDigits } from "./src/currency.ts"
import type { AccountCredentials, OutletCredentials } from "./src/credentials.ts"
import { callContext, failed, outcome, succeeded } from "./test-helpers.ts"

/** The platform's fetch, as the service calls POS systems. */
const http: HttpClient.HttpClient = Effect.runSync(
  Effect.provide(
    Effect.gen(function* () {
      return yield* HttpClient.HttpClient
    }),
    FetchHttpClient.layer
  )
)

const running: Array<FakeDeliverect> = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((fake) => fake.close()))
})

/**
 * A fake Deliverect with a client of its own: tokens are cached per token URL and client id for
 * the life of the process, so each test's client starts with none.
 */
const fake = async (options: FakeDeliverectOptions = {}): Promise<FakeDeliverect> => {
  const started = await startFakeDeliverect({ clientId: `client-${randomUUID()}`, ...options })
  running.push(started)
  return started
}

const levels = (outlet: OutletCredentials | null): PosCredentials<OutletCredentials, AccountCredentials> => ({
  outlet,
  account: null
})

const contextFor = (deliverect: FakeDeliverect, credentials: Partial<OutletCredentials> = {}) =>
  callContext(http, levels({ ...deliverect.credentials, ...credentials }))

const submit = (deliverect: FakeDeliverect, order: PosOrder, credentials: Partial<OutletCredentials> = {}) =>
  plugin.submitOrder(order, contextFor(deliverect, credentials))

const cancel = (deliverect: FakeDeliverect, reason: string | null = "customer asked") =>
  plugin.cancelOrder({ refCode: marinaBayOrder.refCode, posOrderId: null, reason }, contextFor(deliverect))

const sentOrders = (deliverect: FakeDeliverect): Array<unknown> =>
  deliverect.orderBodies().map((body) => JSON.parse(body) as unknown)

const orderPath = `/PosIntegration/order/${marinaBay}`

/** A web answer, for HTTP clients made up in a test. */
const webResponse = (request: HttpClientRequest.HttpClientRequest, text: string, status: number) =>
  HttpClientResponse.fromWeb(request, new Response(text, { status, headers: { "content-type": "application/json" } }))

/**
 * A delivery priced tax-exclusive, unpaid (cash): a coffee whose size has a milk of its own (nested
 * modifiers) carrying its share of the discounts, a burger with a modifier twice, a salad taxed at
 * another rate, every kind of charge, and two order discounts. Amounts as the core computes them (tax
 * half-up per line): lines 1240 + 1950 + 1400 less discounts 324, charges 670, tax 452, total 5388.
 */
const exclusiveDelivery: PosOrder = {
  refCode: "CATA-000200",
  displayId: null,
  outletExternalId: marinaBay,
  placedAt: "2026-03-15T14:00:00.000Z",
  fulfilment: {
    type: "DELIVERY",
    asap: true,
    scheduledFor: null,
    table: null,
    address: {
      line1: "8 Temasek Blvd",
      line2: "#12-01 Tower 3",
      city: "Singapore",
      postalCode: "038988",
      country: "SG",
      latitude: 1.2936,
      longitude: 103.8572
    }
  },
  customer: { name: "Tan Wei", phone: "+6591234567", email: null },
  lines: [
    {
      posCode: "HOT-FW",
      name: "Flat White",
      quantity: 2,
      unitPrice: 480,
      note: null,
      modifiers: [
        {
          posCode: "SIZE-L",
          name: "Large",
          quantity: 1,
          unitPrice: 80,
          modifiers: [{ posCode: "MILK-OAT", name: "Oat Milk", quantity: 1, unitPrice: 60, modifiers: [] }]
        }
      ],
      // Its share of the order's discounts, as the core allocates them (the same money: not sent again).
      discounts: [{ name: "Coffee hour", posCode: null, code: "COFFEE10", amount: 124 }],
      tax: { ratePpm: 90000, amount: 100 },
      total: 1116
    },
    {
      posCode: "BRG-01",
      name: "Classic Burger",
      quantity: 1,
      unitPrice: 1650,
      note: "no onions",
      modifiers: [
        { posCode: "COOK-M", name: "Medium", quantity: 1, unitPrice: 0, modifiers: [] },
        { posCode: "EXT-BAC", name: "Bacon", quantity: 2, unitPrice: 150, modifiers: [] }
      ],
      discounts: [],
      tax: { ratePpm: 90000, amount: 176 },
      total: 1950
    },
    {
      posCode: "HAL-01",
      name: "Grilled Halloumi Salad",
      quantity: 1,
      unitPrice: 1400,
      note: null,
      modifiers: [],
      discounts: [],
      tax: { ratePpm: 88750, amount: 124 },
      total: 1400
    }
  ],
  charges: [
    { kind: "DELIVERY", name: "Delivery fee", amount: 300, tax: { ratePpm: 90000, amount: 27 } },
    { kind: "SERVICE", name: "Service charge", amount: 200, tax: { ratePpm: 90000, amount: 18 } },
    { kind: "PACKAGING", name: "Bag", amount: 20, tax: { ratePpm: 90000, amount: 2 } },
    { kind: "TIP", name: "Rider tip", amount: 100, tax: { ratePpm: null, amount: 0 } },
    { kind: "OTHER", name: "Small order fee", amount: 50, tax: { ratePpm: 90000, amount: 5 } }
  ],
  discounts: [
    { name: "Coffee hour", posCode: null, code: "COFFEE10", amount: 124 },
    { name: "Welcome", posCode: null, code: null, amount: 200 }
  ],
  pricing: "PARTNER",
  taxInclusive: false,
  currency: "SGD",
  totals: {
    subtotal: 4590,
    deliveryFee: 300,
    serviceCharge: 250,
    packaging: 20,
    tip: 100,
    discount: 324,
    tax: 452,
    total: 5388
  },
  payment: { status: "UNPAID", amount: 5388, method: "cash", reference: null },
  notes: "Leave at the lobby"
}

/** Scheduled for pickup at 15:30, the fixture order otherwise (tax-inclusive, paid). */
const scheduledPickup: PosOrder = {
  ...marinaBayOrder,
  fulfilment: { type: "PICKUP", asap: false, scheduledFor: "2026-03-15T15:30:00.000Z", table: null, address: null }
}

/** Eat-in at table 12 in Tokyo: yen have no minor unit, so 1200 is ¥1,200. */
const yenDineIn: PosOrder = {
  ...marinaBayOrder,
  refCode: "CATA-JP-7",
  displayId: "J7",
  placedAt: "2026-03-15T03:00:00.789Z",
  fulfilment: { type: "DINE_IN", asap: true, scheduledFor: null, table: "12", address: null },
  customer: { name: null, phone: null, email: null },
  lines: [
    {
      posCode: "RMN-01",
      name: "Shoyu Ramen",
      quantity: 1,
      unitPrice: 1200,
      note: null,
      modifiers: [{ posCode: "TOP-EGG", name: "Ajitama", quantity: 1, unitPrice: 150, modifiers: [] }],
      discounts: [],
      tax: { ratePpm: 100000, amount: 123 },
      total: 1350
    }
  ],
  currency: "JPY",
  totals: {
    subtotal: 1350,
    deliveryFee: 0,
    serviceCharge: 0,
    packaging: 0,
    tip: 0,
    discount: 0,
    tax: 123,
    total: 1350
  },
  payment: { status: "PAID", amount: 1350, method: "card", reference: null }
}

describe("submitOrder: the request", () => {
  it("a tax-exclusive delivery: nested modifiers, charges, line and order discounts, taxes by rate, the address", async () => {
    const deliverect = await fake()
    expect(await succeeded(submit(deliverect, exclusiveDelivery))).toEqual({ posOrderId: null, duplicate: false })
    expect(sentOrders(deliverect)).toEqual([
      {
        channelOrderId: "CATA-000200",
        // No display id: the refCode stands in.
        channelOrderDisplayId: "CATA-000200",
        orderType: 2,
        courier: "restaurant",
        deliveryIsAsap: true,
        pickupTime: "2026-03-15T14:00:00Z",
        placedTime: "2026-03-15T14:00:00Z",
        decimalDigits: 2,
        items: [
          {
            plu: "HOT-FW",
            name: "Flat White",
            price: 480,
            quantity: 2,
            subItems: [
              {
                plu: "SIZE-L",
                name: "Large",
                price: 80,
                quantity: 1,
                subItems: [{ plu: "MILK-OAT", name: "Oat Milk", price: 60, quantity: 1, subItems: [] }]
              }
            ]
          },
          {
            plu: "BRG-01",
            name: "Classic Burger",
            price: 1650,
            quantity: 1,
            remark: "no onions",
            subItems: [
              { plu: "COOK-M", name: "Medium", price: 0, quantity: 1, subItems: [] },
              { plu: "EXT-BAC", name: "Bacon", price: 150, quantity: 2, subItems: [] }
            ]
          },
          { plu: "HAL-01", name: "Grilled Halloumi Salad", price: 1400, quantity: 1, subItems: [] }
        ],
        payment: { amount: 5388, type: 1, due: 5388 },
        orderIsAlreadyPaid: false,
        // Lines' and the bag fee's taxes by rate; the delivery and service charges' in their own fields.
        taxes: [
          { name: "Tax 9%", total: 278 },
          { name: "Tax 8.875%", total: 124 }
        ],
        deliveryCost: 300,
        deliveryCostTax: 27,
        // The service charge and the small order fee.
        serviceCharge: 250,
        serviceChargeTax: 23,
        bagFee: 20,
        tip: 100,
        discountTotal: -324,
        discounts: [
          {
            type: "order_flat_off",
            provider: "unknown",
            name: "Coffee hour",
            channelDiscountCode: "COFFEE10",
            referenceId: 1,
            value: 124,
            amount: 124
          },
          { type: "order_flat_off", provider: "unknown", name: "Welcome", referenceId: 2, value: 200, amount: 200 }
        ],
        customer: { name: "Tan Wei", phoneNumber: "+6591234567" },
        deliveryAddress: {
          street: "8 Temasek Blvd",
          extraAddressInfo: "#12-01 Tower 3",
          postalCode: "038988",
          city: "Singapore",
          country: "SG",
          coordinates: { latitude: 1.2936, longitude: 103.8572 }
        },
        note: "Leave at the lobby"
      }
    ])
  })

  it("the amounts add up as Deliverect's payment formula says: items, charges, their taxes, taxes, less discounts", async () => {
    const deliverect = await fake()
    await succeeded(submit(deliverect, exclusiveDelivery))
    const body = sentOrders(deliverect)[0] as Record<string, unknown>
    type Item = { price: number; quantity: number; subItems: Array<Item> }
    const itemTotal = (item: Item): number =>
      item.quantity * (item.price + (item.subItems as Array<Item>).reduce((sum, sub) => sum + itemTotal(sub), 0))
    const items = (body["items"] as Array<Item>).reduce((sum, item) => sum + itemTotal(item), 0)
    const taxes = (body["taxes"] as Array<{ total: number }>).reduce((sum, tax) => sum + tax.total, 0)
    const fields = ["deliveryCost", "deliveryCostTax", "serviceCharge", "serviceChargeTax", "bagFee", "tip"]
    const charges = fields.reduce((sum, field) => sum + (body[field] as number), 0)
    expect(items + charges + taxes + (body["discountTotal"] as number)).toBe(exclusiveDelivery.totals.total)
    expect((body["payment"] as { amount: number }).amount).toBe(exclusiveDelivery.totals.total)
  })

  it("a tax-inclusive pickup scheduled for later: no taxes listed, no charge tax fields, paid online", async () => {
    const deliverect = await fake()
    await succeeded(submit(deliverect, scheduledPickup))
    expect(sentOrders(deliverect)).toEqual([
      {
        channelOrderId: "CATA-000123",
        channelOrderDisplayId: "A123",
        orderType: 1,
        courier: "restaurant",
        deliveryIsAsap: false,
        pickupTime: "2026-03-15T15:30:00Z",
        placedTime: "2026-03-15T14:00:00Z",
        decimalDigits: 2,
        items: [
          {
            plu: "STK-01",
            name: "Steak Frites",
            price: 2450,
            quantity: 1,
            subItems: [
              { plu: "COOK-M", name: "Medium", price: 0, quantity: 1, subItems: [] },
              { plu: "SIDE-FR", name: "Fries", price: 300, quantity: 1, subItems: [] }
            ]
          },
          { plu: "DRK-COLA", name: "Coca-Cola 330ml", price: 350, quantity: 2, remark: "no ice", subItems: [] }
        ],
        payment: { amount: 3450, type: 0, due: 0 },
        orderIsAlreadyPaid: true,
        taxes: [],
        deliveryCost: 0,
        serviceCharge: 0,
        bagFee: 0,
        tip: 0,
        discountTotal: 0,
        discounts: [],
        customer: { name: "Tan Wei", phoneNumber: "+6591234567", email: "tan@example.com" }
      }
    ])
  })

  it("yen: decimalDigits 0 and the amounts as they are; eat-in with its table; the time to the second, in UTC", async () => {
    const deliverect = await fake()
    await succeeded(submit(deliverect, yenDineIn))
    expect(sentOrders(deliverect)).toEqual([
      {
        channelOrderId: "CATA-JP-7",
        channelOrderDisplayId: "J7",
        orderType: 3,
        courier: "restaurant",
        deliveryIsAsap: true,
        pickupTime: "2026-03-15T03:00:00Z",
        placedTime: "2026-03-15T03:00:00Z",
        decimalDigits: 0,
        items: [
          {
            plu: "RMN-01",
            name: "Shoyu Ramen",
            price: 1200,
            quantity: 1,
            subItems: [{ plu: "TOP-EGG", name: "Ajitama", price: 150, quantity: 1, subItems: [] }]
          }
        ],
        payment: { amount: 1350, type: 0, due: 0 },
        orderIsAlreadyPaid: true,
        taxes: [],
        deliveryCost: 0,
        serviceCharge: 0,
        bagFee: 0,
        tip: 0,
        discountTotal: 0,
        discounts: [],
        table: "12"
      }
    ])
  })

  it("a delivery scheduled for later: deliveryTime and pickupTime are the time asked for; the channel's riders as courier when set", async () => {
    const deliverect = await fake()
    const later: PosOrder = {
      ...exclusiveDelivery,
      fulfilment: { ...exclusiveDelivery.fulfilment, asap: false, scheduledFor: "2026-03-15T19:45:30+08:00" }
    }
    await succeeded(submit(deliverect, later, { courier: "posintegration" }))
    expect(sentOrders(deliverect)[0]).toMatchObject({
      orderType: 2,
      courier: "posintegration",
      deliveryIsAsap: false,
      pickupTime: "2026-03-15T11:45:30Z",
      deliveryTime: "2026-03-15T11:45:30Z"
    })
  })

  it.each([
    ["PICKUP", 1],
    ["DELIVERY", 2],
    ["DINE_IN", 3],
    ["CURBSIDE", 4]
  ] as const)("%s is orderType %i; only a delivery takes the courier setting", async (type, orderType) => {
    const deliverect = await fake()
    const order: PosOrder = { ...marinaBayOrder, fulfilment: { ...marinaBayOrder.fulfilment, type } }
    await succeeded(submit(deliverect, order, { courier: "posintegration" }))
    expect(sentOrders(deliverect)[0]).toMatchObject({
      orderType,
      courier: type === "DELIVERY" ? "posintegration" : "restaurant"
    })
  })

  it("decimalDigits comes from ISO 4217, not from how Intl displays a currency", () => {
    expect(
      Object.fromEntries(
        ["SGD", "EUR", "USD", "JPY", "KRW", "KWD", "BHD", "CLF", "IDR", "HUF", "IQD"].map((c) => [c, decimalDigits(c)])
      )
    ).toEqual({ SGD: 2, EUR: 2, USD: 2, JPY: 0, KRW: 0, KWD: 3, BHD: 3, CLF: 4, IDR: 2, HUF: 2, IQD: 3 })
    for (const code of ["XAU", "XDR", "XXX", "ABC", "sgd", "", "toString", "__proto__"]) {
      expect(decimalDigits(code)).toBeUndefined()
    }
  })

  it("a token from POST /oauth/token (client credentials, audience = baseUrl), then one order with it as Bearer", async () => {
    const deliverect = await fake()
    await succeeded(submit(deliverect, marinaBayOrder))
    expect(deliverect.requests.map((r) => [r.method, r.path, r.kind])).toEqual([
      ["POST", "/oauth/token", "token"],
      ["POST", orderPath, "order"]
    ])
    const [tokenRequest, orderRequest] = deliverect.requests
    expect(JSON.parse(tokenRequest!.body)).toEqual({
      client_id: deliverect.credentials.clientId,
      client_secret: deliverect.credentials.clientSecret,
      audience: deliverect.url,
      grant_type: "client_credentials"
    })
    expect(tokenRequest!.headers["content-type"]).toBe("application/json")
    const authorization = orderRequest!.headers["authorization"]
    expect(authorization).toMatch(/^Bearer fake-deliverect\.\S+$/)
    expect(orderRequest!.headers["content-type"]).toBe("application/json")
    expect(orderRequest!.headers["accept"]).toBe("application/json")
    // The client's secret goes to the token endpoint only.
    expect(orderRequest!.body).not.toContain(deliverect.credentials.clientSecret)
    expect(JSON.stringify(orderRequest!.headers)).not.toContain(deliverect.credentials.clientSecret)
  })

  it("the audience, when set, replaces the base URL in the token request; a base URL ending in / is joined cleanly", async () => {
    const deliverect = await fake()
    await succeeded(
      submit(deliverect, marinaBayOrder, { audience: "https://api.deliverect.com", baseUrl: `${deliverect.url}/` })
    )
    expect(JSON.parse(deliverect.requests[0]!.body)).toMatchObject({ audience: "https://api.deliverect.com" })
    expect(deliverect.requests.map((r) => r.path)).toEqual(["/oauth/token", orderPath])
  })

  it("the outlet sync's channelLinkId names the endpoint; the channel name is escaped as a path segment", async () => {
    const deliverect = await fake({ channelName: "pos integration" })
    const context = callContext(http, levels(deliverect.credentials))
    await succeeded(
      plugin.submitOrder(marinaBayOrder, {
        ...context,
        outlet: { externalId: "store-1", identifiers: { channelLinkId: "65ddbe003110fd505a9e7be4" } }
      })
    )
    expect(deliverect.requests[1]!.path).toBe("/pos%20integration/order/65ddbe003110fd505a9e7be4")
  })
})

describe("submitOrder: tokens", () => {
  it("a token is cached: the second order, and a cancellation, ask for none", async () => {
    const deliverect = await fake()
    await succeeded(submit(deliverect, marinaBayOrder))
    await succeeded(submit(deliverect, { ...marinaBayOrder, refCode: "CATA-000124" }))
    await succeeded(cancel(deliverect))
    expect(deliverect.tokenRequests()).toBe(1)
    expect(deliverect.orderRequests()).toBe(3)
    const bearers = deliverect.requests.filter((r) => r.kind === "order").map((r) => r.headers["authorization"])
    expect(new Set(bearers).size).toBe(1)
  })

  it("a token expiring within a minute is not kept: the next call asks again", async () => {
    const deliverect = await fake({ tokenLifetimeSeconds: 30 })
    await succeeded(submit(deliverect, marinaBayOrder))
    await succeeded(submit(deliverect, marinaBayOrder))
    expect(deliverect.tokenRequests()).toBe(2)
  })

  it("another client secret gets its own token", async () => {
    const deliverect = await fake()
    await succeeded(submit(deliverect, marinaBayOrder))
    // The operator replaced the secret: the cached token is not used for the new one, which Deliverect refuses here.
    const error = await failed(submit(deliverect, marinaBayOrder, { clientSecret: "rotated-secret-0001" }))
    expect(error._tag).toBe("MissingCredentials")
    expect(deliverect.tokenRequests()).toBe(2)
    expect(deliverect.orderRequests()).toBe(1)
  })

  it("a token Deliverect stopped taking (401 token_expired): renewed once, the order sent once more, taken", async () => {
    const deliverect = await fake()
    await succeeded(submit(deliverect, marinaBayOrder))
    deliverect.revokeTokens()
    expect(await succeeded(submit(deliverect, marinaBayOrder))).toEqual({ posOrderId: null, duplicate: false })
    expect(deliverect.tokenRequests()).toBe(2)
    expect(deliverect.orderRequests()).toBe(3)
    const [, refused, retried] = deliverect.requests.filter((r) => r.kind === "order")
    expect(refused!.headers["authorization"]).not.toBe(retried!.headers["authorization"])
    expect(refused!.body).toBe(retried!.body)
  })

  it("a 401 again after the renewal: MissingCredentials, after exactly one retry", async () => {
    const deliverect = await fake()
    const expired = { status: 401, json: { code: "token_expired", description: "token is expired" } }
    deliverect.script(expired, expired, expired)
    const error = await failed(submit(deliverect, marinaBayOrder))
    expect(error).toMatchObject({ _tag: "MissingCredentials", level: "outlet" })
    expect(deliverect.orderRequests()).toBe(2)
    expect(deliverect.tokenRequests()).toBe(2)
  })

  it("a channel name the client may not use: Deliverect's authorization error, MissingCredentials pointing at channelName", async () => {
    const deliverect = await fake()
    const error = await failed(submit(deliverect, marinaBayOrder, { channelName: "someoneelse" }))
    expect(error._tag).toBe("MissingCredentials")
    // Ids and names of the credentials are not repeated either: the reason says which field to check.
    expect(String((error as { reason: string }).reason)).not.toContain("someoneelse")
    expect(String((error as { reason: string }).reason)).toContain("check channelName")
    expect(String((error as { reason: string }).reason)).toContain("you're not allowed to send in orders")
    expect(deliverect.orderRequests()).toBe(2)
  })

  it("a channel link not given to the channel is refused the same way", async () => {
    const deliverect = await fake({ channelLinks: ["65ddbe003110fd505a9e7be4"] })
    expect((await failed(submit(deliverect, marinaBayOrder)))._tag).toBe("MissingCredentials")
  })

  it("client credentials Deliverect refuses: MissingCredentials, and no order is sent", async () => {
    const deliverect = await fake()
    const error = await failed(submit(deliverect, marinaBayOrder, { clientSecret: "wrong-secret-00001" }))
    expect(error).toMatchObject({ _tag: "MissingCredentials", level: "outlet" })
    expect(String((error as { reason: string }).reason)).toContain("HTTP 401")
    expect(deliverect.orderRequests()).toBe(0)
  })
})

describe("submitOrder: answers", () => {
  it("the duplicate answer (Deliverect takes a channelOrderId it has with the same 201) is success", async () => {
    const deliverect = await fake({ orders: "duplicate" })
    expect(await succeeded(submit(deliverect, marinaBayOrder))).toEqual({ posOrderId: null, duplicate: false })
    expect(deliverect.duplicates).toEqual([marinaBayOrder.refCode])
    expect(deliverect.orderRequests()).toBe(1)
  })

  it("the same order sent twice (its first answer lost) is taken twice and filed once", async () => {
    const deliverect = await fake()
    await succeeded(submit(deliverect, marinaBayOrder))
    await succeeded(submit(deliverect, marinaBayOrder))
    expect(deliverect.taken).toEqual([marinaBayOrder.refCode])
    expect(deliverect.duplicates).toEqual([marinaBayOrder.refCode])
    const [first, second] = deliverect.orderBodies()
    expect(second).toBe(first)
  })

  it("a 409 (a key already taken) is the duplicate answer: success, duplicate", async () => {
    const deliverect = await fake()
    deliverect.script({ status: 409, json: { message: "Order with this channelOrderId already exists" } })
    expect(await succeeded(submit(deliverect, marinaBayOrder))).toEqual({ posOrderId: null, duplicate: true })
  })

  it("Deliverect's order id, when an answer carries one", async () => {
    const deliverect = await fake()
    deliverect.script({ status: 201, json: { orderId: "6655bf36f231f2d853bca910" } })
    expect(await succeeded(submit(deliverect, marinaBayOrder))).toEqual({
      posOrderId: "6655bf36f231f2d853bca910",
      duplicate: false
    })
  })

  it.each([
    ["200, no body", { status: 200, text: "" }],
    ["201 {}", { status: 201, json: {} }],
    ["202 with a JSON body", { status: 202, json: { status: "queued" } }]
  ])("%s: taken", async (_, answer) => {
    const deliverect = await fake()
    deliverect.script(answer)
    expect(await succeeded(submit(deliverect, marinaBayOrder))).toEqual({ posOrderId: null, duplicate: false })
  })

  it("a refusal: PosRejected with Deliverect's field errors and the status", async () => {
    const deliverect = await fake()
    deliverect.script({
      status: 400,
      json: {
        orderFieldsErrors: { channelOrderDisplayId: "Missing from the payload.", items: "Missing from the payload." },
        orderPaymentErrors: { amount: "Missing from the payload." }
      }
    })
    expect(await failed(submit(deliverect, marinaBayOrder))).toEqual(
      expect.objectContaining({
        _tag: "PosRejected",
        status: 400,
        reason:
          "Deliverect refused the order CATA-000123 (HTTP 400): channelOrderDisplayId: Missing from the payload.; items: Missing from the payload.; amount: Missing from the payload."
      })
    )
  })

  it("the fake's reject answer (the conformance kit's) is PosRejected, after one order request", async () => {
    const deliverect = await fake({ orders: "reject" })
    const error = await failed(submit(deliverect, marinaBayOrder))
    expect(error).toMatchObject({ _tag: "PosRejected", status: 400 })
    expect(String((error as { reason: string }).reason)).toContain("The channel link is not accepting orders.")
    expect(deliverect.orderRequests()).toBe(1)
  })

  it.each([
    ["417 (an expired validationId)", { status: 417, json: { message: "Validation expired" } }, "Validation expired"],
    ["422 as plain text", { status: 422, text: "pickupTime must not be in the past" }, "pickupTime must not be"],
    ["400 with an HTML page", { status: 400, text: "<html><body>Bad Request</body></html>" }, "(HTTP 400)"],
    ["400 with no body", { status: 400, text: "" }, "(HTTP 400)"]
  ])("%s: PosRejected", async (_, answer, words) => {
    const deliverect = await fake()
    deliverect.script(answer)
    const error = await failed(submit(deliverect, marinaBayOrder))
    expect(error._tag).toBe("PosRejected")
    expect(String((error as { reason: string }).reason)).toContain(words)
    expect(String((error as { reason: string }).reason)).not.toContain("<html")
  })

  it.each([
    [
      "403",
      { status: 403, json: { code: "Authorization error", description: "you're not allowed to send in orders" } }
    ],
    ["404 (a base URL or channel name Deliverect has no endpoint for)", { status: 404, json: { message: "Not Found" } }]
  ])("%s: MissingCredentials, without a renewal", async (_, answer) => {
    const deliverect = await fake()
    deliverect.script(answer)
    expect(await failed(submit(deliverect, marinaBayOrder))).toMatchObject({
      _tag: "MissingCredentials",
      level: "outlet"
    })
    expect(deliverect.orderRequests()).toBe(1)
    expect(deliverect.tokenRequests()).toBe(1)
  })

  it.each([
    [
      "500 (the fake's unavailable answer)",
      { status: 500, json: { error: { code: "internal_server_error", message: "Internal server error" } } }
    ],
    ["502 from a proxy, as HTML", { status: 502, text: "<html>Bad Gateway</html>" }],
    ["503", { status: 503, text: "" }],
    ["429", { status: 429, json: { message: "Too Many Requests" } }],
    ["408", { status: 408, text: "" }],
    ["301", { status: 301, text: "" }],
    ["201 with a body that is not JSON", { status: 201, text: "<html>Welcome to the captive portal</html>" }],
    ["200 with truncated JSON", { status: 200, text: '{"orderId": "66' }]
  ])("%s: PosUnavailable", async (_, answer) => {
    const deliverect = await fake()
    deliverect.script(answer)
    expect((await failed(submit(deliverect, marinaBayOrder)))._tag).toBe("PosUnavailable")
    expect(deliverect.orderRequests()).toBe(1)
  })

  it("the fake's unavailable answer and a connection reset: PosUnavailable, one order request each", async () => {
    for (const mode of ["unavailable", "reset"] as const) {
      const deliverect = await fake({ orders: mode })
      expect((await failed(submit(deliverect, marinaBayOrder)))._tag).toBe("PosUnavailable")
      expect(deliverect.orderRequests()).toBe(1)
    }
  })

  it("the token endpoint failing: 500, garbage, an answer without a token, a reset port: PosUnavailable, no order sent", async () => {
    const deliverect = await fake()
    // A port where nothing listens any more.
    const closed = await startFakeDeliverect({ clientId: `client-${randomUUID()}` })
    await closed.close()
    const brokenToken = (text: string, status: number): HttpClient.HttpClient =>
      HttpClient.make((request, url) =>
        url.pathname === "/oauth/token"
          ? Effect.succeed(webResponse(request, text, status))
          : Effect.die(new Error("no order may be sent without a token"))
      )
    for (const [text, status] of [
      ["internal error", 500],
      ["<html>oops</html>", 200],
      ['{"token_type": "Bearer"}', 200],
      ['{"access_token": ""}', 200],
      ['{"unexpected": true}', 200]
    ] as const) {
      const error = await failed(
        plugin.submitOrder(marinaBayOrder, callContext(brokenToken(text, status), levels(deliverect.credentials)))
      )
      expect(error._tag).toBe("PosUnavailable")
    }
    expect((await failed(submit(closed, marinaBayOrder)))._tag).toBe("PosUnavailable")
  })

  it("a hang is bounded by the caller's deadline: exactly one order request, and the call ends", async () => {
    const deliverect = await fake({ orders: "hang" })
    const bounded = submit(deliverect, marinaBayOrder).pipe(Effect.timeout(Duration.millis(500)))
    const started = Date.now()
    const result = await Effect.runPromise(Effect.result(bounded))
    expect(Result.isFailure(result) && Cause.isTimeoutError(result.failure)).toBe(true)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(deliverect.orderRequests()).toBe(1)
  })
})

describe("submitOrder: refused before sending", () => {
  it("no outlet credentials: MissingCredentials, nothing sent", async () => {
    const deliverect = await fake()
    const error = await failed(plugin.submitOrder(marinaBayOrder, callContext(http, levels(null))))
    expect(error).toMatchObject({ _tag: "MissingCredentials", level: "outlet" })
    expect(deliverect.requests).toEqual([])
  })

  it.each([
    ["a currency without an ISO minor unit", { currency: "XAU" }, "currency XAU has no ISO 4217 minor unit"],
    ["a made-up currency", { currency: "ABC" }, "currency ABC"],
    ["an instant that is none", { placedAt: "yesterday" }, "placedAt is not an instant"],
    [
      "a fraction of a cent",
      { lines: [{ ...marinaBayOrder.lines[0]!, unitPrice: 24.5 }] },
      "lines[0].unitPrice is not a whole amount"
    ],
    [
      "a negative modifier price",
      {
        lines: [
          {
            ...marinaBayOrder.lines[0]!,
            modifiers: [{ posCode: "SIDE-FR", name: "Fries", quantity: 1, unitPrice: -300, modifiers: [] }]
          }
        ]
      },
      "lines[0].modifiers[0].unitPrice"
    ],
    ["a quantity of zero", { lines: [{ ...marinaBayOrder.lines[1]!, quantity: 0 }] }, "lines[0].quantity"],
    ["a line without a PLU", { lines: [{ ...marinaBayOrder.lines[1]!, posCode: " " }] }, "lines[0].posCode is empty"]
  ])("%s: PosRejected naming it, nothing sent", async (_, change, words) => {
    const deliverect = await fake()
    const error = await failed(submit(deliverect, { ...marinaBayOrder, ...change } as PosOrder))
    expect(error).toMatchObject({ _tag: "PosRejected", status: null })
    expect(String((error as { reason: string }).reason)).toContain(words)
    expect(deliverect.requests).toEqual([])
  })

  it("an HTTP client that dies is PosUnavailable, never a defect", async () => {
    const deliverect = await fake()
    const dying = HttpClient.make(() => Effect.die(new Error("socket exploded")))
    const result = await outcome(plugin.submitOrder(marinaBayOrder, callContext(dying, levels(deliverect.credentials))))
    expect(Result.isFailure(result) && result.failure._tag).toBe("PosUnavailable")
  })
})

describe("credentials never show", () => {
  const canaries = {
    clientSecret: `canary-${randomUUID()}`,
    webhookSecret: `canary-${randomUUID()}`
  }

  const shown = (error: unknown): string =>
    `${JSON.stringify(error)} ${String(error)} ${(error as Error).message ?? ""}`

  it("not when Deliverect echoes the client secret, the webhook secret or the token in a refusal", async () => {
    const deliverect = await fake({ clientSecret: canaries.clientSecret })
    const credentials = { ...canaries }
    await succeeded(submit(deliverect, marinaBayOrder, credentials))
    const token = deliverect.requests[1]!.headers["authorization"]!.slice("Bearer ".length)
    const echo = `client_secret=${canaries.clientSecret} signature=${canaries.webhookSecret} bearer=${token}`
    for (const status of [400, 401, 403, 404, 422, 500]) {
      // A 401 is answered twice: to the first try and to the one after the renewal.
      deliverect.script(
        { status, json: { message: echo } },
        ...(status === 401 ? [{ status, json: { description: echo } }] : [])
      )
      const error = await failed(submit(deliverect, marinaBayOrder, credentials))
      expect(["PosRejected", "PosUnavailable", "MissingCredentials"]).toContain(error._tag)
      for (const secret of [canaries.clientSecret, canaries.webhookSecret, token]) {
        expect(shown(error)).not.toContain(secret)
      }
      expect(shown(error)).toContain("[redacted]")
    }
  })

  it("nor the client id or the channel scope, when Deliverect's words repeat them", async () => {
    const deliverect = await fake()
    const { clientId, channelName } = deliverect.credentials
    deliverect.script({ status: 400, json: { message: `client ${clientId} may not use scope ${channelName}` } })
    const error = await failed(submit(deliverect, marinaBayOrder))
    expect(error._tag).toBe("PosRejected")
    expect(shown(error)).not.toContain(clientId)
    expect(shown(error)).not.toContain(channelName)
    expect(shown(error)).toContain("client [redacted] may not use scope [redacted]")
  })

  it("not when the token endpoint echoes the client secret in its refusal", async () => {
    const echoing = HttpClient.make((request) =>
      Effect.succeed(
        webResponse(
          request,
          JSON.stringify({ error: "access_denied", error_description: `bad secret ${canaries.clientSecret}` }),
          401
        )
      )
    )
    const deliverect = await fake()
    const error = await failed(
      plugin.submitOrder(marinaBayOrder, callContext(echoing, levels({ ...deliverect.credentials, ...canaries })))
    )
    expect(error._tag).toBe("MissingCredentials")
    expect(shown(error)).not.toContain(canaries.clientSecret)
  })

  it("not in the failure of a base URL carrying a password", async () => {
    const deliverect = await fake()
    const password = `canary-${randomUUID()}`
    const baseUrl = deliverect.url.replace("http://", `http://ops:${password}@`)
    const error = await failed(submit(deliverect, marinaBayOrder, { baseUrl }))
    expect(error._tag).toBe("PosUnavailable")
    expect(shown(error)).not.toContain(password)
  })
})

describe("cancelOrder", () => {
  it("sends Deliverect's cancellation to the same endpoint: the channelOrderId, status 100 and the reason", async () => {
    const deliverect = await fake()
    await succeeded(cancel(deliverect, "Customer requests order cancellation"))
    expect(deliverect.requests.map((r) => r.path)).toEqual(["/oauth/token", orderPath])
    expect(sentOrders(deliverect)).toEqual([
      {
        channelOrderId: "CATA-000123",
        channelOrderDisplayId: "CATA-000123",
        status: 100,
        cancellationReason: "Customer requests order cancellation"
      }
    ])
    expect(deliverect.requests[1]!.headers["authorization"]).toMatch(/^Bearer /)
  })

  it("without a reason, says who cancelled", async () => {
    const deliverect = await fake()
    await succeeded(cancel(deliverect, null))
    expect(sentOrders(deliverect)[0]).toMatchObject({ cancellationReason: "Cancelled by the ordering channel" })
  })

  it("a repeated cancellation is taken the same way", async () => {
    const deliverect = await fake({ orders: "duplicate" })
    await succeeded(cancel(deliverect))
    await succeeded(cancel(deliverect))
    expect(deliverect.orderRequests()).toBe(2)
  })

  it("answers map as an order's: refused, unavailable, reset, a stale token renewed once", async () => {
    const rejecting = await fake({ orders: "reject" })
    expect(await failed(cancel(rejecting))).toMatchObject({ _tag: "PosRejected", status: 400 })
    for (const mode of ["unavailable", "reset"] as const) {
      const deliverect = await fake({ orders: mode })
      expect((await failed(cancel(deliverect)))._tag).toBe("PosUnavailable")
      expect(deliverect.orderRequests()).toBe(1)
    }
    const renewing = await fake()
    await succeeded(cancel(renewing))
    renewing.revokeTokens()
    await succeeded(cancel(renewing))
    expect(renewing.tokenRequests()).toBe(2)
    expect(renewing.orderRequests()).toBe(3)
  })

  it("a hang is bounded by the caller: one request", async () => {
    const deliverect = await fake({ orders: "hang" })
    const result = await Effect.runPromise(Effect.result(cancel(deliverect).pipe(Effect.timeout(Duration.millis(500)))))
    expect(Result.isFailure(result)).toBe(true)
    expect(deliverect.orderRequests()).toBe(1)
  })

  it("with no outlet named, or no credentials: a typed refusal, nothing sent", async () => {
    const deliverect = await fake()
    const context = contextFor(deliverect)
    expect(
      await failed(
        plugin.cancelOrder({ refCode: "CATA-1", posOrderId: null, reason: null }, { ...context, outlet: null })
      )
    ).toMatchObject({ _tag: "PosRejected", status: null })
    expect(
      (
        await failed(
          plugin.cancelOrder({ refCode: "CATA-1", posOrderId: null, reason: null }, callContext(http, levels(null)))
        )
      )._tag
    ).toBe("MissingCredentials")
    expect(deliverect.requests).toEqual([])
  })
})
