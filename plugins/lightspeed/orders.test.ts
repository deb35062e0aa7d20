import {
  type CredentialVault,
  MissingCredentials,
  type PosCallContext,
  type PosOrder,
  PosRejected,
  PosUnavailable
} from "@pos-integration/sdk"
import { Effect, Schema } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { type FakeLightspeed, type FakeLightspeedOptions, startFakeLightspeed } from "./fake-lightspeed.ts"
import { payloads, pickupOrder } from "./fixtures/index.ts"
import plugin, { type AccountCredentials, makeSubmitOrder, type OutletCredentials } from "./index.ts"
import { fail, fetchHttp, memoryVault, succeed } from "./test-support.ts"

const clientId = "pos-integration-test"
const clientSecret = "cs-9d2f7e1a-very-secret"
const firstRefresh = "rt-initial-6b1e90aa"
const liveAccess = "at-live-0c4d77f1"
const webhookToken = "whk-orders-5e0b2c9d71a4"
const endpointId = "POS-INTEGRATION-ORDERS"

const kopi = "454335871"
const rafflesPlace = "45454565682155"
const jewel = "9007199254740993"
const saintGermain = "247158188015618"
const toGo = "/o/op/1/order/toGo"
const local = "/o/op/1/order/local"

const started: Array<FakeLightspeed> = []

afterEach(async () => {
  await Promise.all(started.splice(0).map((fake) => fake.close()))
})

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString()

const start = async (options: Partial<FakeLightspeedOptions> = {}) => {
  const fake = await startFakeLightspeed({
    clientId,
    clientSecret,
    refreshToken: firstRefresh,
    accessTokens: [liveAccess],
    businesses: payloads.businesses,
    menus: { [rafflesPlace]: [payloads.menuAllDay] },
    orderLocations: [rafflesPlace, jewel, saintGermain],
    ...options
  })
  started.push(fake)
  return fake
}

/** The business's credentials as an operator set them for ordering, pointed at the fake. */
const accountOf = (url: string, overrides: Partial<AccountCredentials> = {}): AccountCredentials => ({
  apiBaseUrl: url,
  clientId,
  clientSecret,
  refreshToken: firstRefresh,
  accessToken: liveAccess,
  accessTokenExpiresAt: inMinutes(50),
  webhookToken,
  endpointId,
  ...overrides
})

const contextOf = (
  account: AccountCredentials | null,
  vault: CredentialVault<AccountCredentials>,
  outlet = rafflesPlace
): PosCallContext<OutletCredentials, AccountCredentials> => ({
  outlet: { externalId: outlet, identifiers: { blID: outlet, businessId: kopi } },
  accountId: kopi,
  credentials: { outlet: {}, account },
  vault: { outlet: memoryVault<OutletCredentials>({}, "outlet").vault, account: vault },
  http: fetchHttp
})

/** A fake, and a context whose stored credentials are those given. */
const setup = async (options: Partial<FakeLightspeedOptions> = {}, overrides: Partial<AccountCredentials> = {}) => {
  const fake = await start(options)
  const account = accountOf(fake.url, overrides)
  const store = memoryVault<AccountCredentials>(account)
  return { fake, account, store, context: contextOf(account, store.vault) }
}

/** The one order body the fake received, parsed. */
const onlyBody = (fake: FakeLightspeed): unknown => {
  expect(fake.orders).toHaveLength(1)
  return JSON.parse(fake.orders[0]!.body)
}

/** Every secret the fake and the credentials ever held: none may show in an error. */
const secretsOf = (fake: FakeLightspeed) => [
  clientSecret,
  firstRefresh,
  liveAccess,
  webhookToken,
  fake.refreshToken(),
  ...fake.calls.flatMap((call) => [call.bearer ?? clientSecret, call.form?.["refresh_token"] ?? clientSecret])
]

