import type {
  MissingCredentials,
  PosCallContext,
  PosOrder,
  PosRejected,
  PosUnavailable,
  SubmittedOrder
} from "@pos-integration/sdk"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { type FakeAtlas, startFakeAtlas } from "./fake-atlas.ts"
import { accountCredentials, outletCredentials } from "./fixtures/index.ts"
import { deliveryOrder, dineInOrder, latePickupOrder } from "./fixtures/orders.ts"
import plugin from "./index.ts"
import type { AccountCredentials, OutletCredentials } from "./src/credentials.ts"
import { percentText } from "./src/orders.ts"
import { callContext, failure, outcome, run } from "./test-support.ts"

type Failure = PosRejected | PosUnavailable | MissingCredentials | { readonly _tag: "UnsupportedOperation" }

const raffles = { externalId: "1", identifiers: { outletId: "1" } }
const orderPath = "/admin/v1/outlets/1/channels/12/orders"

let atlas: FakeAtlas

beforeEach(async () => {
  atlas = await startFakeAtlas()
})

afterEach(async () => {
  await atlas.close()
})

/** The context the core builds for an order at outlet 1 of merchant 231, its credentials pointing at the fake. */
const context = (
  overrides: Partial<{
    account: AccountCredentials | null
    outlet: OutletCredentials | null
    accountId: string | null
  }> = {}
): PosCallContext<OutletCredentials, AccountCredentials> =>
  callContext({
    outlet: raffles,
    accountId: overrides.accountId === undefined ? "231" : overrides.accountId,
    credentials: {
      outlet: overrides.outlet === undefined ? outletCredentials : overrides.outlet,
      account: overrides.account === undefined ? atlas.account : overrides.account
    }
  })

const submit = (order: PosOrder, overrides: Parameters<typeof context>[0] = {}) =>
  plugin.submitOrder(order, context(overrides))

/** The bodies of the order requests the fake received, as JSON. */
const sentBodies = (): Array<Record<string, unknown>> =>
  atlas.orderBodies().map((body) => JSON.parse(body) as Record<string, unknown>)

const sentBody = (): Record<string, unknown> => {
  const bodies = sentBodies()
  expect(bodies).toHaveLength(1)
  return bodies[0]!
}

/** Every secret of the fixtures: none may show in any failure. */
const secrets = [accountCredentials.apiKey, accountCredentials.webhookToken!, outletCredentials.webhookToken]

const expectNoSecret = (error: unknown) => {
  const shown = `${JSON.stringify(error)} ${String(error)} ${(error as { reason?: string }).reason ?? ""}`
  for (const secret of secrets) expect(shown).not.toContain(secret)
}

const failed = async <T extends Failure["_tag"]>(
  effect: Effect.Effect<SubmittedOrder, Failure>,
  tag: T
): Promise<Extract<Failure, { _tag: T }>> => {
  const error = await failure(effect)
  expectNoSecret(error)
  expect(error._tag).toBe(tag)
  return error as Extract<Failure, { _tag: T }>
}

