import { makeWebhookRequest, PayloadRejected } from "@pos-integration/sdk"
import type { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { credentials, fixtures, notificationRequest, payloads, webhookUrl } from "./fixtures/index.ts"
import plugin from "./index.ts"
import { clone, outcome, prng, rejected } from "./test-support.ts"

const context = { externalOutletId: null, currency: "SGD" } as const
const encoder = new TextEncoder()
const bodyOf = (body: Uint8Array | string) => makeWebhookRequest({ url: webhookUrl, body })

/** Every decoder, fed the same input (webhooks get it as a JSON body). */
type Decode = (input: unknown) => Effect.Effect<unknown, PayloadRejected>
const decoders: ReadonlyArray<readonly [string, Decode]> = [
  ["decodeOutlets", (input) => plugin.decodeOutlets(input)],
  ["decodeCatalog", (input) => plugin.decodeCatalog(input, context)],
  ["decodeWebhook", (input) => plugin.decodeWebhook(bodyOf(JSON.stringify(input) ?? ""))],
  ["webhookOutlet", (input) => plugin.webhookOutlet(bodyOf(JSON.stringify(input) ?? ""))]
]

/** A success, or a PayloadRejected whose every issue has a path and a message: never a defect. */
const expectTyped = async (name: string, make: () => Effect.Effect<unknown, PayloadRejected>) => {
  const result = await outcome(make)
  if (result._tag === "defect") throw new Error(`${name} died: ${result.cause}`)
  if (result._tag === "failure") {
    expect(result.error).toBeInstanceOf(PayloadRejected)
    const issues = (result.error as PayloadRejected).issues
    expect(issues.length).toBeGreaterThan(0)
    for (const issue of issues) {
      expect(issue.path.length).toBeGreaterThan(0)
      expect(issue.message.length).toBeGreaterThan(0)
    }
  }
  return result
}

const junk: ReadonlyArray<unknown> = [
  null,
  undefined,
  0,
  -1,
  Number.NaN,
  "",
  "menu",
  true,
  [],
  [null],
  [1, "two", { three: 3 }],
  {},
  { menuEntryGroups: null },
  { menuEntryGroups: "Mains" },
  { menuEntryGroups: [null] },
  { ikentooMenuId: 1, menuName: "M", menuEntryGroups: [{ "@type": "group", name: "G", menuEntry: [null, 1, "x"] }] },
  { businessList: null },
  { businessList: [{}] },
  { _embedded: null },
  { _embedded: { businessList: [{ businessId: 1 }] } },
  { status: null },
  { status: "SUCCESS", businessLocationId: { id: 1 } }
]

describe("junk never crashes a decoder", () => {
  it("fixed junk is a typed PayloadRejected naming a path", async () => {
    for (const input of junk) {
      for (const [name, decode] of decoders) {
        const result = await expectTyped(name, () => decode(input))
        expect(result._tag, `${name}(${JSON.stringify(input)})`).toBe("failure")
      }
    }
  })

  it("another vendor's payloads are refused", async () => {
    for (const foreign of fixtures.foreignCatalogs) {
      await rejected(plugin.decodeCatalog(foreign.payload, context))
      await rejected(plugin.decodeOutlets(foreign.payload))
    }
    // A Lightspeed menu is no outlet list and an outlet list is no menu.
    await rejected(plugin.decodeOutlets(payloads.menuAllDay))
    await rejected(plugin.decodeCatalog(payloads.businesses, context))
  })

  it("a Deliverect menu is refused at its root, an Atlas menu at its missing keys", async () => {
    expect((await rejected(plugin.decodeCatalog(payloads.deliverectMenu, context))).issues).toEqual([
      { path: "(root)", message: expect.stringMatching(/^expected a JSON object, got \[/) }
    ])
    expect((await rejected(plugin.decodeCatalog(payloads.atlasMenu, context))).issues.map((i) => i.path)).toEqual([
      "ikentooMenuId",
      "menuName",
      "menuEntryGroups"
    ])
  })

  it("truncated objects are refused at the path of what is missing", async () => {
    type Entry = Record<string, unknown>
    const menu = clone(payloads.menuAllDay) as { menuEntryGroups: Array<{ menuEntry: Array<Entry> }> }
    delete menu.menuEntryGroups[0]!.menuEntry[1]!["sku"]
    const salmon = menu.menuEntryGroups[0]!.menuEntry[2]! as { productionInstructionList: Array<Entry> }
    delete salmon.productionInstructionList[0]!["productionIntructionGroupId"]
    delete menu.menuEntryGroups[2]!.menuEntry[0]!["productPrice"]
    expect((await rejected(plugin.decodeCatalog(menu, context))).issues).toEqual([
      { path: "menuEntryGroups[0].menuEntry[1].sku", message: "is required" },
      {
        path: "menuEntryGroups[0].menuEntry[2].productionInstructionList[0].productionIntructionGroupId",
        message: "is required"
      },
      { path: "menuEntryGroups[2].menuEntry[0].productPrice", message: "is required" }
    ])
  })

  it("a production instruction group cut short (no instruction list) is refused; groups live inside their product", async () => {
    // In the K-Series format a product carries its groups inline: it cannot reference a group that
    // is missing from the payload. The closest break is a group whose instructions are cut off.
    const menu = clone(payloads.menuAllDay) as {
      menuEntryGroups: Array<{ menuEntry: Array<{ productionInstructionList?: Array<Record<string, unknown>> }> }>
    }
    delete menu.menuEntryGroups[1]!.menuEntry[0]!.productionInstructionList![0]!["productionInstructionList"]
    expect((await rejected(plugin.decodeCatalog(menu, context))).issues).toEqual([
      {
        path: "menuEntryGroups[1].menuEntry[0].productionInstructionList[0].productionInstructionList",
        message: "is required"
      }
    ])
  })

  it("an unknown @type is refused at its entry", async () => {
    const menu = clone(payloads.menuRamenBar) as {
      menuEntryGroups: Array<{ menuEntry: Array<Record<string, unknown>> }>
    }
    menu.menuEntryGroups[0]!.menuEntry[1]!["@type"] = "menuCombo"
    const error = await rejected(plugin.decodeCatalog(menu, context))
    expect(error.issues[0]?.path).toBe("menuEntryGroups[0].menuEntry[1]")
  })

  it("throwing getters and absurd nesting are typed failures, not defects", async () => {
    const hostile = {
      ikentooMenuId: 1,
      menuName: "M",
      get menuEntryGroups(): never {
        throw new Error("boom")
      }
    }
    for (const [name, decode] of decoders.slice(0, 2)) await expectTyped(name, () => decode(hostile))
    let deep: Record<string, unknown> = { "@type": "menuItem", productName: "X", productPrice: 1, sku: "X" }
    for (let i = 0; i < 20_000; i++) deep = { "@type": "group", id: String(i), name: "G", menuEntry: [deep] }
    await expectTyped("decodeCatalog", () =>
      plugin.decodeCatalog({ ikentooMenuId: 1, menuName: "M", menuEntryGroups: [deep] }, context)
    )
  })

  it("random mutations of every fixture are successes or typed failures (seeded, 600 cases per decoder)", async () => {
    const random = prng(20260315)
    const pick = <T>(items: ReadonlyArray<T>): T => items[Math.floor(random() * items.length)]!
    const junkValue = (): unknown =>
      pick([
        null,
        0,
        -1,
        1.5,
        2 ** 53 + 2,
        "",
        "x",
        "-3.14",
        true,
        [],
        {},
        [null],
        { "@type": "group" },
        "9".repeat(30)
      ])
    const mutate = (value: unknown): unknown => {
      if (value === null || typeof value !== "object") return random() < 0.5 ? junkValue() : value
      const copy: Record<string, unknown> | Array<unknown> = Array.isArray(value) ? [...value] : { ...value }
      const keys = Object.keys(copy)
      if (keys.length === 0) return junkValue()
      const key = pick(keys)
      const roll = random()
      const target = copy as Record<string, unknown>
      if (roll < 0.2) delete target[key]
      else if (roll < 0.4) target[key] = junkValue()
      else target[key] = mutate(target[key])
      return copy
    }
    const samples = [
      payloads.businesses,
      payloads.businessesBare,
      payloads.menuAllDay,
      payloads.menuRamenBar,
      payloads.orderSuccess,
      payloads.orderReady
    ]
    for (let i = 0; i < 600; i++) {
      const input = mutate(mutate(pick(samples)))
      for (const [name, decode] of decoders) await expectTyped(name, () => decode(input))
    }
  })

  it("random bytes and truncated JSON bodies are typed failures", async () => {
    const random = prng(7)
    const text = JSON.stringify(payloads.orderReady)
    for (let i = 0; i < 300; i++) {
      const bytes =
        i % 2 === 0
          ? Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256))
          : encoder.encode(text.slice(0, Math.floor(random() * (text.length - 1))))
      const request = bodyOf(bytes)
      expect((await expectTyped("decodeWebhook", () => plugin.decodeWebhook(request)))._tag).toBe("failure")
      expect((await expectTyped("webhookOutlet", () => plugin.webhookOutlet(request)))._tag).toBe("failure")
      const verified = await outcome(() => plugin.verifyWebhook(notificationRequest(bytes, {}), credentials))
      expect(verified._tag).toBe("failure")
    }
  })
})