/** The typed failure of a submission, checked to carry no secret in its message, its JSON, its text or its stack. */
const failure = async <A, E>(fake: FakeLightspeed, effect: Effect.Effect<A, E>): Promise<E> => {
  const error = await fail(effect)
  for (const secret of secretsOf(fake)) {
    expect(JSON.stringify(error)).not.toContain(secret)
    expect(String(error)).not.toContain(secret)
    expect(error instanceof Error ? (error.stack ?? "") : "").not.toContain(secret)
  }
  return error
}

const order = (changes: Partial<PosOrder>): PosOrder => ({ ...pickupOrder, ...changes })

/**
 * A delivery in SGD: a Flat White with oat milk and, nested under it, an extra-hot instruction; two
 * Iced Lemon Teas with a coded line discount; a Wagyu Burger with a partner voucher; an order-level
 * discount; a delivery fee, a service charge and a tip; paid.
 */
const deliveryOrder: PosOrder = {
  ...pickupOrder,
  refCode: "GRAB-7781-2026",
  displayId: "GF-781",
  fulfilment: {
    type: "DELIVERY",
    asap: false,
    scheduledFor: "2026-11-27T19:30:00+08:00",
    table: null,
    address: {
      line1: "8 Temasek Boulevard",
      line2: "#22-03 Suntec Tower Three",
      city: "Singapore",
      postalCode: "038988",
      country: "SG",
      latitude: 1.2953,
      longitude: 103.8585
    }
  },
  customer: { name: "Nur Aisyah", phone: "+65 8123-4567", email: null },
  lines: [
    {
      posCode: "51",
      name: "Flat White",
      quantity: 1,
      unitPrice: 580,
      note: null,
      modifiers: [
        {
          posCode: "236025632784522",
          name: "Oat",
          quantity: 1,
          unitPrice: 0,
          modifiers: [{ posCode: "236025632784599", name: "Extra hot", quantity: 1, unitPrice: 0, modifiers: [] }]
        }
      ],
      discounts: [],
      tax: { ratePpm: 90000, amount: 52 },
      total: 580
    },
    {
      posCode: "55",
      name: "Iced Lemon Tea",
      quantity: 2,
      unitPrice: 420,
      note: "less sweet please",
      modifiers: [
        { posCode: "236025632784532", name: "25% sugar", quantity: 1, unitPrice: 0, modifiers: [] },
        { posCode: "236025632784542", name: "Less ice", quantity: 1, unitPrice: 0, modifiers: [] }
      ],
      discounts: [{ name: "Happy hour", posCode: "HAPPYHOUR", code: null, amount: 105 }],
      tax: { ratePpm: 90000, amount: 66 },
      total: 735
    },
    {
      posCode: "25",
      name: "Wagyu Burger",
      quantity: 1,
      unitPrice: 1850,
      note: null,
      modifiers: [],
      discounts: [{ name: "Welcome", posCode: null, code: "WELCOME3", amount: 300 }],
      tax: { ratePpm: 90000, amount: 140 },
      total: 1550
    }
  ],
  charges: [
    { kind: "DELIVERY", name: "Delivery", amount: 399, tax: { ratePpm: 90000, amount: 36 } },
    { kind: "SERVICE", name: "Small order fee", amount: 150, tax: { ratePpm: null, amount: 0 } },
    { kind: "TIP", name: "Rider tip", amount: 200, tax: { ratePpm: null, amount: 0 } }
  ],
  discounts: [{ name: "Grab promo", posCode: null, code: "GRAB5", amount: 500 }],
  totals: {
    subtotal: 2865,
    deliveryFee: 399,
    serviceCharge: 150,
    packaging: 0,
    tip: 200,
    discount: 500,
    tax: 294,
    total: 3408
  },
  payment: { status: "PAID", amount: 3408, method: "GrabPay", reference: "GP-99812" },
  notes: "Leave at the lobby"
}

