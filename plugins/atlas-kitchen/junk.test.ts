import { makeWebhookRequest } from "@pos-integration/sdk"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import channelSg from "./fixtures/channel-sg.json" with { type: "json" }
import { signed, webhookUrl } from "./fixtures/index.ts"
import menuSg2024 from "./fixtures/menu-sg-2024.json" with { type: "json" }
import orderCreated from "./fixtures/webhook-order-created.json" with { type: "json" }
import plugin from "./index.ts"
import { failure, noContext, outcome, pathsOf } from "./test-support.ts"

const someCredentials = {
  outlet: { webhookToken: "t" },
  account: {
    adminBaseUrl: "https://api.atlas.kitchen/admin/v1",
    storefrontBaseUrl: "https://api.atlas.kitchen/storefronts/v1",
    merchantId: "1",
    apiKey: "k",
    webhookToken: "u"
  }
}

/** A webhook request to the merchant's endpoint with these headers and body. */
const request = (body: Uint8Array | string, headers: Record<string, string> = {}) =>
  makeWebhookRequest({ url: webhookUrl, headers, body })

const junk: ReadonlyArray<readonly [string, unknown]> = [
  ["null", null],
  ["undefined", undefined],
  ["zero", 0],
  ["a number", 42.5],
  ["NaN", Number.NaN],
  ["a string", "menu"],
  ["a boolean", true],
  ["an empty array", []],
  ["an array of junk", [null, 1, "x", { id: 1 }]],
  ["an empty object", {}],
  ["a truncated menu", { id: 8921, name: "2024 Menu", state: "published" }],
  ["a menu with junk sections", { ...menuSg2024, sections: [null, 1, "x"] }],
  ["a truncated channel", { config: {} }],
  ["a channel with junk outlets", { config: channelSg.config, outlets: [{ id: "one" }, null] }]
]

/** Every value of a JSON tree replaced in turn by a junk value: the truncations and corruptions. */
const corruptions = (value: unknown, replacement: unknown): Array<unknown> => {
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => [
      value.filter((_, j) => j !== i),
      ...corruptions(item, replacement).map((changed) => value.map((v, j) => (j === i ? changed : v)))
    ])
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
    return entries.flatMap(([key, item]) => [
      Object.fromEntries(entries.filter(([k]) => k !== key)),
      ...corruptions(item, replacement).map((changed) => ({ ...value, [key]: changed }))
    ])
  }
  return [replacement]
}

describe("junk never crashes a decoder", () => {
  it.each(junk)("%s is a PayloadRejected for every decoder", async (_, payload) => {
    expect(await outcome(plugin.decodeCatalog(payload, noContext))).toBe("PayloadRejected")
    expect(await outcome(plugin.decodeOutlets(payload))).toBe("PayloadRejected")
    const junkRequest = request(JSON.stringify(payload) ?? "")
    expect(await outcome(plugin.decodeWebhook(junkRequest))).toBe("PayloadRejected")
    expect(await outcome(plugin.webhookOutlet(junkRequest))).toBe("PayloadRejected")
  })

  it("names the path of the problem", async () => {
    const rejected = await failure(plugin.decodeCatalog({ ...menuSg2024, sections: [null] }, noContext))
    expect(pathsOf(rejected)).toEqual(["sections[0]"])
  })

  it("every truncation or corruption of the menu fixture is a typed outcome, never a defect", async () => {
    const variants = [...corruptions(menuSg2024, null), ...corruptions(menuSg2024, -1).slice(0, 400)]
    expect(variants.length).toBeGreaterThan(500)
    for (const variant of variants) {
      expect(["success", "PayloadRejected"]).toContain(await outcome(plugin.decodeCatalog(variant, noContext)))
    }
  })

  it("every truncation or corruption of the channel fixture is a typed outcome, never a defect", async () => {
    for (const variant of [...corruptions(channelSg, null), ...corruptions(channelSg, "x")]) {
      expect(["success", "PayloadRejected"]).toContain(await outcome(plugin.decodeOutlets(variant)))
    }
  })

  it("every corruption of an order webhook is a typed outcome, never a defect", async () => {
    for (const variant of corruptions(orderCreated, 1e300)) {
      expect(["success", "PayloadRejected"]).toContain(await outcome(plugin.decodeWebhook(signed(variant))))
      expect(["success", "PayloadRejected"]).toContain(await outcome(plugin.webhookOutlet(signed(variant))))
    }
  })

  // Any value as header text; String() itself throws on objects such as {"toString": 0}.
  const headerText = (value: unknown): string => {
    try {
      return String(value)
    } catch {
      return "[unprintable]"
    }
  }

  it("arbitrary values and bytes give typed outcomes only", async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), fc.uint8Array(), async (value, bytes) => {
        const outcomes = [
          await outcome(plugin.decodeCatalog(value, noContext)),
          await outcome(plugin.decodeOutlets(value)),
          await outcome(plugin.decodeWebhook(request(bytes))),
          await outcome(plugin.webhookOutlet(request(bytes))),
          await outcome(plugin.verifyWebhook(request(bytes, { authorization: headerText(value) }), someCredentials))
        ]
        return outcomes.every((o) => o !== "defect")
      }),
      { numRuns: 300 }
    )
  })
})