/** Runs an effect with the clock at an instant (a test clock). */
const atTime = <A, E>(millis: number, effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.gen(function* () {
    yield* TestClock.setTime(millis)
    return yield* effect
  }).pipe(Effect.provide(TestClock.layer()))

describe("the request: Atlas's create order, in the channel's prices", () => {
  it("a paid, scheduled delivery with nested modifiers, charges and a voucher, prices including tax", async () => {
    expect(await run(submit(deliveryOrder))).toEqual({ posOrderId: "85", duplicate: false })
    const call = atlas.calls[0]!
    expect(atlas.calls).toHaveLength(1)
    expect(call).toMatchObject({ method: "POST", path: orderPath, apiKey: atlas.apiKey, merchantId: "231" })
    expect(sentBody()).toEqual({
      fulfilment_type: "delivery",
      // 07:00 UTC is 15:00 in Singapore: 54000 seconds into the serving date, a half-hour slot.
      serving_date: "2024-10-01",
      timeslot_start: 54_000,
      timeslot_end: 55_800,
      timeslot_type: "available_timeslots",
      order_items: [
        {
          item_id: 380,
          name: "Flat White",
          quantity: 2,
          price_cents: 550,
          // The extra shot nested under the oat milk follows it, twice per flat white.
          sub_items: [
            { item_id: 497, quantity: 1, price_cents: 50 },
            { item_id: 601, quantity: 1, price_cents: 80 },
            { item_id: 603, quantity: 2, price_cents: 100 }
          ]
        },
        {
          item_id: 480,
          name: "Eggs Benedict",
          quantity: 1,
          price_cents: 1800,
          notes: "Sauce on the side",
          sub_items: [
            { item_id: 610, quantity: 1, price_cents: 0 },
            { item_id: 612, quantity: 1, price_cents: 500 }
          ]
        }
      ],
      contact_name: "Tan Wei",
      contact_email: "tan@example.com",
      contact_number: "+6580000001",
      external_order_id: "CATA-20241001-0001",
      external_order_short_code: "OR123",
      address_line1: "8 Temasek Boulevard",
      address_line2: "Suntec Tower 3, #12-01, Singapore",
      postal_code: "038988",
      address_latitude: 1.2953,
      address_longitude: 103.8585,
      notes: "Leave at the lobby",
      is_paid: true,
      subtotal: 4060,
      delivery_fee: 500,
      // Service charge and tip: Atlas has one surcharge besides delivery.
      surcharge: 300,
      discount: 300,
      total: 4560,
      tax: 335,
      tax_rate: "9.0",
      total_including_tax: 4560,
      order_payments: [{ amount: 4560, capture_id: "pi_3QxLs2", capture_type: "card" }]
    })
    // The sub-items add up to the line's price exactly: 2 x (550 + 50 + 80 + 2 x 100) + 1800 + 500.
    expect(atlas.orders[0]?.answer).toMatchObject({ id: 85, external_order_id: "CATA-20241001-0001", is_paid: true })
  })

  it("an unpaid dine-in order as soon as possible, prices excluding tax: the table in the notes, the slot from now", async () => {
    // 12:30 in Singapore.
    const now = Date.parse("2024-10-01T04:30:00Z")
    expect(await run(atTime(now, submit(dineInOrder)))).toEqual({ posOrderId: "85", duplicate: false })
    expect(sentBody()).toEqual({
      fulfilment_type: "dine_in",
      serving_date: "2024-10-01",
      timeslot_start: 45_000,
      timeslot_end: 46_800,
      timeslot_type: "asap",
      order_items: [
        {
          item_id: 381,
          name: "Long Black",
          quantity: 1,
          price_cents: 450,
          sub_items: [{ item_id: 496, quantity: 1, price_cents: 0 }]
        },
        {
          item_id: 499,
          name: "Buttermilk Pancakes",
          quantity: 2,
          price_cents: 1400,
          notes: "One without syrup",
          sub_items: []
        }
      ],
      contact_name: "Mei Ling",
      contact_number: "+6591234567",
      external_order_id: "CATA-20241001-0002",
      notes: "Table 12\nBirthday",
      is_paid: false,
      subtotal: 3250,
      delivery_fee: 0,
      surcharge: 0,
      discount: 0,
      // Before tax; what the customer pays is total_including_tax. Two rates: no single tax_rate.
      total: 3250,
      tax: 265,
      total_including_tax: 3515
    })
  })

  it("as soon as possible means from when it is sent, not when it was placed", async () => {
    const later = Date.parse("2024-10-01T09:10:00Z") // 17:10 in Singapore
    await run(atTime(later, submit(dineInOrder)))
    expect(sentBody()).toMatchObject({ serving_date: "2024-10-01", timeslot_start: 61_800, timeslot_end: 63_600 })
  })

  it("a pickup after midnight in Singapore is served the next day there; a payment without method or reference", async () => {
    expect(await run(submit(latePickupOrder))).toEqual({ posOrderId: "85", duplicate: false })
    const body = sentBody()
    expect(body).toMatchObject({
      fulfilment_type: "pickup",
      serving_date: "2024-10-02",
      timeslot_start: 2700,
      timeslot_end: 4500,
      timeslot_type: "available_timeslots",
      subtotal: 2130,
      delivery_fee: 0,
      surcharge: 20,
      discount: 355,
      total: 1795,
      tax: 147,
      tax_rate: "9.0",
      total_including_tax: 1795,
      is_paid: true,
      // No reference: the refCode identifies the payment; no method: an external capture.
      order_payments: [{ amount: 1795, capture_id: "CATA-20241001-0003", capture_type: "external" }]
    })
    expect(body.order_items).toEqual([
      {
        item_id: 382,
        name: "Iced Latte",
        quantity: 3,
        price_cents: 650,
        sub_items: [{ item_id: 602, quantity: 1, price_cents: 60 }]
      }
    ])
    for (const absent of ["contact_name", "contact_email", "notes", "address_line1", "postal_code"]) {
      expect(body).not.toHaveProperty(absent)
    }
  })

  it("curbside is a pickup with a note; a table is only for dine-in", async () => {
    const curbside: PosOrder = {
      ...latePickupOrder,
      fulfilment: { ...latePickupOrder.fulfilment, type: "CURBSIDE", table: "7" },
      notes: "Silver hatchback"
    }
    await run(submit(curbside))
    expect(sentBody()).toMatchObject({ fulfilment_type: "pickup", notes: "Curbside pickup\nSilver hatchback" })
  })

  it("a tax rate as Atlas writes one, in percent", () => {
    expect(percentText(90_000)).toBe("9.0")
    expect(percentText(88_750)).toBe("8.875")
    expect(percentText(0)).toBe("0.0")
    expect(percentText(123_456)).toBe("12.3456")
    expect(percentText(1_000_000)).toBe("100.0")
  })
})

describe("one request per call, and the same order twice", () => {
  it("submitting the same refCode again answers Atlas's existing order: submitted, a duplicate, with its id", async () => {
    expect(await run(submit(deliveryOrder))).toEqual({ posOrderId: "85", duplicate: false })
    expect(atlas.orderRequests()).toBe(1)
    expect(await run(submit(deliveryOrder))).toEqual({ posOrderId: "85", duplicate: true })
    expect(atlas.orderRequests()).toBe(2)
    expect(atlas.orders).toHaveLength(1)
    // Another order is another Atlas order.
    expect(await run(submit(latePickupOrder))).toEqual({ posOrderId: "86", duplicate: false })
    expect(sentBodies().map((b) => b.external_order_id)).toEqual([
      "CATA-20241001-0001",
      "CATA-20241001-0001",
      "CATA-20241001-0003"
    ])
  })

  it("a refusal naming the external_order_id as taken is a duplicate too, with the id when Atlas names it", async () => {
    const taken = {
      type: "Invalid Parameter",
      message: "Validation failed: External order has already been taken",
      details: [{ field: "external_order_id", message: "has already been taken" }]
    }
    atlas.answer(orderPath, { status: 422, json: taken })
    expect(await run(submit(deliveryOrder))).toEqual({ posOrderId: null, duplicate: true })
    atlas.answer(orderPath, { status: 422, json: { ...taken, order_id: 91 } })
    expect(await run(submit(deliveryOrder))).toEqual({ posOrderId: "91", duplicate: true })
    atlas.answer(orderPath, { status: 409, json: { type: "Conflict", message: "External order ID already exists" } })
    expect(await run(submit(deliveryOrder))).toEqual({ posOrderId: null, duplicate: true })
    expect(atlas.orderRequests()).toBe(3)
  })

  it("other problems with the external_order_id are refusals, not duplicates", async () => {
    atlas.answer(orderPath, {
      status: 422,
      json: {
        type: "Invalid Parameter",
        message: "Request failed due to invalid parameters",
        details: [{ field: "external_order_id", message: "is too long (maximum is 32 characters)" }]
      }
    })
    const error = await failed(submit(deliveryOrder), "PosRejected")
    expect(error).toMatchObject({ status: 422 })
    expect(error.reason).toBe(
      "Atlas create order (outlet 1): answered 422: Invalid Parameter: Request failed due to invalid parameters (external_order_id: is too long (maximum is 32 characters))"
    )
  })
})

describe("Atlas's refusals: PosRejected with its reason", () => {
  it("an item Atlas does not know (its validation, 422)", async () => {
    const unknown: PosOrder = {
      ...deliveryOrder,
      lines: [{ ...deliveryOrder.lines[1]!, posCode: "999", modifiers: [] }]
    }
    const error = await failed(submit(unknown), "PosRejected")
    expect(error).toMatchObject({ status: 422 })
    expect(error.reason).toContain("(order_items[0].item_id: Item 999 not found)")
    expect(atlas.orders).toEqual([])
  })

  it("an outlet or a channel Atlas does not have (404)", async () => {
    const elsewhere = await failed(submit({ ...deliveryOrder, outletExternalId: "9" }), "PosRejected")
    expect(elsewhere).toMatchObject({
      status: 404,
      reason: "Atlas create order (outlet 9): answered 404: Not Found: Outlet not found"
    })
    const channel = await failed(
      submit(deliveryOrder, { account: { ...atlas.account, orderChannelId: "13" } }),
      "PosRejected"
    )
    expect(channel.reason).toBe("Atlas create order (outlet 1): answered 404: Not Found: Channel not found")
    expect(atlas.calls.map((c) => c.path)).toEqual([
      "/admin/v1/outlets/9/channels/12/orders",
      "/admin/v1/outlets/1/channels/13/orders"
    ])
  })

  it("a wrong key or merchant (401)", async () => {
    const error = await failed(
      submit(deliveryOrder, { account: { ...atlas.account, apiKey: "revoked-key-000" } }),
      "PosRejected"
    )
    expect(error).toMatchObject({ status: 401 })
    expect(error.reason).toBe(
      "Atlas create order (outlet 1): answered 401: Unauthorized: You did not provide valid credentials for this request"
    )
  })

  it("a business refusal in any 4xx Atlas answers", async () => {
    for (const status of [400, 403, 404, 409, 410, 422]) {
      atlas.answer(orderPath, {
        status,
        json: { type: "Configuration Required", message: "Outlet is closed for delivery", details: [] }
      })
      const error = await failed(submit(deliveryOrder), "PosRejected")
      expect(error).toMatchObject({ status })
      expect(error.reason).toBe(
        `Atlas create order (outlet 1): answered ${status}: Configuration Required: Outlet is closed for delivery`
      )
    }
  })
})

describe("unknown outcomes: PosUnavailable, the core retries with the same external_order_id", () => {
  it("5xx, 429 and 408, whatever their body", async () => {
    for (const [status, text] of [
      [500, JSON.stringify({ type: "Server Error", message: "Request not processed", details: [] })],
      [502, "<html>Bad gateway</html>"],
      [503, ""],
      [429, '{"type":"Too Many Requests"}'],
      [408, ""]
    ] as const) {
      atlas.answer(orderPath, { status, text })
      const error = await failed(submit(deliveryOrder), "PosUnavailable")
      expect(error.reason).toMatch(new RegExp(`^Atlas create order \\(outlet 1\\): answered ${status}`))
    }
    expect(atlas.orderRequests()).toBe(5)
  })

  it("a 2xx that is not the order sent: not JSON, no id, another order, no body", async () => {
    const cases = [
      [{ status: 201, text: "<html>ok</html>" }, "answered 201 with a body that is not JSON"],
      [{ status: 201, text: '{"id": 8' }, "answered 201 with a body that is not JSON"],
      [{ status: 201, json: { state: "unpaid" } }, "answered 201 without an order id"],
      [{ status: 200, json: [] }, "answered 200 without an order id"],
      [{ status: 201, json: { id: 1.5 } }, "answered 201 without an order id"],
      [
        { status: 201, json: { id: 86, external_order_id: "SOMEONE-ELSE" } },
        "answered 201 with another order than the one sent"
      ],
      [{ status: 204 }, "answered 204 with a body that is not JSON"]
    ] as const
    for (const [answer, why] of cases) {
      atlas.answer(orderPath, answer)
      const error = await failed(submit(deliveryOrder), "PosUnavailable")
      expect(error.reason).toBe(`Atlas create order (outlet 1): ${why}`)
    }
  })

  it("an id answered as digits is read as the id", async () => {
    atlas.answer(orderPath, { status: 201, json: { id: "4021", external_order_id: deliveryOrder.refCode } })
    expect(await run(submit(deliveryOrder))).toEqual({ posOrderId: "4021", duplicate: false })
  })

  it("a redirect is not followed: it would carry the key elsewhere", async () => {
    atlas.answer(orderPath, { status: 307, headers: { location: `${atlas.url}/elsewhere/orders` } })
    const error = await failed(submit(deliveryOrder), "PosUnavailable")
    expect(error.reason).toContain("answered 307")
    expect(atlas.calls.map((c) => c.path)).toEqual([orderPath])
  })

  it("a reset connection, and Atlas out of reach", async () => {
    atlas.setOrderAnswer("reset")
    const reset = await failed(submit(deliveryOrder), "PosUnavailable")
    expect(reset.reason).toMatch(/^Atlas create order \(outlet 1\): could not reach Atlas \(/)
    expect(atlas.orderRequests()).toBe(1)
    const gone = await startFakeAtlas()
    await gone.close()
    const closed = await failed(submit(deliveryOrder, { account: gone.account }), "PosUnavailable")
    expect(closed.reason).toMatch(/^Atlas create order \(outlet 1\): could not reach Atlas \(/)
    expect(closed.reason).not.toContain(gone.url)
  })

  it("a hang is bounded by the caller: the call stops, after exactly one request", async () => {
    atlas.setOrderAnswer("hang")
    const result = await Effect.runPromise(Effect.flip(submit(deliveryOrder).pipe(Effect.timeout(300))))
    expect(result._tag).toBe("TimeoutError")
    // No retry after the caller gave up.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(atlas.orderRequests()).toBe(1)
  })

  it("no answer within 15 seconds is PosUnavailable", async () => {
    atlas.setOrderAnswer("hang")
    const error = await failure(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(submit(deliveryOrder))
        yield* TestClock.withLive(
          Effect.gen(function* () {
            while (atlas.orderRequests() === 0) yield* Effect.sleep(5)
          })
        )
        yield* TestClock.adjust(14_999)
        expect(fiber.pollUnsafe()).toBeUndefined()
        yield* TestClock.adjust(1)
        return yield* Fiber.join(fiber)
      }).pipe(Effect.provide(TestClock.layer()))
    )
    expect(error).toMatchObject({
      _tag: "PosUnavailable",
      reason: "Atlas create order (outlet 1): no answer within 15s"
    })
    expect(atlas.orderRequests()).toBe(1)
  })
})

describe("credentials", () => {
  it("no merchant credentials, another merchant's, or no orderChannelId: MissingCredentials, before any call", async () => {
    const none = await failed(submit(deliveryOrder, { account: null }), "MissingCredentials")
    expect(none).toMatchObject({ level: "account" })
    expect(none.reason).toContain("submitting an order to Atlas")
    expect(await failed(submit(deliveryOrder, { accountId: "232" }), "MissingCredentials")).toMatchObject({
      level: "account"
    })
    const { orderChannelId: _, ...beforeOrders } = atlas.account
    const channel = await failed(submit(deliveryOrder, { account: beforeOrders }), "MissingCredentials")
    expect(channel).toMatchObject({ level: "account" })
    expect(channel.reason).toContain("orderChannelId")
    expect(atlas.calls).toEqual([])
  })

  it("the merchant's key and id authenticate the call; the outlet's webhook token is never sent", async () => {
    await run(submit(deliveryOrder, { accountId: null }))
    expect(atlas.calls).toEqual([
      expect.objectContaining({ apiKey: atlas.apiKey, merchantId: "231", channelId: undefined })
    ])
    expect(atlas.calls[0]?.body).not.toContain(outletCredentials.webhookToken)
    expect(atlas.calls[0]?.body).not.toContain(atlas.apiKey)
  })

  it("never shows a credential, even when Atlas quotes them back", async () => {
    const canaries = {
      apiKey: "canary-key-5f0c1e9a77d24b1c",
      webhookToken: "canary-merchant-token-0b1d2e",
      outlet: { webhookToken: "canary-outlet-token-8a7c6e" }
    }
    const account = { ...atlas.account, apiKey: canaries.apiKey, webhookToken: canaries.webhookToken }
    const quoted = `key ${canaries.apiKey}, tokens ${canaries.webhookToken} and ${canaries.outlet.webhookToken}`
    const answers = [
      {
        status: 401,
        json: { type: "Unauthorized", message: quoted, details: [{ field: "api_key", message: quoted }] }
      },
      { status: 422, json: { type: "Invalid Parameter", message: quoted, details: [] } },
      { status: 500, json: { type: "Server Error", message: quoted } },
      { status: 201, text: quoted },
      { reset: true }
    ]
    for (const answer of answers) {
      atlas.answer(orderPath, answer)
      const error = await failure(submit(deliveryOrder, { account, outlet: canaries.outlet }))
      const shown = `${JSON.stringify(error)} ${String(error)} ${"reason" in error ? error.reason : ""}`
      for (const canary of [canaries.apiKey, canaries.webhookToken, canaries.outlet.webhookToken]) {
        expect(shown).not.toContain(canary)
      }
      expect(["PosRejected", "PosUnavailable"]).toContain(error._tag)
    }
  })
})

describe("orders Atlas cannot take: PosRejected before any call, never a defect", () => {
  const line = deliveryOrder.lines[0]!
  const cases: ReadonlyArray<readonly [string, PosOrder, string]> = [
    ["no lines", { ...deliveryOrder, lines: [] }, "the order has no lines"],
    ["no refCode (Atlas's idempotency key)", { ...deliveryOrder, refCode: " " }, "the order has no refCode"],
    [
      "a fulfilment type Atlas has none for",
      { ...deliveryOrder, fulfilment: { ...deliveryOrder.fulfilment, type: "DRONE" as "PICKUP" } },
      'fulfilment.type "DRONE" has no Atlas fulfilment type'
    ],
    [
      "a POS code that is not an Atlas id",
      { ...deliveryOrder, lines: [{ ...line, posCode: "FW-1" }] },
      'lines[0] (Flat White): the POS code is "FW-1", not an Atlas id (the digits of an integer)'
    ],
    [
      "a modifier's POS code that is not an Atlas id",
      {
        ...deliveryOrder,
        lines: [
          {
            ...line,
            modifiers: [{ ...line.modifiers[1]!, modifiers: [{ ...line.modifiers[1]!.modifiers[0]!, posCode: "" }] }]
          }
        ]
      },
      'lines[0].modifiers[0] (Oat Milk).modifiers[0] (Extra Shot): the POS code is "", not an Atlas id (the digits of an integer)'
    ],
    [
      "a fractional quantity",
      { ...deliveryOrder, lines: [{ ...line, quantity: 1.5 }] },
      "lines[0] (Flat White): the quantity is 1.5, not a whole number of at least 1"
    ],
    [
      "a fractional modifier quantity, whatever it multiplies to",
      { ...deliveryOrder, lines: [{ ...line, quantity: 2, modifiers: [{ ...line.modifiers[0]!, quantity: 0.5 }] }] },
      "lines[0].modifiers[0] (Iced): the quantity is 0.5, not a whole number of at least 1"
    ],
    [
      "a negative price",
      { ...deliveryOrder, lines: [{ ...line, unitPrice: -550 }] },
      "lines[0] (Flat White): the unit price is -550, not a whole number of at least 0"
    ],
    [
      "a price in fractions of a cent",
      { ...deliveryOrder, totals: { ...deliveryOrder.totals, total: 4560.5 } },
      "totals.total is 4560.5, not a whole number of at least 0"
    ],
    [
      "a delivery without an address",
      { ...deliveryOrder, fulfilment: { ...deliveryOrder.fulfilment, address: null } },
      "a delivery order has no fulfilment.address"
    ],
    [
      "a scheduled order without a time",
      { ...deliveryOrder, fulfilment: { ...deliveryOrder.fulfilment, scheduledFor: "soon" } },
      'fulfilment.scheduledFor is "soon", not an instant, for an order that is not as soon as possible'
    ],
    [
      "an outlet that is not an Atlas outlet id",
      { ...deliveryOrder, outletExternalId: "raffles" },
      `the order's outlet is "raffles", not an Atlas id (the digits of an integer)`
    ]
  ]
  for (const [name, order, reason] of cases) {
    it(name, async () => {
      expect(await failed(submit(order), "PosRejected")).toMatchObject({ status: null, reason })
      expect(atlas.calls).toEqual([])
    })
  }

  it("junk in place of an order is a typed failure, never a defect", async () => {
    const junk: ReadonlyArray<unknown> = [
      {},
      null,
      { ...deliveryOrder, lines: null },
      { ...deliveryOrder, lines: [null] },
      { ...deliveryOrder, lines: [{ ...line, modifiers: [null] }] },
      { ...deliveryOrder, fulfilment: null },
      { ...deliveryOrder, customer: undefined },
      { ...deliveryOrder, charges: [{}] },
      { ...deliveryOrder, payment: { status: "PAID" } }
    ]
    for (const order of junk) {
      const result = await outcome(submit(order as PosOrder))
      expect(["PosRejected", "PosUnavailable"]).toContain(result)
    }
    expect(atlas.calls).toEqual([])
  })
})
