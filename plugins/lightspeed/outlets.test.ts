import { describe, expect, it } from "vitest"
import { fixtures, payloads } from "./fixtures/index.ts"
import plugin from "./index.ts"
import { clone, rejected, succeed } from "./test-support.ts"

describe("decodeOutlets", () => {
  it("makes every business location an outlet keyed by its blID", async () => {
    for (const fixture of fixtures.outlets) {
      const outlets = await succeed(plugin.decodeOutlets(fixture.payload))
      expect(outlets.map((o) => o.externalId)).toEqual(fixture.expectedExternalIds)
    }
  })

  it("decodes the HAL answer of GET /f/data/businesses to exactly the expected outlets", async () => {
    const outlets = await succeed(plugin.decodeOutlets(payloads.businesses))
    expect(outlets[0]).toEqual({
      externalId: "45454565682155",
      name: "Kopi & Co Raffles Place",
      active: true,
      currency: "SGD",
      timezone: "Asia/Singapore",
      country: "SG",
      address: null,
      postalCode: null,
      phone: null,
      taxInclusive: null,
      serviceHours: [],
      identifiers: { blID: "45454565682155", businessId: "454335871" },
      // The business is the POS account: its credentials reach the location.
      accountId: "454335871"
    })
    // Each location takes its own business's currency.
    expect(outlets[3]).toMatchObject({
      externalId: "247158188015618",
      currency: "EUR",
      country: "FR",
      timezone: "Europe/Paris",
      accountId: "454335912"
    })
  })

  it("keeps a blID above 2^53 exact when it comes as a string", async () => {
    const outlets = await succeed(plugin.decodeOutlets(payloads.businesses))
    expect(outlets[2]?.identifiers).toEqual({ blID: "9007199254740993", businessId: "454335871" })
  })

  it("refuses a blID that JSON.parse has already rounded (a number above 2^53 - 1)", async () => {
    const payload = clone(payloads.businessesBare)
    // What JSON.parse makes of 9007199254740993: the id of another location.
    ;(payload.businessList[0]!.businessLocations[0] as { blID: number }).blID = 9007199254740992
    const error = await rejected(plugin.decodeOutlets(payload))
    expect(error.issues[0]?.path).toBe("businessList[0].businessLocations[0].blID")
  })

  it("lists a location given twice identically once, and refuses one blID for two different locations", async () => {
    expect((await succeed(plugin.decodeOutlets(payloads.businessesBare))).map((o) => o.name)).toEqual([
      "Ramen Works Shibuya",
      "Ramen Works Shinjuku"
    ])
    const payload = clone(payloads.businessesBare)
    payload.businessList[1]!.businessLocations[0]!.blName = "Ramen Works Harajuku"
    const error = await rejected(plugin.decodeOutlets(payload))
    expect(error.issues[0]?.path).toBe("businessList[1].businessLocations[0].blID")
    expect(error.issues[0]?.message).toContain("businessList[0].businessLocations[0].blID")
  })

  it("takes null or missing time zones and odd currency codes as unknown", async () => {
    const payload = {
      businessList: [
        { businessId: 1, currencyCode: "euro", businessLocations: [{ blName: "A", blID: 2, country: "France" }] }
      ]
    }
    expect(await succeed(plugin.decodeOutlets(payload))).toEqual([
      expect.objectContaining({ externalId: "2", currency: null, timezone: null, country: null, active: true })
    ])
  })

  it("names the path of what is wrong, inside the HAL envelope too", async () => {
    const payload = clone(payloads.businesses)
    delete (payload._embedded.businessList[1]!.businessLocations[0] as { blName?: string }).blName
    const error = await rejected(plugin.decodeOutlets(payload))
    expect(error.issues).toEqual([
      { path: "_embedded.businessList[1].businessLocations[0].blName", message: "is required" }
    ])
  })

  it("is deterministic", async () => {
    const first = await succeed(plugin.decodeOutlets(payloads.businesses))
    expect(await succeed(plugin.decodeOutlets(clone(payloads.businesses)))).toEqual(first)
  })
})
