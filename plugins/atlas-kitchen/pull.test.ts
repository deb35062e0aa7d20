import {
  type CatalogSnapshot,
  catalogIssues,
  type MissingCredentials,
  type PayloadRejected,
  type PosCallContext,
  type PosRejected,
  type PosUnavailable,
  type PullFailure
} from "@pos-integration/sdk"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { type FakeAtlas, startFakeAtlas } from "./fake-atlas.ts"
import channelSg from "./fixtures/channel-sg.json" with { type: "json" }
import { accountCredentials, merchantCredentials, outletCredentials, pullFixtures, signed } from "./fixtures/index.ts"
import menuSg2024 from "./fixtures/menu-sg-2024.json" with { type: "json" }
import menuSgMidAutumn from "./fixtures/menu-sg-mid-autumn-2024.json" with { type: "json" }
import menuUpdated from "./fixtures/webhook-menu-updated.json" with { type: "json" }
import plugin from "./index.ts"
import type { AccountCredentials, OutletCredentials } from "./src/credentials.ts"
import { callContext, copy, failure, run } from "./test-support.ts"

const pull = plugin.pull!
const raffles = { externalId: "1", identifiers: { outletId: "1" } }
const dayMs = 24 * 60 * 60 * 1000

/** Noon in Singapore on that date. */
const noonOn = (date: string): number => Date.parse(`${date}T04:00:00Z`)