describe("submitOrder: the request", () => {
  it("sends a pickup order to POST /o/op/1/order/toGo, once, exactly as K-Series takes it, and answers no id", async () => {
    const { fake, context } = await setup(
      {},
      { orderProfileCodes: { takeaway: "takeaway", delivery: "delivery" }, paymentMethodCode: "APM" }
    )
    const submitted = await succeed(plugin.submitOrder(pickupOrder, context))
    // The answer is {"status":"ok"}: the order's account identifier comes with its SUCCESS notification.
    expect(submitted).toEqual({ posOrderId: null, duplicate: false })
    expect(fake.calls.map((call) => `${call.method} ${call.path} ${call.status}`)).toEqual([`POST ${toGo} 200`])
    expect(fake.orders).toHaveLength(1)
    expect(fake.orders[0]).toMatchObject({ path: toGo, bearer: liveAccess, status: 200 })
    // Exact text: money is a decimal written digit for digit (46.65), never a float's rendering.
    expect(fake.orders[0]!.body).toBe(
      JSON.stringify({
        businessLocationId: 45454565682155,
        thirdPartyReference: "CATA-000123",
        endpointId,
        accountProfileCode: "takeaway",
        customerInfo: { firstName: "Tan Wei Ming", email: "tan.wm@example.com", contactNumberAsE164: "+6591234567" },
        orderNote: "Order C-123\n1 x Flat White: extra hot",
        maxTimeToAttemptOrderDeliverToPos: 300000,
        items: [
          {
            sku: "25",
            quantity: 2,
            modifiers: [{ modifierId: "236025632784492" }, { modifierId: "236025632784511" }]
          },
          { sku: "51", quantity: 1, modifiers: [{ modifierId: "236025632784522" }] }
        ],
        payment: { paymentMethod: "APM", paymentAmount: 46.65 }
      })
    )
    expect(fake.takenReferences()).toEqual(["CATA-000123"])
  })

  it("sends a delivery with its address, nested instructions, a coded line discount, a charge item, the tip, and the rest in the note", async () => {
    const { fake, context } = await setup(
      {},
      {
        orderProfileCodes: { takeaway: "takeaway", delivery: "delivery", local: "LOCALORDER" },
        paymentMethodCode: "GRABPAY",
        chargeSkus: { delivery: "DLV-FEE" }
      }
    )
    expect(await succeed(plugin.submitOrder(deliveryOrder, context))).toEqual({ posOrderId: null, duplicate: false })
    expect(fake.orders[0]!.path).toBe(toGo)
    expect(onlyBody(fake)).toEqual({
      businessLocationId: 45454565682155,
      thirdPartyReference: "GRAB-7781-2026",
      endpointId,
      accountProfileCode: "delivery",
      customerInfo: { firstName: "Nur Aisyah", contactNumberAsE164: "+6581234567" },
      orderNote: [
        "Order GF-781",
        "Leave at the lobby",
        "2 x Iced Lemon Tea: less sweet please",
        "Discount on Wagyu Burger: Welcome (WELCOME3) -3.00 SGD",
        "Discount: Grab promo (GRAB5) -5.00 SGD",
        "Service charge (Small order fee): 1.50 SGD"
      ].join("\n"),
      maxTimeToAttemptOrderDeliverToPos: 300000,
      orderCollectionTimeAsIso8601: "2026-11-27T11:30:00.000Z",
      deliveryAddress: {
        addressLine1: "8 Temasek Boulevard",
        addressLine2: "#22-03 Suntec Tower Three",
        zip: "038988",
        city: "Singapore"
      },
      items: [
        // The instruction nested under the oat milk follows it: K-Series lists an item's instructions flat.
        { sku: "51", quantity: 1, modifiers: [{ modifierId: "236025632784522" }, { modifierId: "236025632784599" }] },
        {
          sku: "55",
          quantity: 2,
          modifiers: [{ modifierId: "236025632784532" }, { modifierId: "236025632784542" }],
          discountCode: "HAPPYHOUR",
          discountAmountOverride: 1.05
        },
        { sku: "25", quantity: 1 },
        { sku: "DLV-FEE", quantity: 1, customItemPrice: 3.99 }
      ],
      // The whole amount paid, tip included; the tip also on its own.
      payment: { paymentMethod: "GRABPAY", paymentAmount: 34.08, tipAmount: 2 }
    })
    expect(fake.orders[0]!.body).toContain('"paymentAmount":34.08,"tipAmount":2.00}')
    expect(fake.orders[0]!.body).toContain('"discountAmountOverride":1.05')
  })

  it("sends a dine-in order to POST /o/op/1/order/local with its table; unpaid, so no payment and the tip in the note", async () => {
    const { fake, context } = await setup({}, { orderProfileCodes: { local: "LOCALORDER" } })
    const dineIn = order({
      refCode: "TBL-12-0042",
      displayId: null,
      fulfilment: { type: "DINE_IN", asap: true, scheduledFor: null, table: " 12 ", address: null },
      customer: { name: null, phone: "9123 4567", email: null },
      lines: [pickupOrder.lines[0]!],
      charges: [{ kind: "TIP", name: "Tip", amount: 250, tax: { ratePpm: null, amount: 0 } }],
      totals: { ...pickupOrder.totals, subtotal: 3700, tip: 250, tax: 333, total: 4283 },
      payment: { status: "UNPAID", amount: 4283, method: null, reference: null }
    })
    await succeed(plugin.submitOrder(dineIn, context))
    expect(fake.orders[0]!.path).toBe(local)
    expect(onlyBody(fake)).toEqual({
      businessLocationId: 45454565682155,
      thirdPartyReference: "TBL-12-0042",
      endpointId,
      accountProfileCode: "LOCALORDER",
      // Nobody named: K-Series requires a first name.
      customerInfo: { firstName: "Guest" },
      // A phone without its country code is no E.164 number: it goes to the note.
      orderNote: "Tip (unpaid): 2.50 SGD\nPhone: 9123 4567",
      maxTimeToAttemptOrderDeliverToPos: 300000,
      tableNumber: "12",
      items: [
        { sku: "25", quantity: 2, modifiers: [{ modifierId: "236025632784492" }, { modifierId: "236025632784511" }] }
      ]
    })
  })

  it("sends a scheduled curbside pickup with its collection time in UTC, and no profile code when none is set", async () => {
    const { fake, context } = await setup()
    const curbside = order({
      refCode: "CURB-0007",
      fulfilment: {
        type: "CURBSIDE",
        asap: false,
        scheduledFor: "2026-11-27T12:30:00+08:00",
        table: null,
        address: null
      }
    })
    await succeed(plugin.submitOrder(curbside, context))
    const body = onlyBody(fake) as Record<string, unknown>
    expect(fake.orders[0]!.path).toBe(toGo)
    expect(body["orderCollectionTimeAsIso8601"]).toBe("2026-11-27T04:30:00.000Z")
    expect(body["orderNote"]).toBe("Order C-123\nCurbside pickup\n1 x Flat White: extra hot")
    expect(body).not.toHaveProperty("accountProfileCode")
    expect(body).not.toHaveProperty("tableNumber")
    expect(body).not.toHaveProperty("deliveryAddress")
    // Paid without a payment method code: Lightspeed's default method books it.
    expect(body["payment"]).toEqual({ paymentAmount: 46.65 })
  })

  it("writes an int64 location id and zero-decimal money exactly (JPY, a blID above 2^53)", async () => {
    const { fake, context } = await setup()
    const yen = order({
      refCode: "JP-1",
      outletExternalId: jewel,
      currency: "JPY",
      lines: [{ ...pickupOrder.lines[0]!, unitPrice: 1850, total: 3700 }],
      totals: { ...pickupOrder.totals, subtotal: 3700, tax: 0, total: 3700 },
      payment: { status: "PAID", amount: 3700, method: null, reference: null }
    })
    await succeed(plugin.submitOrder(yen, { ...context, outlet: { externalId: jewel, identifiers: {} } }))
    expect(fake.orders[0]!.body).toMatch(/^\{"businessLocationId":9007199254740993,/)
    expect(fake.orders[0]!.body).toContain('"payment":{"paymentAmount":3700}')
  })

  it("refuses, before sending anything, an order K-Series cannot take as it is", async () => {
    const { fake, context } = await setup()
    const cases: ReadonlyArray<readonly [PosOrder, string]> = [
      [order({ pricing: "PARTNER" }), "prices orders itself"],
      [order({ refCode: "R".repeat(49) }), "1 to 48"],
      [order({ outletExternalId: "raffles-place" }), "not a Lightspeed business location id"],
      [
        order({
          lines: [
            {
              ...pickupOrder.lines[0]!,
              modifiers: [{ posCode: "236025632784511", name: "No onions", quantity: 2, unitPrice: 0, modifiers: [] }]
            }
          ]
        }),
        "lines[0].modifiers[0] (No onions) has quantity 2"
      ],
      [
        order({
          lines: [
            {
              ...pickupOrder.lines[0]!,
              modifiers: [
                {
                  ...pickupOrder.lines[0]!.modifiers[0]!,
                  modifiers: [{ posCode: "1", name: "Twice", quantity: 0, unitPrice: 0, modifiers: [] }]
                }
              ]
            }
          ]
        }),
        "lines[0].modifiers[0].modifiers[0] (Twice) has quantity 0"
      ],
      [order({ lines: [{ ...pickupOrder.lines[0]!, quantity: 1.5 }] }), "has quantity 1.5"],
      [order({ fulfilment: { ...pickupOrder.fulfilment, type: "DELIVERY" } }), "needs the address"],
      [
        order({ fulfilment: { ...pickupOrder.fulfilment, asap: false, scheduledFor: "tomorrow noon" } }),
        "not a date-time"
      ],
      [order({ payment: { ...pickupOrder.payment, amount: -5 } }), "the amount paid is not a non-negative amount"],
      [
        order({ discounts: [{ name: "Odd", posCode: null, code: null, amount: 2.5 }] }),
        "a discount is not a non-negative amount in minor units: 2.5"
      ],
      [
        order({ charges: [{ kind: "SERVICE", name: "Fee", amount: -150, tax: { ratePpm: null, amount: 0 } }] }),
        "a charge is not a non-negative amount"
      ]
    ]
    for (const [refused, reason] of cases) {
      const error = await failure(fake, plugin.submitOrder(refused, context))
      expect(error, reason).toBeInstanceOf(PosRejected)
      expect((error as PosRejected).reason).toContain(reason)
      expect((error as PosRejected).status).toBeNull()
    }
    expect(fake.calls).toEqual([])
  })
})

describe("submitOrder: the answers", () => {
  it("reads a repeated thirdPartyReference (409) as the order submitted before", async () => {
    const { fake, context } = await setup()
    expect(await succeed(plugin.submitOrder(pickupOrder, context))).toEqual({ posOrderId: null, duplicate: false })
    // The same order again, as after an answer lost on the way: Lightspeed has it already.
    expect(await succeed(plugin.submitOrder(pickupOrder, context))).toEqual({ posOrderId: null, duplicate: true })
    expect(fake.orders.map((o) => o.status)).toEqual([200, 409])
    expect(fake.takenReferences()).toEqual(["CATA-000123"])
  })

  it("reads a 400 saying the reference has already been used as a duplicate too", async () => {
    const { fake, context } = await setup()
    fake.fail(toGo, {
      status: 400,
      body: JSON.stringify({
        timestamp: "2026-11-27T09:58:01.000+0000",
        status: 400,
        error: "Bad Request",
        message: "reference has already been used CATA-000123",
        path: toGo
      })
    })
    expect(await succeed(plugin.submitOrder(pickupOrder, context))).toEqual({ posOrderId: null, duplicate: true })
    expect(fake.orders).toHaveLength(1)
  })

  it("renews a refused access token once through the vault and sends the order once more", async () => {
    const { fake, store, context } = await setup()
    fake.revokeAccessTokens()
    expect(await succeed(plugin.submitOrder(pickupOrder, context))).toEqual({ posOrderId: null, duplicate: false })
    expect(fake.calls.map((call) => `${call.method} ${call.path} ${call.status}`)).toEqual([
      `POST ${toGo} 401`,
      "POST /oauth/token 200",
      `POST ${toGo} 200`
    ])
    expect(fake.refreshes()).toBe(1)
    expect(fake.orders[1]!.body).toBe(fake.orders[0]!.body)
    expect(fake.orders[1]!.bearer).not.toBe(liveAccess)
    // The spent refresh token is replaced before anything else could use it.
    expect(store.current()?.refreshToken).toBe(fake.refreshToken())
    expect(store.current()?.accessToken).toBe(fake.orders[1]!.bearer)
    expect(fake.takenReferences()).toEqual(["CATA-000123"])
  })

  it("fetches a token first when none is stored, then sends one order request", async () => {
    const fake = await start()
    const { accessToken: _, accessTokenExpiresAt: __, ...withoutToken } = accountOf(fake.url)
    const store = memoryVault<AccountCredentials>(withoutToken)
    await succeed(plugin.submitOrder(pickupOrder, contextOf(withoutToken, store.vault)))
    expect(fake.calls.map((call) => `${call.method} ${call.path} ${call.status}`)).toEqual([
      "POST /oauth/token 200",
      `POST ${toGo} 200`
    ])
    expect(store.rotations()).toBe(1)
    expect(store.current()?.accessToken).toBe(fake.orders[0]!.bearer)
  })

  it("gives up after a second 401 with a PosRejected, without a third attempt", async () => {
    const { fake, context } = await setup()
    fake.fail(toGo, { status: 401, body: '{"error":"invalid_token"}' }, 2)
    const error = await failure(fake, plugin.submitOrder(pickupOrder, context))
    expect(error).toEqual(
      new PosRejected({
        reason: `Lightspeed refused the order (Lightspeed POST ${toGo} answered HTTP 401): refused a freshly renewed access token`,
        status: 401
      })
    )
    expect(fake.orders).toHaveLength(2)
    expect(fake.refreshes()).toBe(1)
  })

  it("maps Lightspeed's refusals to PosRejected with its reason", async () => {
    const { fake, context } = await setup()
    fake.answerOrders("reject")
    expect(await failure(fake, plugin.submitOrder(pickupOrder, context))).toEqual(
      new PosRejected({
        reason: `Lightspeed refused the order (Lightspeed POST ${toGo} answered HTTP 400): Online ordering is not enabled for this business location`,
        status: 400
      })
    )
    expect(fake.orders).toHaveLength(1)
  })

  it("quotes the fields of a validation failure, and an unknown location", async () => {
    const { fake, context } = await setup()
    const longSku = order({ lines: [{ ...pickupOrder.lines[0]!, posCode: "SKU-LONGER-THAN-25-CHARS-X" }] })
    const invalid = (await failure(fake, plugin.submitOrder(longSku, context))) as PosRejected
    expect(invalid).toBeInstanceOf(PosRejected)
    expect(invalid.status).toBe(400)
    expect(invalid.reason).toContain("Validation failed for object='toGoOrder'. Error count: 1")
    expect(invalid.reason).toContain("items[0].sku: size must be between 1 and 25")

    const unknown = order({ refCode: "CATA-000124", outletExternalId: "45454565680000" })
    const elsewhere = (await failure(fake, plugin.submitOrder(unknown, context))) as PosRejected
    expect(elsewhere.reason).toContain("Business location 45454565680000 not found")
    expect(fake.orders).toHaveLength(2)
  })

  it("maps 403 and 404 to PosRejected, and never quotes a secret the vendor echoes", async () => {
    const { fake, context } = await setup()
    fake.fail(toGo, {
      status: 403,
      body: JSON.stringify({
        status: "403",
        message: `token ${liveAccess} lacks scope orders-api (client ${clientId}:${clientSecret})`
      })
    })
    const forbidden = (await failure(fake, plugin.submitOrder(pickupOrder, context))) as PosRejected
    expect(forbidden).toBeInstanceOf(PosRejected)
    expect(forbidden.status).toBe(403)
    expect(forbidden.reason).toContain("lacks scope orders-api")
    expect(forbidden.reason).toContain("[redacted]")

    fake.fail(toGo, { status: 404, body: "<html>Not Found</html>" })
    expect(await failure(fake, plugin.submitOrder(pickupOrder, context))).toEqual(
      new PosRejected({
        reason: `Lightspeed refused the order (Lightspeed POST ${toGo} answered HTTP 404)`,
        status: 404
      })
    )
    expect(fake.orders).toHaveLength(2)
  })

  it("maps 5xx, 408, 429, a redirect, a reset, garbage and an answer without its acknowledgement to PosUnavailable, one request each", async () => {
    const { fake, context } = await setup()
    const faults = [
      { fault: { status: 500 }, says: "answered HTTP 500" },
      { fault: { status: 502, body: "Bad gateway" }, says: "answered HTTP 502" },
      { fault: { status: 408 }, says: "answered HTTP 408" },
      { fault: { status: 429, body: '{"message":"Too many requests"}' }, says: "answered HTTP 429" },
      { fault: { status: 302, body: "" }, says: "answered HTTP 302" },
      { fault: { _tag: "reset" } as const, says: "no answer" },
      { fault: { _tag: "garbage" } as const, says: "without its acknowledgement" },
      { fault: { status: 200, body: '{"unexpected":true}' }, says: "without its acknowledgement" },
      { fault: { status: 200, body: '{"status":"fail","msg":"nope"}' }, says: "without its acknowledgement" },
      { fault: { status: 204, body: "" }, says: "without its acknowledgement" }
    ]
    for (const [index, { fault, says }] of faults.entries()) {
      fake.fail(toGo, fault)
      const error = await failure(fake, plugin.submitOrder(pickupOrder, context))
      expect(error, says).toBeInstanceOf(PosUnavailable)
      expect((error as PosUnavailable).reason).toContain(says)
      expect(fake.orders, says).toHaveLength(index + 1)
    }
    fake.answerOrders("unavailable")
    expect(await failure(fake, plugin.submitOrder(pickupOrder, context))).toEqual(
      new PosUnavailable({ reason: `Lightspeed POST ${toGo} answered HTTP 503` })
    )
    expect(fake.takenReferences()).toEqual([])
  })

  it("is unavailable when Lightspeed cannot be reached, or its token endpoint fails or answers garbage", async () => {
    const closed = await start()
    const url = closed.url
    await closed.close()
    started.splice(started.indexOf(closed), 1)
    const nowhere = accountOf(url)
    const down = await fail(plugin.submitOrder(pickupOrder, contextOf(nowhere, memoryVault(nowhere).vault)))
    expect(down).toBeInstanceOf(PosUnavailable)

    const { fake } = await setup()
    const expired = accountOf(fake.url, { accessTokenExpiresAt: inMinutes(-5) })
    const context = contextOf(expired, memoryVault(expired).vault)
    fake.fail("/oauth/token", { status: 500 })
    expect(await failure(fake, plugin.submitOrder(pickupOrder, context))).toBeInstanceOf(PosUnavailable)
    fake.fail("/oauth/token", { status: 200, body: '{"unexpected":true}' })
    expect(await failure(fake, plugin.submitOrder(pickupOrder, context))).toEqual(
      new PosUnavailable({ reason: "the Lightspeed token refresh answered in an unexpected shape" })
    )
    expect(fake.orders).toEqual([])
  })

  it("bounds a hanging Lightspeed: the caller's timeout ends the call after exactly one request, and so does the plugin's own", async () => {
    const { fake, context } = await setup()
    fake.answerOrders("hang")
    const startedAt = Date.now()
    const timedOut = await fail(plugin.submitOrder(pickupOrder, context).pipe(Effect.timeout("300 millis")))
    expect((timedOut as { readonly _tag: string })._tag).toBe("TimeoutError")
    expect(Date.now() - startedAt).toBeLessThan(5_000)
    expect(fake.orders.map((o) => o.status)).toEqual([0])

    const impatient = makeSubmitOrder({ timeout: "200 millis", deliveryWindowMs: 300_000 })
    expect(await failure(fake, impatient(pickupOrder, context))).toEqual(
      new PosUnavailable({ reason: `Lightspeed POST ${toGo}: no answer in time` })
    )
    expect(fake.orders).toHaveLength(2)
  })

  it("needs the business's credentials and its endpointId, and says so before any request", async () => {
    const { fake, store } = await setup()
    const none = await fail(plugin.submitOrder(pickupOrder, contextOf(null, store.vault)))
    expect(none).toBeInstanceOf(MissingCredentials)
    expect((none as MissingCredentials).level).toBe("account")

    const { endpointId: _, ...withoutEndpoint } = accountOf(fake.url)
    const missing = await failure(
      fake,
      plugin.submitOrder(pickupOrder, contextOf(withoutEndpoint, memoryVault(withoutEndpoint).vault))
    )
    expect(missing).toBeInstanceOf(MissingCredentials)
    expect((missing as MissingCredentials).reason).toContain("endpointId")

    const { accessToken: __, ...spent } = accountOf(fake.url, { refreshToken: "rt-spent-elsewhere" })
    const refused = await failure(fake, plugin.submitOrder(pickupOrder, contextOf(spent, memoryVault(spent).vault)))
    expect(refused).toBeInstanceOf(MissingCredentials)
    expect(fake.orders).toEqual([])
  })
})

describe("ordering credentials", () => {
  const decode = Schema.decodeUnknownEffect(plugin.credentials.account!)

  it("decodes credentials stored before ordering existed, and takes the ordering fields", async () => {
    const stored = { clientId, clientSecret, refreshToken: firstRefresh, webhookToken }
    expect(await Effect.runPromise(decode(stored))).toEqual({ ...stored, apiBaseUrl: "https://api.lsk.lightspeed.app" })
    const ordering = {
      ...stored,
      endpointId,
      orderProfileCodes: { takeaway: "takeaway", delivery: "delivery", local: "LOCALORDER" },
      paymentMethodCode: "APM",
      chargeSkus: { delivery: "DLV-FEE", service: "SVC", packaging: "BAG", other: "MISC" }
    }
    expect(await Effect.runPromise(decode(ordering))).toMatchObject(ordering)
  })

  it("refuses empty ordering fields and a charge SKU Lightspeed would not take", async () => {
    const stored = { clientId, clientSecret, refreshToken: firstRefresh }
    for (const bad of [
      { ...stored, endpointId: "" },
      { ...stored, paymentMethodCode: "" },
      { ...stored, orderProfileCodes: { takeaway: "" } },
      { ...stored, orderProfileCodes: "takeaway" },
      { ...stored, chargeSkus: { delivery: "D".repeat(26) } },
      { ...stored, chargeSkus: { service: "" } }
    ]) {
      await fail(decode(bad))
    }
  })
})
