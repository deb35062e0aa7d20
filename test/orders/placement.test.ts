/**
 * Placing orders over HTTP on every storage adapter, priced by the server: the POS's prices at an
 * outlet without Menu V2 menus, a published menu's special and base prices at one with them, tax
 * included or added (the outlet's word from its sync, else the tenant's defaults), the tenant's
 * default rate for a product without one, charges and discounts spread over the lines, and what the
 * POS receives once the dispatcher delivered the order.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { storageAdapters } from "../support/storage-adapters.ts"
import {
  type CatalogProduct,
  deliverectOutlet,
  drain,
  expectError,
  expectStatus,
  lightspeedExternal,
  lightspeedOutlet,
  newRefCode,
  type OrderApp,
  orderRequest,
  placeOrder,
  productAt,
  productsOf,
  publishMenu,
  send,
  setOutletTaxInclusive,
  startOrderApp,
  syncLightspeedMenu,
  waitForOrder
} from "./support.ts"

const sgd = (amount: number) => ({ amount, currency: "SGD" })
const instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** The option of the product's group with this name, by its name. */
const option = (product: CatalogProduct, group: string, name: string) => {
  const found = product.modifierGroups.find((g) => g.name === group)?.options.find((o) => o.name === name)
  if (found === undefined) expect.fail(`${product.name} has no option '${name}' in '${group}'`)
  return found.optionId
}
const groupId = (product: CatalogProduct, group: string) =>
  product.modifierGroups.find((g) => g.name === group)!.modifierGroupId

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`order placement and pricing over HTTP (${adapter.name})`, () => {
    let o: OrderApp
    let deliverect: ReadonlyMap<string, CatalogProduct>
    let lightspeed: ReadonlyMap<string, CatalogProduct>
    beforeAll(async () => {
      // The tenant's defaults: prices exclude tax, 8% for a product its POS gives no rate.
      o = await startOrderApp(adapter.layer(), { tenantTax: { taxInclusive: false, taxRatePpm: 80_000 } })
      deliverect = await productsOf(o, deliverectOutlet)
      lightspeed = await productsOf(o, lightspeedOutlet)
    }, 60_000)
    afterAll(() => o?.close())

    it("prices an order at an outlet without V2 menus at its POS's prices, tax by the outlet's word else the tenant's defaults, and delivers it to the POS", async () => {
      const tea = productAt(lightspeed, "55")
      const affogato = productAt(lightspeed, "71")
      const wagyu = productAt(lightspeed, "25")
      const customer = expectStatus(
        await send<{ customerId: string }>(o, "POST", "/api/v1/customers", {
          body: { name: "Tan Wei Ming", phone: "+65 9000 1234", email: "wei.ming@example.org" }
        }),
        201
      )
      const items = [
        {
          productId: tea.productId,
          quantity: 3,
          note: "no straw",
          modifiers: [
            { optionId: option(tea, "Sugar level", "50% sugar") },
            { optionId: option(tea, "Ice level", "Less ice") }
          ]
        },
        // Lightspeed gives this product no tax rate: the tenant's default applies.
        { productId: affogato.productId, quantity: 2 },
        {
          productId: wagyu.productId,
          quantity: 1,
          modifiers: [
            { optionId: option(wagyu, "Meat cooking", "Medium") },
            { optionId: option(wagyu, "Burger instructions", "No onions") },
            { optionId: option(wagyu, "Burger instructions", "Extra sauce") }
          ]
        }
      ]
      const cases = [
        {
          // The outlet's sync says nothing: the tenant's default, prices exclude tax. Tax = net x rate,
          // half-up per line, added to each line and to the total.
          outlet: null,
          inclusive: false,
          taxes: [113, 136, 167], // 1260 at 9%: 113.4; 1700 at 8%: 136; 1850 at 9%: 166.5 rounds up
          totals: [1373, 1836, 2017]
        },
        {
          // The outlet's sync says its prices include tax: tax = net x rate / (1 + rate), half-up per
          // line; the total does not grow.
          outlet: true,
          inclusive: true,
          taxes: [104, 126, 153], // 104.04; 125.93; 152.75
          totals: [1260, 1700, 1850]
        }
      ]
      for (const { outlet, inclusive, taxes, totals } of cases) {
        await setOutletTaxInclusive(o, lightspeedOutlet, outlet)
        const tax = taxes.reduce((a, b) => a + b, 0)
        const total = totals.reduce((a, b) => a + b, 0) + 100
        const body = orderRequest(lightspeedOutlet, items, total, {
          fulfilment: { type: "DINE_IN", table: "12" },
          customer: { customerId: customer.customerId },
          charges: [{ kind: "SERVICE", name: "Service", amount: 100 }],
          notes: "birthday",
          displayId: "K-042"
        })
        const placed = await placeOrder(o, body)
        const order = expectStatus(placed, 201)
        const lines = [
          { product: tea, quantity: 3, unit: 420, note: "no straw", rate: 90_000 },
          { product: affogato, quantity: 2, unit: 850, note: null, rate: 80_000 },
          { product: wagyu, quantity: 1, unit: 1850, note: null, rate: 90_000 }
        ]
        expect(order).toEqual({
          orderId: expect.stringMatching(/^ord_[0-9a-f]{32}$/),
          refCode: body["refCode"],
          outletId: lightspeedOutlet,
          status: "RECEIVED",
          createdAt: expect.stringMatching(instant),
          fulfilment: { type: "DINE_IN", asap: true, scheduledFor: null, table: "12", address: null },
          // The known customer's stored details go with the order.
          customer: {
            customerId: customer.customerId,
            name: "Tan Wei Ming",
            phone: "+6590001234",
            email: "wei.ming@example.org"
          },
          lines: lines.map((line, i) => ({
            lineNo: i + 1,
            productId: line.product.productId,
            name: line.product.name,
            quantity: line.quantity,
            unitPrice: sgd(line.unit),
            note: line.note,
            modifiers:
              i === 0
                ? [
                    {
                      optionId: option(tea, "Sugar level", "50% sugar"),
                      modifierGroupId: groupId(tea, "Sugar level"),
                      name: "50% sugar",
                      quantity: 1,
                      unitPrice: sgd(0)
                    },
                    {
                      optionId: option(tea, "Ice level", "Less ice"),
                      modifierGroupId: groupId(tea, "Ice level"),
                      name: "Less ice",
                      quantity: 1,
                      unitPrice: sgd(0)
                    }
                  ]
                : i === 2
                  ? ["Medium", "No onions", "Extra sauce"].map((name, j) => ({
                      optionId: option(wagyu, j === 0 ? "Meat cooking" : "Burger instructions", name),
                      modifierGroupId: groupId(wagyu, j === 0 ? "Meat cooking" : "Burger instructions"),
                      name,
                      quantity: 1,
                      unitPrice: sgd(0)
                    }))
                  : [],
            subtotal: sgd(line.quantity * line.unit),
            discount: sgd(0),
            tax: { ratePpm: line.rate, amount: sgd(taxes[i]!) },
            total: sgd(totals[i]!)
          })),
          charges: [{ kind: "SERVICE", name: "Service", amount: sgd(100) }],
          discounts: [],
          totals: { subtotal: sgd(4810), charges: sgd(100), discount: sgd(0), tax: sgd(tax), total: sgd(total) },
          currency: "SGD",
          taxInclusive: inclusive,
          payment: { status: "PAID", amount: sgd(total), method: "card", reference: "pi_3Nx" },
          notes: "birthday",
          displayId: "K-042",
          menu: { source: "pos", menus: [] }
        })

        // Delivered to the location's POS as a dine-in (local) order under the refCode.
        await drain(o)
        const delivered = await waitForOrder(o, order.orderId, (x) => x.status === "SUBMITTED")
        expect(delivered.deliveries.map((d) => [d.kind, d.outcome])).toEqual([["submit", "delivered"]])
        const sent = o.lightspeed.orders.filter((x) => x.body.includes(`"${order.refCode}"`))
        expect(sent.map((x) => [x.path, x.status])).toEqual([["/o/op/1/order/local", 200]])
        const sentBody = JSON.parse(sent[0]!.body) as Record<string, unknown>
        expect(sentBody).toMatchObject({
          thirdPartyReference: order.refCode,
          customerInfo: { firstName: "Tan Wei Ming" },
          payment: { paymentAmount: total / 100 }
        })
        expect(sent[0]!.body).toContain(`"businessLocationId":${lightspeedExternal}`)
        expect((sentBody["items"] as Array<{ sku: string; quantity: number }>).map((i) => [i.sku, i.quantity])).toEqual(
          [
            ["55", 3],
            ["71", 2],
            ["25", 1]
          ]
        )
      }
      await setOutletTaxInclusive(o, lightspeedOutlet, null)
    })

    it("prices an outlet's published V2 menu (special, else base, else the POS's price) with tax added by the outlet, charges and discounts", async () => {
      const burger = productAt(deliverect, "BRG-01")
      const steak = productAt(deliverect, "STK-01")
      const cola = productAt(deliverect, "DRK-COLA")
      const menu = await publishMenu(
        o,
        "Delivery",
        [deliverectOutlet],
        [
          { productId: burger.productId, basePrice: 1700, specialPrice: 1500 },
          { productId: steak.productId, basePrice: 2600 },
          { productId: cola.productId }
        ]
      )
      // Marina Bay's outlet sync says its prices exclude tax.
      await setOutletTaxInclusive(o, deliverectOutlet, false)
      const items = [
        {
          productId: burger.productId,
          quantity: 2,
          modifiers: [
            { optionId: option(burger, "How would you like it cooked?", "Medium") },
            { optionId: option(burger, "Extras", "Bacon") },
            { optionId: option(burger, "Extras", "Extra Cheddar") }
          ]
        },
        {
          productId: steak.productId,
          quantity: 1,
          modifiers: [
            { optionId: option(steak, "How would you like it cooked?", "Rare") },
            { optionId: option(steak, "Choose your sides", "Fries"), quantity: 2 }
          ]
        },
        { productId: cola.productId, quantity: 3 }
      ]
      const extra = {
        fulfilment: {
          type: "DELIVERY",
          address: { line1: "10 Bayfront Avenue", postalCode: "018956", city: "Singapore", country: "SG" }
        },
        charges: [
          { kind: "DELIVERY", amount: 500 },
          { kind: "TIP", name: "Rider tip", amount: 200 }
        ],
        discounts: [
          { type: "PROMOTION", amount: 300 },
          { type: "VOUCHER", name: "Welcome", reference: "WELCOME5", amount: 200 }
        ]
      }
      // Subtotals 2 x (1500 + 150 + 100) = 3500, 2600 + 2 x 300 = 3200, 3 x 350 = 1050: 7750. The 500
      // of discounts in proportion, largest remainder: 225.81, 206.45, 67.74 -> 226, 206, 68. Nets
      // 3274, 2994, 982; 9% added, half-up: 294.66, 269.46, 88.38 -> 295, 269, 88 (652).
      // Total 7750 - 500 + 700 + 652 = 8602.
      const body = orderRequest(deliverectOutlet, items, 8601, extra)
      for (const amount of [8601, 8603]) {
        const details = expectError(
          await placeOrder(o, { ...body, payment: { status: "PAID", amount } }),
          400,
          "invalid request"
        )
        expect(details).toBe(`body.payment.amount: is ${amount} SGD, but the order totals 8602 SGD`)
      }
      // The refused attempts left the refCode free.
      const placed = expectStatus(await placeOrder(o, { ...body, payment: { status: "PAID", amount: 8602 } }), 201)
      expect(placed.lines.map((l) => [l.unitPrice.amount, l.subtotal.amount, l.discount.amount])).toEqual([
        [1500, 3500, 226],
        [2600, 3200, 206],
        [350, 1050, 68]
      ])
      expect(placed.lines.map((l) => [l.tax, l.total])).toEqual([
        [{ ratePpm: 90_000, amount: sgd(295) }, sgd(3569)],
        [{ ratePpm: 90_000, amount: sgd(269) }, sgd(3263)],
        [{ ratePpm: 90_000, amount: sgd(88) }, sgd(1070)]
      ])
      expect(placed.lines[1]!.modifiers.map((m) => [m.name, m.quantity, m.unitPrice.amount])).toEqual([
        ["Rare", 1, 0],
        ["Fries", 2, 300]
      ])
      expect(placed.charges).toEqual([
        { kind: "DELIVERY", name: "Delivery fee", amount: sgd(500) },
        { kind: "TIP", name: "Rider tip", amount: sgd(200) }
      ])
      expect(placed.discounts).toEqual([
        { type: "PROMOTION", name: "Promotion", reference: null, amount: sgd(300) },
        { type: "VOUCHER", name: "Welcome", reference: "WELCOME5", amount: sgd(200) }
      ])
      expect(placed.totals).toEqual({
        subtotal: sgd(7750),
        charges: sgd(700),
        discount: sgd(500),
        tax: sgd(652),
        total: sgd(8602)
      })
      expect([placed.taxInclusive, placed.currency]).toEqual([false, "SGD"])
      expect(placed.menu).toEqual({ source: "menu-v2", menus: [{ menuId: menu.menuId, version: menu.version }] })
      expect(placed.fulfilment).toEqual({
        type: "DELIVERY",
        asap: true,
        scheduledFor: null,
        table: null,
        address: {
          line1: "10 Bayfront Avenue",
          line2: null,
          city: "Singapore",
          postalCode: "018956",
          country: "SG",
          latitude: null,
          longitude: null
        }
      })

      // Deliverect takes our line prices: the order it receives adds up to the same total.
      await drain(o)
      await waitForOrder(o, placed.orderId, (x) => x.status === "SUBMITTED")
      expect(o.deliverect.taken.filter((r) => r === placed.refCode)).toHaveLength(1)
      const sent = o.deliverect
        .orderBodies()
        .map((text) => JSON.parse(text) as Record<string, unknown>)
        .find((x) => x["channelOrderId"] === placed.refCode)!
      expect(
        (sent["items"] as Array<{ plu: string; price: number; quantity: number }>).map((i) => [
          i.plu,
          i.price,
          i.quantity
        ])
      ).toEqual([
        ["BRG-01", 1500, 2],
        ["STK-01", 2600, 1],
        ["DRK-COLA", 350, 3]
      ])
      expect(sent).toMatchObject({ orderType: 2, deliveryCost: 500, tip: 200 })
      expect((sent["payment"] as { amount: number }).amount).toBe(8602)

      // Where prices include tax, the same order costs its subtotal less its discounts plus its charges.
      await setOutletTaxInclusive(o, deliverectOutlet, true)
      const included = expectStatus(
        await placeOrder(o, { ...body, refCode: newRefCode(), payment: { status: "PAID", amount: 7950 } }),
        201
      )
      // Nets 3274, 2994, 982 at 9% included: 270.33, 247.21, 81.08.
      expect(included.lines.map((l) => [l.tax.amount.amount, l.total.amount])).toEqual([
        [270, 3274],
        [247, 2994],
        [81, 982]
      ])
      expect([included.taxInclusive, included.totals.tax.amount, included.totals.total.amount]).toEqual([
        true,
        598,
        7950
      ])
    })

    // Deliverect takes an order's discounts either on the order or on its lines (domain/order-pos.ts):
    // the plugin sends both today, so Deliverect would take the discount off twice.
    it("sends Deliverect each discount once: its discounts add up to the order's", async () => {
      const burger = productAt(deliverect, "BRG-01")
      const body = orderRequest(
        deliverectOutlet,
        [
          {
            productId: burger.productId,
            quantity: 1,
            modifiers: [{ optionId: option(burger, "How would you like it cooked?", "Well done") }]
          }
        ],
        1200,
        { discounts: [{ type: "VOUCHER", reference: "SAVE3", amount: 300 }] }
      )
      const placed = expectStatus(await placeOrder(o, body), 201)
      await drain(o)
      await waitForOrder(o, placed.orderId, (x) => x.status === "SUBMITTED")
      const sent = o.deliverect
        .orderBodies()
        .map(
          (text) => JSON.parse(text) as { channelOrderId: string; discountTotal: number; payment: { amount: number } }
        )
        .find((x) => x.channelOrderId === placed.refCode)!
      // The burger at the published menu's special price, 1500, less 300; Marina Bay's prices include tax.
      expect(sent.payment.amount).toBe(1200)
      expect(sent.discountTotal).toBe(-300)
    })

    it("refuses an order whose V2 price the POS would no longer charge where the POS prices orders itself (Lightspeed)", async () => {
      const tea = productAt(lightspeed, "55")
      const juice = productAt(lightspeed, "58")
      await setOutletTaxInclusive(o, lightspeedOutlet, true)
      // A menu for an outlet whose POS prices orders itself may only repeat the POS's prices.
      const menu = await publishMenu(
        o,
        "Kopi specials",
        [lightspeedOutlet],
        [
          { productId: tea.productId, basePrice: 420 },
          { productId: juice.productId, basePrice: 450 }
        ]
      )
      const taken = expectStatus(
        await placeOrder(o, orderRequest(lightspeedOutlet, [{ productId: juice.productId, quantity: 2 }], 900)),
        201
      )
      expect(taken.menu).toEqual({ source: "menu-v2", menus: [{ menuId: menu.menuId, version: 1 }] })
      expect(taken.lines[0]!.unitPrice).toEqual(sgd(450))
      // Then the POS raises the juice's price: the menu's price is no longer what the POS would charge.
      await syncLightspeedMenu(o, (text) =>
        text.replace('"productName":"Apple Juice","productPrice":4.5', '"productName":"Apple Juice","productPrice":4.8')
      )
      const refused = orderRequest(
        lightspeedOutlet,
        [
          { productId: tea.productId, quantity: 1 },
          { productId: juice.productId, quantity: 1 }
        ],
        870
      )
      expect(expectError(await placeOrder(o, refused), 400)).toBe(
        `body.items[1]: product '${juice.productId}' (Apple Juice) costs 450 SGD on this outlet's menu but 480 SGD at its POS, which prices orders itself and would charge another amount`
      )
      // Taken off the outlet, the menu leaves it its POS's menu, at its POS's prices.
      expect(await menu.withOutlets([deliverectOutlet])).toBe(2)
      const back = expectStatus(await placeOrder(o, { ...refused, payment: { status: "PAID", amount: 900 } }), 201)
      expect(back.menu).toEqual({ source: "pos", menus: [] })
      expect(back.lines.map((l) => l.unitPrice.amount)).toEqual([420, 480])
      await syncLightspeedMenu(o, (text) => text)
      await setOutletTaxInclusive(o, lightspeedOutlet, null)
    })
  })
}
