import type { OutletSnapshot } from "@pos-integration/sdk"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import foreignLightspeedBusinesses from "./fixtures/foreign-lightspeed-businesses.json" with { type: "json" }
import { fixtures } from "./fixtures/index.ts"
import outletRegister from "./fixtures/outlet-register.json" with { type: "json" }
import outletsBatch from "./fixtures/outlets-batch.json" with { type: "json" }
import plugin from "./index.ts"
import { edited, failed, issuesOf, outcome, succeeded } from "./test-helpers.ts"

const outlet = (fields: Partial<OutletSnapshot>): OutletSnapshot => ({
  externalId: "",
  name: "",
  active: true,
  currency: null,
  timezone: null,
  country: null,
  address: null,
  postalCode: null,
  phone: null,
  taxInclusive: null,
  serviceHours: [],
  identifiers: {},
  accountId: null,
  ...fields
})

describe("decodeOutlets", () => {
  it.each(fixtures.outlets)("$name", async ({ payload, expectedExternalIds }) => {
    const outlets = await succeeded(plugin.decodeOutlets(payload))
    expect(outlets.map((o) => o.externalId)).toEqual(expectedExternalIds)
  })

  it("maps one registration: the channel link is the outlet", async () => {
    expect(await succeeded(plugin.decodeOutlets(outletRegister))).toEqual([
      outlet({
        externalId: "649ad021949cfa36470f9ea9",
        name: "Marina Bay Kitchen",
        identifiers: {
          channelLinkId: "649ad021949cfa36470f9ea9",
          locationId: "61c30761e41eefadd03072af",
          channelLocationId: "catalyst-sg-marina-bay"
        },
        accountId: "5b1f3e71c6489f0029a1b2d4"
      })
    ])
  })

  it.each([
    ["absent", undefined],
    ["null", null],
    ["empty", ""]
  ])("a registration whose accountId is %s belongs to no known account", async (_name, accountId) => {
    const [decoded] = await succeeded(plugin.decodeOutlets(edited(outletRegister, ["accountId"], accountId)))
    expect(decoded?.accountId).toBeNull()
    expect(decoded?.externalId).toBe("649ad021949cfa36470f9ea9")
  })

  it("the account is the registration's own: each channel link keeps its account", async () => {
    const other = edited(edited(outletRegister, ["channelLinkId"], "65ddbe003110fd505a9e7cff"), ["accountId"], "acc-2")
    const outlets = await succeeded(plugin.decodeOutlets([outletRegister, other]))
    expect(outlets.map((o) => [o.externalId, o.accountId])).toEqual([
      ["649ad021949cfa36470f9ea9", "5b1f3e71c6489f0029a1b2d4"],
      ["65ddbe003110fd505a9e7cff", "acc-2"]
    ])
  })

  it("only inactive deactivates; a repeated registration appears once; empty identifiers are left out", async () => {
    const outlets = await succeeded(plugin.decodeOutlets(outletsBatch))
    expect(outlets.map((o) => [o.externalId, o.active, o.accountId])).toEqual([
      ["649ad021949cfa36470f9ea9", true, "5b1f3e71c6489f0029a1b2d4"],
      ["65ddbe003110fd505a9e7be4", true, "5b1f3e71c6489f0029a1b2d4"],
      ["65ddbe003110fd505a9e7c11", false, null]
    ])
    // no channelLinkName: the channel link id stands in for a name
    expect(outlets[2]).toEqual(
      outlet({
        externalId: "65ddbe003110fd505a9e7c11",
        name: "65ddbe003110fd505a9e7c11",
        active: false,
        identifiers: { channelLinkId: "65ddbe003110fd505a9e7c11", locationId: "65ddbc11e338f3cb0a8c7002" }
      })
    )
  })

  it("is deterministic", async () => {
    const first = await succeeded(plugin.decodeOutlets(outletsBatch))
    expect(await succeeded(plugin.decodeOutlets(structuredClone(outletsBatch)))).toEqual(first)
  })

  it("rejects one channel link registered under two accounts, naming it", async () => {
    const payload = edited(outletsBatch, [3, "accountId"], "5b1f3e71c6489f0029a1b2ff")
    expect(issuesOf(await failed(plugin.decodeOutlets(payload)))).toEqual([
      {
        path: "[3].channelLinkId",
        message: "channel link 649ad021949cfa36470f9ea9 is also described at [0], differently: one id, two stores"
      }
    ])
  })

  it("rejects one channel link described two ways, naming it", async () => {
    const payload = edited(outletsBatch, [3, "status"], "inactive")
    expect(issuesOf(await failed(plugin.decodeOutlets(payload)))).toEqual([
      {
        path: "[3].channelLinkId",
        message: "channel link 649ad021949cfa36470f9ea9 is also described at [0], differently: one id, two stores"
      }
    ])
  })

  it.each([
    ["null", null, "(root)"],
    ["a number", 7, "(root)"],
    ["an empty list", [], "(root)"],
    ["an unknown status", edited(outletRegister, ["status"], "paused"), "status"],
    ["a registration without its channel link", edited(outletRegister, ["channelLinkId"]), "channelLinkId"],
    ["an empty channel link", edited(outletRegister, ["channelLinkId"], ""), "channelLinkId"],
    ["an accountId that is no string", edited(outletRegister, ["accountId"], 42), "accountId"],
    ["a list with junk", [outletRegister, 3], "[1]"],
    ["a Lightspeed businesses answer", foreignLightspeedBusinesses, "status"]
  ])("rejects %s", async (_name, payload, path) => {
    expect(issuesOf(await failed(plugin.decodeOutlets(payload))).map((issue) => issue.path)).toContain(path)
  })

  it("arbitrary values never make a defect", async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (value) => {
        const result = await outcome(plugin.decodeOutlets(value))
        if (result._tag === "Failure") expect(result.failure._tag).toBe("PayloadRejected")
      }),
      { numRuns: 300 }
    )
  })
})