/** Runs an effect with the clock set to an instant (a test clock: sleeps wait until it is adjusted). */
const atTime = <A, E>(millis: number, effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.gen(function* () {
    yield* TestClock.setTime(millis)
    return yield* effect
  }).pipe(Effect.provide(TestClock.layer()))

/** The day of the fixtures: both Singapore menus are on sale. */
const onFixtureDay = <A, E>(effect: Effect.Effect<A, E>) => atTime(pullFixtures.todayMillis, effect)

let atlas: FakeAtlas

beforeEach(async () => {
  atlas = await startFakeAtlas({ menus: pullFixtures.menus })
})

afterEach(async () => {
  await atlas.close()
})

/** The context the core builds for a pull about merchant 231, its credentials pointing at the fake. */
const context = (
  overrides: Partial<{
    account: AccountCredentials | null
    outlet: OutletCredentials | null
    accountId: string | null
  }> = {}
): PosCallContext<OutletCredentials, AccountCredentials> =>
  callContext({
    outlet: null,
    accountId: overrides.accountId === undefined ? "231" : overrides.accountId,
    credentials: {
      outlet: overrides.outlet === undefined ? null : overrides.outlet,
      account: overrides.account === undefined ? atlas.account : overrides.account
    }
  })

const catalogContext = (overrides: Parameters<typeof context>[0] = {}) => ({ ...context(overrides), outlet: raffles })

const fetchCatalog = (overrides: Parameters<typeof context>[0] = {}) =>
  pull.fetchCatalog(raffles, catalogContext(overrides))

const paths = () => atlas.calls.map((call) => call.path)

/** A push of that menu JSON, as `POST /products/sync?externalOutletId=1` would decode it. */
const pushed = (menu: unknown) => run(plugin.decodeCatalog(menu, { externalOutletId: "1", currency: null }))

/** Every secret of the fixtures and of the fake: none may show in any failure. */
const secrets = [accountCredentials.apiKey, accountCredentials.webhookToken!, outletCredentials.webhookToken]

const expectNoSecret = (error: PullFailure) => {
  const shown = `${JSON.stringify(error)} ${String(error)} ${"reason" in error ? error.reason : ""}`
  for (const secret of secrets) expect(shown).not.toContain(secret)
}

const rejected = async (effect: Effect.Effect<unknown, PullFailure>): Promise<PosRejected> => {
  const error = await failure(effect)
  expectNoSecret(error)
  expect(error._tag).toBe("PosRejected")
  return error as PosRejected
}

const unavailable = async (effect: Effect.Effect<unknown, PullFailure>): Promise<PosUnavailable> => {
  const error = await failure(effect)
  expectNoSecret(error)
  expect(error._tag).toBe("PosUnavailable")
  return error as PosUnavailable
}

const missing = async (effect: Effect.Effect<unknown, PullFailure>): Promise<MissingCredentials> => {
  const error = await failure(effect)
  expectNoSecret(error)
  expect(error._tag).toBe("MissingCredentials")
  return error as MissingCredentials
}

const payloadRejected = async (effect: Effect.Effect<unknown, PullFailure>): Promise<PayloadRejected> => {
  const error = await failure(effect)
  expectNoSecret(error)
  expect(error._tag).toBe("PayloadRejected")
  return error as PayloadRejected
}

describe("fetchOutlets: the merchant's storefront channel", () => {
  it("pulls the outlets a push of the same channel answer decodes to, each with the merchant as its account", async () => {
    const outlets = await run(pull.fetchOutlets(context()))
    const asPushed = await run(plugin.decodeOutlets(channelSg))
    expect(outlets).toEqual(asPushed.map((outlet) => ({ ...outlet, accountId: "231" })))
    expect(outlets.map((o) => o.externalId)).toEqual(pullFixtures.expectedOutletIds)
  })

  it("calls GET /channel with the channel id only: the Admin API key is never sent to the storefront", async () => {
    await run(pull.fetchOutlets(context()))
    expect(atlas.calls).toEqual([
      {
        method: "GET",
        path: "/storefronts/v1/channel",
        apiKey: undefined,
        merchantId: undefined,
        channelId: "atlas-cafe-sg",
        body: ""
      }
    ])
  })

  it("takes the merchant from the credentials when the context names no account", async () => {
    const outlets = await run(pull.fetchOutlets(context({ accountId: null })))
    expect(outlets.every((o) => o.accountId === "231")).toBe(true)
  })

  it("needs the merchant's credentials, and its channel id, before calling anyone", async () => {
    expect(await missing(pull.fetchOutlets(context({ account: null })))).toMatchObject({ level: "account" })
    const { channelId: _, ...noChannel } = atlas.account
    const error = await missing(pull.fetchOutlets(context({ account: noChannel })))
    expect(error.level).toBe("account")
    expect(error.reason).toContain("channelId")
    const other = await missing(pull.fetchOutlets(context({ accountId: "232" })))
    expect(other.reason).toContain("merchant 232")
    expect(atlas.calls).toEqual([])
  })

  it("an unknown channel is refused by Atlas: PosRejected with the status and Atlas's message", async () => {
    const error = await rejected(pull.fetchOutlets(context({ account: { ...atlas.account, channelId: "nope" } })))
    expect(error).toMatchObject({
      status: 404,
      reason: "Atlas GET /channel: answered 404: Not Found: Channel not found"
    })
  })

  it("a channel answer that is not Atlas's format is refused as a push of it would be, under channel", async () => {
    atlas.setChannel({ config: channelSg.config, outlets: [{ id: "one" }] })
    const error = await payloadRejected(pull.fetchOutlets(context()))
    const push = await failure(plugin.decodeOutlets({ config: channelSg.config, outlets: [{ id: "one" }] }))
    expect(error.issues).toEqual(push.issues.map((issue) => ({ ...issue, path: `channel.${issue.path}` })))
  })
})

describe("fetchCatalog: the merchant's menus on sale today", () => {
  it("pulls both menus on sale into one snapshot: each menu as its push decodes, shared objects once", async () => {
    const catalog = await run(onFixtureDay(fetchCatalog()))
    const a = await pushed(menuSg2024)
    const b = await pushed(menuSgMidAutumn)
    const once = <T extends { readonly externalId: string }>(first: ReadonlyArray<T>, second: ReadonlyArray<T>) => [
      ...first,
      ...second.filter((x) => !first.some((y) => y.externalId === x.externalId))
    ]
    const expected: CatalogSnapshot = {
      outletIds: [],
      products: once(a.products, b.products),
      modifierGroups: once(a.modifierGroups, b.modifierGroups),
      modifierOptions: once(a.modifierOptions, b.modifierOptions),
      menus: [...a.menus, ...b.menus],
      callback: null
    }
    expect(catalog).toEqual(expected)
    expect(catalogIssues(catalog)).toEqual([])
    expect({
      outletIds: catalog.outletIds,
      products: catalog.products.length,
      modifierGroups: catalog.modifierGroups.length,
      modifierOptions: catalog.modifierOptions.length,
      menus: catalog.menus.length
    }).toEqual(pullFixtures.expected)
    // The Hash Brown stands on both menus: one product, in a section of each.
    expect(catalog.products.filter((p) => p.externalId === "613")).toHaveLength(1)
  })

  it("authenticates every Admin API call with the merchant's X-Api-Key and X-Merchant-Id", async () => {
    await run(onFixtureDay(fetchCatalog()))
    expect(paths().toSorted()).toEqual(["/admin/v1/menus", "/admin/v1/menus/8921", "/admin/v1/menus/8950"])
    for (const call of atlas.calls) {
      expect(call).toMatchObject({ method: "GET", apiKey: atlas.apiKey, merchantId: "231", channelId: undefined })
    }
  })

  it("with one menu on sale, the catalog is exactly the push of that menu", async () => {
    const catalog = await run(atTime(noonOn("2024-10-15"), fetchCatalog()))
    expect(catalog).toEqual(await pushed(menuSg2024))
    expect(paths()).not.toContain("/admin/v1/menus/8950")
  })

  it("goes by Atlas's calendar (Singapore time): a menu ending on the 30th is on sale until midnight there", async () => {
    const lastMinute = Date.parse("2024-09-30T15:59:00Z")
    const catalog = await run(atTime(lastMinute, fetchCatalog()))
    expect(catalog.menus.map((m) => m.externalId)).toEqual(["8921", "8950"])
    const nextDay = Date.parse("2024-09-30T16:00:00Z")
    const after = await run(atTime(nextDay, fetchCatalog()))
    expect(after.menus.map((m) => m.externalId)).toEqual(["8921"])
  })

  it("fetches neither drafts nor menus out of their dates", async () => {
    const draft = { ...copy(menuSgMidAutumn), id: 8990, state: "draft", start_date: "2024-01-01", end_date: null }
    const expired = { ...copy(menuSgMidAutumn), id: 8991, start_date: "2023-09-01", end_date: "2023-09-30" }
    const future = { ...copy(menuSgMidAutumn), id: 8992, start_date: "2024-12-01", end_date: "2024-12-31" }
    const open = { ...copy(menuSgMidAutumn), id: 8993, name: "Always", start_date: null, end_date: null }
    atlas.setMenus([...pullFixtures.menus, draft, expired, future, open])
    const catalog = await run(onFixtureDay(fetchCatalog()))
    expect(catalog.menus.map((m) => [m.externalId, m.name])).toEqual([
      ["8921", "2024 Menu"],
      ["8950", "Mid-Autumn Specials"],
      ["8993", "Always"]
    ])
    expect(paths().toSorted()).toEqual([
      "/admin/v1/menus",
      "/admin/v1/menus/8921",
      "/admin/v1/menus/8950",
      "/admin/v1/menus/8993"
    ])
  })

  it("answers an empty catalog when no menu is on sale", async () => {
    const catalog = await run(atTime(noonOn("2025-06-01"), fetchCatalog()))
    expect(catalog).toEqual({
      outletIds: [],
      products: [],
      modifierGroups: [],
      modifierOptions: [],
      menus: [],
      callback: null
    })
    expect(paths()).toEqual(["/admin/v1/menus"])
  })

  it("fetches a menu listed twice once", async () => {
    const listed = { ...copy(menuSg2024) }
    atlas.setMenus([menuSg2024, listed])
    const catalog = await run(onFixtureDay(fetchCatalog()))
    expect(catalog.menus.map((m) => m.externalId)).toEqual(["8921"])
    expect(paths().filter((p) => p === "/admin/v1/menus/8921")).toHaveLength(1)
  })

  it("takes the menus on sale on the real clock too (the fake's default menus)", async () => {
    const current = await startFakeAtlas()
    try {
      const catalog = await run(
        pull.fetchCatalog(raffles, {
          ...callContext({ accountId: "231", credentials: { outlet: null, account: current.account } }),
          outlet: raffles
        })
      )
      expect(catalog.menus.map((m) => m.externalId)).toEqual(["8921", "8950"])
      expect(catalog.products).toHaveLength(pullFixtures.expected.products)
    } finally {
      await current.close()
    }
  })
})

describe("fetchCatalog: menus it cannot take", () => {
  it("refuses a menu a push would refuse, with the push's issues under menus[<id>]", async () => {
    const broken = copy(menuSgMidAutumn)
    broken.sections[0]!.products[0]!.price_cents = -750
    atlas.setMenus([menuSg2024, broken])
    const error = await payloadRejected(onFixtureDay(fetchCatalog()))
    const push = await failure(plugin.decodeCatalog(broken, { externalOutletId: "1", currency: null }))
    expect(error.issues).toEqual(push.issues.map((issue) => ({ ...issue, path: `menus[8950].${issue.path}` })))
    expect(error.issues[0]!.path).toBe("menus[8950].sections[0].products[0].price_cents")
  })

  it("refuses one product priced differently on two menus, naming both", async () => {
    const repriced = copy(menuSgMidAutumn)
    repriced.sections[0]!.sub_sections[0]!.products[0]!.price_cents = 400
    atlas.setMenus([menuSg2024, repriced])
    const error = await payloadRejected(onFixtureDay(fetchCatalog()))
    expect(error.issues).toEqual([
      {
        path: "menus[8950].products.613",
        message: "product 613 differs from the product 613 at menus[8921].products.613"
      }
    ])
  })

  it("refuses menus priced in two currencies", async () => {
    const ringgit = copy(menuSgMidAutumn)
    for (const product of ringgit.sections[0]!.products) product.currency = "MYR"
    ringgit.sections[0]!.sub_sections[0]!.products[0]!.currency = "MYR"
    // Alone it decodes (its products agree with each other)...
    await pushed(ringgit)
    atlas.setMenus([menuSg2024, ringgit])
    // ...but not beside a menu priced in SGD.
    const error = await payloadRejected(onFixtureDay(fetchCatalog()))
    expect(error.issues).toContainEqual({ path: "menus[8950]", message: "priced in MYR, not in SGD like menus[8921]" })
  })

  it("refuses a menu list that is not one, naming the path under menuList", async () => {
    atlas.answer("/admin/v1/menus", { json: { object: "menu", items: [{ id: "8921", state: "published" }] } })
    const error = await payloadRejected(onFixtureDay(fetchCatalog()))
    expect(error.issues.map((i) => i.path)).toEqual(["menuList.items[0].id"])
    atlas.answer("/admin/v1/menus", { json: { object: "menu" } })
    expect((await payloadRejected(onFixtureDay(fetchCatalog()))).issues.map((i) => i.path)).toEqual(["menuList.items"])
    atlas.answer("/admin/v1/menus", {
      json: { object: "menu", items: [{ id: 8921, state: "published", end_date: "31/12/2024" }] }
    })
    const date = await payloadRejected(onFixtureDay(fetchCatalog()))
    expect(date.issues).toEqual([
      { path: "menuList.items[0].end_date", message: 'not a YYYY-MM-DD date, got "31/12/2024"' }
    ])
  })

  it("a menu detail answering with another menu is garbage: PosUnavailable", async () => {
    atlas.answer("/admin/v1/menus/8950", { json: menuSg2024 })
    const error = await unavailable(onFixtureDay(fetchCatalog()))
    expect(error.reason).toBe("Atlas GET /menus/8950: answered with another menu")
  })
})

describe("pull errors", () => {
  it("a wrong API key is answered 401: PosRejected with Atlas's message", async () => {
    const error = await rejected(fetchCatalog({ account: { ...atlas.account, apiKey: "not-the-key" } }))
    expect(error).toEqual(
      expect.objectContaining({
        status: 401,
        reason: "Atlas GET /menus: answered 401: Unauthorized: You did not provide valid credentials for this request"
      })
    )
    expect(atlas.calls[0]).toMatchObject({ apiKey: "not-the-key", merchantId: "231" })
  })

  it("the key of another merchant is answered 401 too", async () => {
    const error = await rejected(fetchCatalog({ account: { ...atlas.account, merchantId: "232" }, accountId: "232" }))
    expect(error.status).toBe(401)
  })

  it("a 4xx with field details quotes them", async () => {
    atlas.answer("/admin/v1/menus", {
      status: 422,
      json: {
        type: "Invalid Parameter",
        message: "Request failed due to invalid parameters",
        details: [{ field: "X-Merchant-Id", message: "is not a merchant" }]
      }
    })
    const error = await rejected(fetchCatalog())
    expect(error).toMatchObject({
      status: 422,
      reason:
        "Atlas GET /menus: answered 422: Invalid Parameter: Request failed due to invalid parameters (X-Merchant-Id: is not a merchant)"
    })
  })

  it("a menu the list names but Atlas no longer has is PosRejected 404", async () => {
    atlas.answer("/admin/v1/menus", { json: { object: "menu", items: [{ id: 424242, state: "published" }] } })
    const error = await rejected(onFixtureDay(fetchCatalog()))
    expect(error).toMatchObject({
      status: 404,
      reason: "Atlas GET /menus/424242: answered 404: Not Found: Menu not found"
    })
  })

  it.each([500, 502, 503])("an HTTP %i is PosUnavailable, with Atlas's message when it sent one", async (status) => {
    atlas.answer("/admin/v1/menus/8950", {
      status,
      json: { type: "Server Error", message: "Request not processed", details: [] }
    })
    const error = await unavailable(onFixtureDay(fetchCatalog()))
    expect(error.reason).toBe(`Atlas GET /menus/8950: answered ${status}: Server Error: Request not processed`)
    atlas.answer("/storefronts/v1/channel", { status, text: "<html>Bad gateway</html>" })
    expect((await unavailable(pull.fetchOutlets(context()))).reason).toBe(`Atlas GET /channel: answered ${status}`)
  })

  it("408 and 429 say try later: PosUnavailable, not a refusal", async () => {
    for (const status of [408, 429]) {
      atlas.answer("/admin/v1/menus", { status, json: { type: "Too Many Requests", message: "slow down" } })
      expect((await unavailable(fetchCatalog())).reason).toBe(
        `Atlas GET /menus: answered ${status}: Too Many Requests: slow down`
      )
    }
  })

  it("garbage (HTML, truncated JSON, an empty body) in a 200 is PosUnavailable", async () => {
    for (const text of ["<html><body>maintenance</body></html>", '{"object": "menu", "items": [', ""]) {
      atlas.answer("/admin/v1/menus", { text })
      expect((await unavailable(fetchCatalog())).reason).toBe(
        "Atlas GET /menus: answered 200 with a body that is not JSON"
      )
      atlas.answer("/storefronts/v1/channel", { text })
      expect((await unavailable(pull.fetchOutlets(context()))).reason).toBe(
        "Atlas GET /channel: answered 200 with a body that is not JSON"
      )
    }
  })

  it("a redirect is not followed (it would carry the key elsewhere): PosUnavailable", async () => {
    atlas.answer("/admin/v1/menus", { status: 302, headers: { location: `${atlas.url}/elsewhere/menus` } })
    const error = await unavailable(fetchCatalog())
    expect(error.reason).toContain("answered 302")
    expect(paths()).toEqual(["/admin/v1/menus"])
  })

  it("no answer within 15 seconds is PosUnavailable", async () => {
    atlas.answer("/admin/v1/menus", { hang: true })
    const error = await failure(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(fetchCatalog())
        // Wait (on the real clock) until the fake holds the request, then let 15 s pass on the test clock.
        yield* TestClock.withLive(
          Effect.gen(function* () {
            while (atlas.calls.length === 0) yield* Effect.sleep(5)
          })
        )
        yield* TestClock.adjust(14_999)
        expect(fiber.pollUnsafe()).toBeUndefined()
        yield* TestClock.adjust(1)
        return yield* Fiber.join(fiber)
      }).pipe(Effect.provide(TestClock.layer()))
    )
    expectNoSecret(error)
    expect(error).toMatchObject({ _tag: "PosUnavailable", reason: "Atlas GET /menus: no answer within 15s" })
  })

  it("Atlas out of reach (a closed port) is PosUnavailable", async () => {
    const gone = await startFakeAtlas()
    await gone.close()
    const account = gone.account
    const error = await unavailable(fetchCatalog({ account }))
    expect(error.reason).toMatch(/^Atlas GET \/menus: could not reach Atlas \(/)
    expect(error.reason).not.toContain(gone.url)
    const outlets = await unavailable(pull.fetchOutlets(context({ account })))
    expect(outlets.reason).toMatch(/^Atlas GET \/channel: could not reach Atlas \(/)
  })

  it("missing merchant credentials are MissingCredentials at the account level, before any call", async () => {
    const error = await missing(fetchCatalog({ account: null, outlet: outletCredentials }))
    expect(error).toMatchObject({ level: "account" })
    expect(error.reason).toContain("fetching the outlet's menus from Atlas")
    expect(await missing(fetchCatalog({ accountId: "232" }))).toMatchObject({ level: "account" })
    expect(atlas.calls).toEqual([])
  })

  it("never shows a secret, even when Atlas quotes it back", async () => {
    const key = atlas.apiKey
    const token = accountCredentials.webhookToken!
    atlas.answer("/admin/v1/menus", {
      status: 401,
      json: {
        type: "Unauthorized",
        message: `API key ${key} is not valid`,
        details: [{ field: "X-Api-Key", message: `${key} was revoked; webhook token ${token} too` }]
      }
    })
    const error = await rejected(fetchCatalog())
    expect(error.reason).toBe(
      "Atlas GET /menus: answered 401: Unauthorized: API key [redacted] is not valid (X-Api-Key: [redacted] was revoked; webhook token [redacted] too)"
    )
    atlas.answer("/admin/v1/menus", { status: 503, text: JSON.stringify({ type: "Server Error", message: key }) })
    expect((await unavailable(fetchCatalog())).reason).toBe("Atlas GET /menus: answered 503: Server Error: [redacted]")
  })

  it("quotes at most 300 characters of what Atlas said", async () => {
    atlas.answer("/admin/v1/menus", { status: 400, json: { type: "Bad Request", message: "x".repeat(5000) } })
    const error = await rejected(fetchCatalog())
    expect(error.reason.length).toBeLessThanOrEqual(303)
  })
})

describe("a menu.updated webhook, then the pull it asks for", () => {
  it("names the merchant, whose outlets and catalogs are then pulled", async () => {
    const request = signed(menuUpdated)
    expect(await run(plugin.webhookOutlet(request))).toEqual({ _tag: "Account", accountId: "231" })
    await run(plugin.verifyWebhook(request, merchantCredentials))
    const [event] = await run(plugin.decodeWebhook(request))
    expect(event).toEqual({ _tag: "MenuChanged", externalOutletId: null, accountId: "231" })
    const accountId = event?._tag === "MenuChanged" ? event.accountId : null
    const outlets = await run(pull.fetchOutlets(context({ accountId })))
    const catalogs = await run(
      onFixtureDay(
        Effect.forEach(outlets, (outlet) => {
          const target = { externalId: outlet.externalId, identifiers: outlet.identifiers }
          return pull.fetchCatalog(target, { ...context({ accountId: outlet.accountId }), outlet: target })
        })
      )
    )
    expect(catalogs).toHaveLength(3)
    for (const catalog of catalogs) expect(catalog.menus.map((m) => m.externalId)).toEqual(["8921", "8950"])
  })
})

describe("the fake Atlas", () => {
  it("lists menus as Menu List does: headers without sections", async () => {
    const response = await fetch(`${atlas.adminBaseUrl}/menus`, {
      headers: { "X-Api-Key": atlas.apiKey, "X-Merchant-Id": atlas.merchantId }
    })
    const list = (await response.json()) as { object: string; items: ReadonlyArray<Record<string, unknown>> }
    expect(list.object).toBe("menu")
    expect(list.items[0]).toEqual({
      id: 8921,
      identifier: "atlas-kitchen-2024",
      brand_id: 231,
      start_date: "2024-01-01",
      end_date: "2024-12-31",
      name: "2024 Menu",
      state: "published",
      tag_list: ["all-day"],
      lead_time: null,
      created_at: 1723628097,
      updated_at: 1723780269
    })
  })

  it("re-dates its default menus around the real today", async () => {
    const current = await startFakeAtlas()
    try {
      const response = await fetch(`${current.adminBaseUrl}/menus`, {
        headers: { "X-Api-Key": current.apiKey, "X-Merchant-Id": current.merchantId }
      })
      const list = (await response.json()) as { items: ReadonlyArray<{ start_date: string; end_date: string }> }
      const today = new Date(Date.now() + 8 * 60 * 60 * 1000).toISOString().slice(0, 10)
      const soon = new Date(Date.now() + 8 * 60 * 60 * 1000 + 20 * dayMs).toISOString().slice(0, 10)
      for (const menu of list.items) {
        expect(menu.start_date <= today && today <= menu.end_date).toBe(true)
        expect(soon <= menu.end_date).toBe(true)
      }
    } finally {
      await current.close()
    }
  })
})
