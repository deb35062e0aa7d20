import { describe, expect, it } from "vitest"
import channelMy from "./fixtures/channel-my.json" with { type: "json" }
import channelSg from "./fixtures/channel-sg.json" with { type: "json" }
import plugin from "./index.ts"
import { copy, failure, pathsOf, run } from "./test-support.ts"

describe("decodeOutlets: the storefront GET /channel answer", () => {
  it("maps every outlet with the channel's currency, country, time zone and tax mode", async () => {
    const outlets = await run(plugin.decodeOutlets(channelSg))
    expect(outlets.map((o) => o.externalId)).toEqual(["1", "2", "3"])
    expect(outlets[0]).toEqual({
      externalId: "1",
      name: "Atlas Café Raffles Place",
      active: true,
      currency: "SGD",
      timezone: "Asia/Singapore",
      country: "SG",
      address: "1 Raffles Place #01-01",
      postalCode: "048616",
      phone: "+6561234567",
      taxInclusive: true,
      serviceHours: [
        { dayOfWeek: 1, opens: "11:00", closes: "14:30", fulfilment: "DELIVERY" },
        { dayOfWeek: 1, opens: "17:30", closes: "22:00", fulfilment: "DELIVERY" },
        { dayOfWeek: 2, opens: "11:00", closes: "14:30", fulfilment: "DELIVERY" },
        { dayOfWeek: 6, opens: "11:00", closes: "22:00", fulfilment: "DELIVERY" },
        // Sunday delivery is marked closed; Sunday (day_of_week 0) pickup is open.
        { dayOfWeek: 1, opens: "08:00", closes: "20:00", fulfilment: "PICKUP" },
        { dayOfWeek: 7, opens: "09:00", closes: "15:00", fulfilment: "PICKUP" }
      ],
      identifiers: { outletId: "1" },
      // The channel answer names no merchant: a pushed one belongs to no known account.
      accountId: null
    })
  })

  it("wraps services past midnight and maps dine-in hours", async () => {
    const [, tanjongPagar] = await run(plugin.decodeOutlets(channelSg))
    expect(tanjongPagar!.serviceHours).toEqual([
      { dayOfWeek: 5, opens: "18:00", closes: "02:00", fulfilment: "DELIVERY" },
      { dayOfWeek: 6, opens: "18:00", closes: "00:00", fulfilment: "DELIVERY" },
      { dayOfWeek: 3, opens: "12:00", closes: "15:00", fulfilment: "DINE_IN" }
    ])
  })

  it("turns blank or missing details into null and keeps an outlet without hours", async () => {
    const [, , kitchen] = await run(plugin.decodeOutlets(channelSg))
    expect(kitchen).toMatchObject({ externalId: "3", phone: null, serviceHours: [], active: true })
  })

  it("reads day_of_week 7 as Sunday too, and takes a channel without tax-inclusive prices", async () => {
    const [bangsar] = await run(plugin.decodeOutlets(channelMy))
    expect(bangsar).toMatchObject({
      externalId: "41",
      currency: "MYR",
      country: "MY",
      timezone: "Asia/Kuala_Lumpur",
      taxInclusive: false,
      serviceHours: [{ dayOfWeek: 7, opens: "10:00", closes: "21:00", fulfilment: "PICKUP" }]
    })
  })

  it("is deterministic", async () => {
    const first = await run(plugin.decodeOutlets(channelSg))
    expect(await run(plugin.decodeOutlets(copy(channelSg)))).toEqual(first)
  })

  it("keeps an outlet listed twice once, and refuses two different outlets under one id", async () => {
    const twice = { ...channelSg, outlets: [...channelSg.outlets, channelSg.outlets[0]] }
    expect((await run(plugin.decodeOutlets(twice))).map((o) => o.externalId)).toEqual(["1", "2", "3"])
    const clash = { ...channelSg, outlets: [...channelSg.outlets, { ...channelSg.outlets[1], id: 1 }] }
    const rejected = await failure(plugin.decodeOutlets(clash))
    expect(rejected.issues).toEqual([
      { path: "outlets[3]", message: "outlet 1 differs from the outlet 1 at outlets[0]" }
    ])
  })

  it("refuses times that are not whole minutes and days that are not days, naming them", async () => {
    const channel = copy(channelSg)
    const monday = channel.outlets[0]!.general_service_hours!.delivery[0]!
    monday.service_hours[0]!.service_start = 39_630
    monday.day_of_week = 8
    const rejected = await failure(plugin.decodeOutlets(channel))
    expect(pathsOf(rejected)).toEqual(["outlets[0].general_service_hours.delivery[0].day_of_week"])
    monday.day_of_week = 1
    expect(pathsOf(await failure(plugin.decodeOutlets(channel)))).toEqual([
      "outlets[0].general_service_hours.delivery[0].service_hours[0].service_start"
    ])
  })

  it("refuses other vendors' outlet payloads", async () => {
    const lightspeed = {
      businessList: [
        {
          businessName: "Cata Bistro",
          businessId: 45454565682155,
          currencyCode: "SGD",
          businessLocations: [{ blName: "Orchard", blID: 45454565682156, country: "SG", timezone: "Asia/Singapore" }]
        }
      ]
    }
    const deliverect = {
      status: "register",
      channelLocationId: "loc-1",
      channelLinkId: "649ad021949cfa36470f9ea9",
      locationId: "61c3c0a1b2d3e4f5a6b7c8d9",
      channelLinkName: "Cata Bistro"
    }
    for (const payload of [lightspeed, deliverect, [deliverect]]) {
      expect((await failure(plugin.decodeOutlets(payload)))._tag).toBe("PayloadRejected")
    }
    expect(pathsOf(await failure(plugin.decodeOutlets(lightspeed)))).toEqual(["config", "outlets"])
  })
})
