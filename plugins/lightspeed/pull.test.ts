import {
  type CallOutlet,
  type CatalogSnapshot,
  catalogIssues,
  type CredentialVault,
  MissingCredentials,
  PayloadRejected,
  type PosCallContext,
  PosRejected,
  PosUnavailable,
  type PullFailure
} from "@pos-integration/sdk"
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { type FakeLightspeed, type FakeLightspeedOptions, startFakeLightspeed } from "./fake-lightspeed.ts"
import { payloads } from "./fixtures/index.ts"
import plugin, { type AccountCredentials, makePull, type OutletCredentials } from "./index.ts"
import { clone, fail, fetchHttp, memoryVault, outcome, succeed } from "./test-support.ts"

const clientId = "pos-integration-test"
const clientSecret = "cs-9d2f7e1a-very-secret"
const firstRefresh = "rt-initial-6b1e90aa"
const liveAccess = "at-live-0c4d77f1"

const kopi = "454335871"
const brasserie = "454335912"
const rafflesPlace = "45454565682155"
const saintGermain = "247158188015618"

const pull = plugin.pull!
const started: Array<FakeLightspeed> = []

afterEach(async () => {
  await Promise.all(started.splice(0).map((fake) => fake.close()))
})

const start = async (options: Partial<FakeLightspeedOptions> = {}) => {
  const fake = await startFakeLightspeed({
    clientId,
    clientSecret,
    refreshToken: firstRefresh,
    accessTokens: [liveAccess],
    businesses: payloads.businesses,
    menus: { [rafflesPlace]: [payloads.menuAllDay, payloads.menuHappyHour], [saintGermain]: [] },
    ...options
  })
  started.push(fake)
  return fake
}

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString()

/** The business's credentials as an operator set them, pointed at the fake. */
const accountOf = (fake: FakeLightspeed, overrides: Partial<AccountCredentials> = {}): AccountCredentials => ({
  apiBaseUrl: fake.url,
  clientId,
  clientSecret,
  refreshToken: firstRefresh,
  accessToken: liveAccess,
  accessTokenExpiresAt: inMinutes(50),
  ...overrides
})

const outletVault = memoryVault<OutletCredentials>({}, "outlet").vault

const contextOf = (
  account: AccountCredentials | null,
  vault: CredentialVault<AccountCredentials>,
  options: { readonly accountId?: string | null; readonly outlet?: CallOutlet | null } = {}
): PosCallContext<OutletCredentials, AccountCredentials> => ({
  outlet: options.outlet ?? null,
  accountId: options.accountId === undefined ? kopi : options.accountId,
  credentials: { outlet: {}, account },
  vault: { outlet: outletVault, account: vault },
  http: fetchHttp
})

/** A fake and a context whose stored credentials are those given. */
const setup = async (options: Partial<FakeLightspeedOptions> = {}, overrides: Partial<AccountCredentials> = {}) => {
  const fake = await start(options)
  const account = accountOf(fake, overrides)
  const store = memoryVault<AccountCredentials>(account)
  return { fake, account, store, context: contextOf(account, store.vault) }
}

const location = (externalId: string): CallOutlet => ({
  externalId,
  identifiers: { blID: externalId, businessId: kopi }
})

/** Every secret the fake and the credentials ever held: none may appear in an error. */
const secretsOf = (fake: FakeLightspeed) => [
  clientSecret,
  firstRefresh,
  liveAccess,
  fake.refreshToken(),
  ...fake.calls.flatMap((call) => [call.bearer ?? clientSecret, call.form?.["refresh_token"] ?? clientSecret])
]

/** The typed failure of a pull, checked to carry no secret in its message, its JSON or its text. */
const failure = async <A, E>(fake: FakeLightspeed, effect: Effect.Effect<A, E>): Promise<E> => {
  const error = await fail(effect)
  for (const secret of secretsOf(fake)) {
    expect(JSON.stringify(error)).not.toContain(secret)
    expect(String(error)).not.toContain(secret)
    expect(error instanceof Error ? (error.stack ?? "") : "").not.toContain(secret)
  }
  return error
}

const calls = (fake: FakeLightspeed) => fake.calls.map((call) => `${call.method} ${call.path} ${call.status}`)

describe("pull: outlets", () => {
  it("lists the business's locations, mapped exactly as a pushed businesses answer", async () => {
    const { fake, context } = await setup()
    const pushed = await succeed(plugin.decodeOutlets(payloads.businesses))
    const pulled = await succeed(pull.fetchOutlets(context))
    expect(pulled).toEqual(pushed.filter((outlet) => outlet.accountId === kopi))
    expect(pulled.map((outlet) => outlet.externalId)).toEqual([rafflesPlace, "45454565682201", "9007199254740993"])
    expect(pulled.every((outlet) => outlet.accountId === kopi)).toBe(true)
    expect(fake.calls).toEqual([
      { method: "GET", path: "/f/data/businesses", query: {}, bearer: liveAccess, form: null, status: 200 }
    ])
  })

  it("lists another business's locations when the context names it, every business's when it names none", async () => {
    const { store, fake } = await setup()
    const account = accountOf(fake)
    const other = await succeed(pull.fetchOutlets(contextOf(account, store.vault, { accountId: brasserie })))
    expect(other.map((outlet) => [outlet.externalId, outlet.accountId, outlet.currency])).toEqual([
      [saintGermain, brasserie, "EUR"]
    ])
    const all = await succeed(pull.fetchOutlets(contextOf(account, store.vault, { accountId: null })))
    expect(all).toEqual(await succeed(plugin.decodeOutlets(payloads.businesses)))
  })

  it("answers no outlets for a business without locations, and refuses a business the token does not reach", async () => {
    const { fake, context } = await setup()
    const withEmpty = clone(payloads.businesses)
    withEmpty._embedded.businessList[0]!.businessLocations = []
    fake.setBusinesses(withEmpty)
    expect(await succeed(pull.fetchOutlets(context))).toEqual([])
    const error = await failure(
      fake,
      pull.fetchOutlets(contextOf(accountOf(fake), memoryVault(accountOf(fake)).vault, { accountId: "999" }))
    )
    expect(error).toBeInstanceOf(PosRejected)
    expect(error).toMatchObject({ status: null, reason: expect.stringContaining("business 999") })
  })

  it("reads the bare businessList as well as the HAL answer", async () => {
    const { context, store, fake } = await setup({ businesses: payloads.businessesBare })
    expect(await failure(fake, pull.fetchOutlets(context))).toBeInstanceOf(PosRejected)
    const ramen = await succeed(pull.fetchOutlets(contextOf(accountOf(fake), store.vault, { accountId: "454336001" })))
    expect(ramen).toEqual(await succeed(plugin.decodeOutlets(payloads.businessesBare)))
  })
})

describe("pull: catalog", () => {
  const pushOf = (payload: unknown, currency: string) =>
    succeed(plugin.decodeCatalog(payload, { externalOutletId: rafflesPlace, currency }))

  it("decodes a location's only menu exactly as a push of the same menu load", async () => {
    const { fake, context } = await setup({ menus: { [rafflesPlace]: [payloads.menuAllDay] } })
    const pulled = await succeed(pull.fetchCatalog(location(rafflesPlace), context))
    expect(pulled).toEqual(await pushOf(payloads.menuAllDay, "SGD"))
    expect(fake.calls.map((call) => [call.method, call.path, call.query, call.bearer])).toEqual([
      ["GET", "/f/data/businesses", {}, liveAccess],
      ["GET", "/o/op/1/menu/list", { businessLocationId: rafflesPlace }, liveAccess],
      [
        "GET",
        "/o/op/1/menu/load/141948669132851",
        { businessLocationId: rafflesPlace, richContent: "true" },
        liveAccess
      ]
    ])
  })

  it("merges several menus into one snapshot: each menu its own, shared products once, invariants held", async () => {
    const { context } = await setup()
    const pulled = await succeed(pull.fetchCatalog(location(rafflesPlace), context))
    const allDay = await pushOf(payloads.menuAllDay, "SGD")
    const happyHour = await pushOf(payloads.menuHappyHour, "SGD")
    expect(catalogIssues(pulled)).toEqual([])
    expect(pulled.menus).toEqual([...allDay.menus, ...happyHour.menus])
    const union = <T extends { readonly externalId: string }>(a: ReadonlyArray<T>, b: ReadonlyArray<T>) => [
      ...a,
      ...b.filter((item) => !a.some((seen) => seen.externalId === item.externalId))
    ]
    expect(pulled.products).toEqual(union(allDay.products, happyHour.products))
    expect(pulled.modifierGroups).toEqual(union(allDay.modifierGroups, happyHour.modifierGroups))
    expect(pulled.modifierOptions).toEqual(union(allDay.modifierOptions, happyHour.modifierOptions))
    // Flat White (51) and Iced Latte (55) stand in both menus: one product each, in two menus' sections.
    expect(pulled.products.filter((product) => product.externalId === "51")).toHaveLength(1)
    expect(pulled.products.map((product) => product.externalId)).toContain("57")
    expect(pulled).toMatchObject({ outletIds: [], callback: null })
  })

  it("prices in the location's business currency, as the outlet sync records it", async () => {
    const ramenBar = "141948669832802"
    const { fake, store } = await setup({
      businesses: payloads.businessesBare,
      menus: { [ramenBar]: [payloads.menuRamenBar] }
    })
    const pulled = await succeed(
      pull.fetchCatalog(location(ramenBar), contextOf(accountOf(fake), store.vault, { accountId: "454336001" }))
    )
    expect(pulled).toEqual(
      await succeed(plugin.decodeCatalog(payloads.menuRamenBar, { externalOutletId: ramenBar, currency: "JPY" }))
    )
    expect(pulled.products[0]?.price).toBe(1200)
  })

  it("answers an empty catalog for a location without menus", async () => {
    const { context } = await setup()
    const empty: CatalogSnapshot = {
      outletIds: [],
      products: [],
      modifierGroups: [],
      modifierOptions: [],
      menus: [],
      callback: null
    }
    expect(
      await succeed(
        pull.fetchCatalog(location(saintGermain), { ...context, accountId: brasserie, outlet: location(saintGermain) })
      )
    ).toEqual(empty)
  })

  it("loads a menu listed twice once", async () => {
    const { fake, context } = await setup({
      menus: { [rafflesPlace]: [payloads.menuAllDay, payloads.menuAllDay] }
    })
    const pulled = await succeed(pull.fetchCatalog(location(rafflesPlace), context))
    expect(pulled.menus.map((menu) => menu.externalId)).toEqual(["141948669132851"])
    expect(fake.calls.filter((call) => call.path.startsWith("/o/op/1/menu/load/"))).toHaveLength(1)
  })

  it("refuses one SKU describing two different products in two menus, naming both places", async () => {
    const happyHour = clone(payloads.menuHappyHour)
    happyHour.menuEntryGroups[0]!.menuEntry[0]!.productPrice = 4.5
    const { fake, context } = await setup({ menus: { [rafflesPlace]: [payloads.menuAllDay, happyHour] } })
    const error = (await failure(fake, pull.fetchCatalog(location(rafflesPlace), context))) as PayloadRejected
    expect(error).toBeInstanceOf(PayloadRejected)
    expect(error.issues[0]?.path).toBe("menus.141948669132907.menuEntryGroups[0].menuEntry[0].sku")
    expect(error.issues[0]?.message).toContain('sku "51"')
    expect(error.issues[0]?.message).toContain("menus.141948669132851.menuEntryGroups[1].menuEntry[0].sku")
  })

  it("refuses two menu loads answering one menu id", async () => {
    const { fake, context } = await setup()
    // The list names the happy hour menu, whose load answers the all-day menu's id.
    const impostor = { ...clone(payloads.menuHappyHour), ikentooMenuId: 141948669132851 }
    fake.fail("/o/op/1/menu/load/141948669132907", { status: 200, body: JSON.stringify(impostor) })
    const error = (await failure(fake, pull.fetchCatalog(location(rafflesPlace), context))) as PayloadRejected
    expect(error).toBeInstanceOf(PayloadRejected)
    expect(error.issues[0]?.path).toBe("menus.141948669132907.ikentooMenuId")
    expect(error.issues[0]?.message).toContain("menus.141948669132851.ikentooMenuId")
  })

  it("refuses an undecodable menu load, naming the path inside that menu", async () => {
    const broken = clone(payloads.menuHappyHour) as { menuEntryGroups: Array<Record<string, unknown>> }
    delete broken.menuEntryGroups[0]!["name"]
    const { fake, context } = await setup({ menus: { [rafflesPlace]: [payloads.menuAllDay, broken] } })
    const error = (await failure(fake, pull.fetchCatalog(location(rafflesPlace), context))) as PayloadRejected
    expect(error.issues).toEqual([{ path: "menus.141948669132907.menuEntryGroups[0].name", message: "is required" }])
  })

  it("converts the tax percentage exactly to parts per million, and refuses more than 4 decimals by its path", async () => {
    const taxed = (percentage: unknown) => {
      const menu = clone(payloads.menuHappyHour) as { menuEntryGroups: Array<{ menuEntry: Array<unknown> }> }
      ;(menu.menuEntryGroups[0]!.menuEntry[2] as Record<string, unknown>)["defaultTaxPercentage"] = percentage
      return menu
    }
    const { fake, context } = await setup({ menus: { [rafflesPlace]: [taxed(8.875)] } })
    const pulled = await succeed(pull.fetchCatalog(location(rafflesPlace), context))
    expect(pulled.products.find((product) => product.externalId === "57")?.taxRatePpm).toBe(88750)
    fake.setMenus(rafflesPlace, [taxed(9.97501)])
    const error = (await failure(fake, pull.fetchCatalog(location(rafflesPlace), context))) as PayloadRejected
    expect(error.issues).toEqual([
      {
        path: "menus.141948669132907.menuEntryGroups[0].menuEntry[2].defaultTaxPercentage",
        message: expect.stringContaining("more than 4 decimals")
      }
    ])
  })

  it("refuses a menu list that is not one, naming the path", async () => {
    const { fake, context } = await setup()
    fake.fail("/o/op/1/menu/list", { status: 200, body: JSON.stringify([{ menuName: "Lunch", ikentooMenuId: "x1" }]) })
    const error = (await failure(fake, pull.fetchCatalog(location(rafflesPlace), context))) as PayloadRejected
    expect(error).toBeInstanceOf(PayloadRejected)
    expect(error.issues[0]?.path).toBe("menuList[0].ikentooMenuId")
  })

  it("refuses a location the credentials do not reach, before asking for its menus", async () => {
    const { fake, context } = await setup()
    const elsewhere = await failure(fake, pull.fetchCatalog(location("123456"), context))
    expect(elsewhere).toMatchObject({ _tag: "PosRejected", status: null })
    // A location of another business than the one the context names.
    const otherBusiness = await failure(fake, pull.fetchCatalog(location(saintGermain), context))
    expect(otherBusiness).toMatchObject({ _tag: "PosRejected", status: null })
    expect(fake.calls.every((call) => call.path === "/f/data/businesses")).toBe(true)
  })
})

describe("pull: access tokens", () => {
  it("refreshes an expired access token first, stores the rotated tokens, and uses the new one", async () => {
    const { fake, store, context } = await setup(
      { accessTokens: [] },
      { accessToken: "at-expired-1f2e", accessTokenExpiresAt: inMinutes(-5) }
    )
    const before = Date.now()
    await succeed(pull.fetchOutlets(context))
    expect(calls(fake)).toEqual(["POST /oauth/token 200", "GET /f/data/businesses 200"])
    const [refresh, read] = fake.calls
    expect(refresh?.form).toEqual({ grant_type: "refresh_token", refresh_token: firstRefresh })
    expect(refresh?.bearer).toBeNull()
    const stored = store.current()!
    expect(stored.refreshToken).toBe(fake.refreshToken())
    expect(stored.refreshToken).not.toBe(firstRefresh)
    expect(stored.accessToken).toBe(read?.bearer)
    const expiresAt = Date.parse(stored.accessTokenExpiresAt!)
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3_600_000)
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000)
    // Everything else is kept as it was.
    expect({ ...stored, refreshToken: "", accessToken: "", accessTokenExpiresAt: "" }).toEqual({
      ...accountOf(fake),
      refreshToken: "",
      accessToken: "",
      accessTokenExpiresAt: ""
    })
    // The next pull starts from the stored credentials and spends nothing.
    await succeed(pull.fetchOutlets(contextOf(stored, store.vault)))
    expect(fake.refreshes()).toBe(1)
  })

  it("refreshes a token expiring within a minute, or none at all, and keeps one that has time left", async () => {
    const soon = await setup({}, { accessTokenExpiresAt: inMinutes(0.5) })
    await succeed(pull.fetchOutlets(soon.context))
    expect(calls(soon.fake)[0]).toBe("POST /oauth/token 200")
    const { accessToken: _, accessTokenExpiresAt: __, ...bare } = accountOf(soon.fake)
    const none = await start()
    const noToken = { ...bare, apiBaseUrl: none.url }
    await succeed(pull.fetchOutlets(contextOf(noToken, memoryVault(noToken).vault)))
    expect(calls(none)).toEqual(["POST /oauth/token 200", "GET /f/data/businesses 200"])
    const later = await setup({}, { accessTokenExpiresAt: inMinutes(2) })
    await succeed(pull.fetchOutlets(later.context))
    expect(calls(later.fake)).toEqual(["GET /f/data/businesses 200"])
  })

  it("keeps the renewed token for the rest of one pull: a catalog of two menus refreshes once", async () => {
    const { fake, context } = await setup({ accessTokens: [] }, { accessTokenExpiresAt: inMinutes(-1) })
    await succeed(pull.fetchCatalog(location(rafflesPlace), context))
    expect(calls(fake)).toEqual([
      "POST /oauth/token 200",
      "GET /f/data/businesses 200",
      "GET /o/op/1/menu/list 200",
      "GET /o/op/1/menu/load/141948669132851 200",
      "GET /o/op/1/menu/load/141948669132907 200"
    ])
  })

  it("two concurrent pulls sharing one vault spend the refresh token once", async () => {
    const { fake, store, context } = await setup(
      { accessTokens: [], tokenDelayMs: 150 },
      { accessTokenExpiresAt: inMinutes(-1) }
    )
    const [outlets, catalog] = await succeed(
      Effect.all([pull.fetchOutlets(context), pull.fetchCatalog(location(rafflesPlace), context)], {
        concurrency: "unbounded"
      })
    )
    expect(outlets).toHaveLength(3)
    expect(catalog.menus).toHaveLength(2)
    expect(fake.refreshes()).toBe(1)
    expect(fake.calls.filter((call) => call.path === "/oauth/token")).toHaveLength(1)
    expect(store.rotations()).toBe(2)
    expect(store.current()?.refreshToken).toBe(fake.refreshToken())
    const bearers = new Set(fake.calls.flatMap((call) => (call.bearer === null ? [] : [call.bearer])))
    expect([...bearers]).toEqual([store.current()?.accessToken])
  })

  it("without the vault's lock both would spend it, and Lightspeed refuses the second (the lock is what holds)", async () => {
    const { fake, account } = await setup(
      { accessTokens: [], tokenDelayMs: 150 },
      { accessTokenExpiresAt: inMinutes(-1) }
    )
    let stored = account
    const unlocked: CredentialVault<AccountCredentials> = {
      save: (credentials) =>
        Effect.sync(() => {
          stored = credentials
        }),
      rotate: (use) =>
        Effect.map(use(stored), (rotated) => {
          stored = rotated.credentials
          return rotated.value
        })
    }
    const context = contextOf(account, unlocked)
    const results = await Promise.all([
      outcome(() => pull.fetchOutlets(context)),
      outcome(() => pull.fetchOutlets(context))
    ])
    expect(results.map((result) => result._tag).sort()).toEqual(["failure", "success"])
    expect(results.find((result) => result._tag === "failure")).toMatchObject({
      error: { _tag: "MissingCredentials", reason: expect.stringContaining("invalid_grant") }
    })
    expect(fake.refreshes()).toBe(1)
    expect(
      fake.calls
        .filter((call) => call.path === "/oauth/token")
        .map((call) => call.status)
        .sort()
    ).toEqual([200, 400])
  })

  it("a 401 renews the token and retries the call once", async () => {
    const { fake, store, context } = await setup()
    fake.revokeAccessTokens()
    const outlets = await succeed(pull.fetchOutlets(context))
    expect(outlets).toHaveLength(3)
    expect(calls(fake)).toEqual(["GET /f/data/businesses 401", "POST /oauth/token 200", "GET /f/data/businesses 200"])
    expect(fake.calls[0]?.bearer).toBe(liveAccess)
    expect(fake.calls[2]?.bearer).toBe(store.current()?.accessToken)
    expect(store.current()?.refreshToken).toBe(fake.refreshToken())
  })

  it("a 401 after another instance renewed the token takes the stored one, spending nothing", async () => {
    // This instance holds a token Lightspeed no longer takes; another instance renews through the shared vault.
    const fake = await start({ accessTokens: [] })
    const { accessToken: _, accessTokenExpiresAt: __, ...withoutToken } = accountOf(fake)
    const store = memoryVault<AccountCredentials>(withoutToken)
    const context = contextOf(accountOf(fake), store.vault)
    await succeed(pull.fetchOutlets(contextOf(withoutToken, store.vault)))
    expect(fake.refreshes()).toBe(1)
    const renewed = store.current()?.accessToken
    await succeed(pull.fetchOutlets(context))
    expect(calls(fake)).toEqual([
      "POST /oauth/token 200",
      "GET /f/data/businesses 200",
      "GET /f/data/businesses 401",
      "GET /f/data/businesses 200"
    ])
    expect(fake.calls.map((call) => call.bearer)).toEqual([null, renewed, liveAccess, renewed])
    expect(fake.refreshes()).toBe(1)
  })

  it("a second 401 is PosRejected: renewed once, retried once, no more", async () => {
    const { fake, context } = await setup()
    fake.fail("/f/data/businesses", { status: 401 }, 2)
    const error = await failure(fake, pull.fetchOutlets(context))
    expect(error).toBeInstanceOf(PosRejected)
    expect(error).toMatchObject({ status: 401 })
    expect(calls(fake)).toEqual(["GET /f/data/businesses 401", "POST /oauth/token 200", "GET /f/data/businesses 401"])
  })

  it("a spent (reused) refresh token is refused by Lightspeed: MissingCredentials, nothing stored", async () => {
    const { fake, store, context } = await setup(
      { refreshToken: "rt-newer-than-ours", accessTokens: [] },
      { accessTokenExpiresAt: inMinutes(-1) }
    )
    const before = store.current()
    const error = await failure(fake, pull.fetchOutlets(context))
    expect(error).toBeInstanceOf(MissingCredentials)
    expect(error).toMatchObject({ level: "account", reason: expect.stringContaining("invalid_grant") })
    expect(calls(fake)).toEqual(["POST /oauth/token 400"])
    expect(store.current()).toBe(before)
  })

  it("a wrong client secret is MissingCredentials too (401 invalid_client)", async () => {
    const { fake, context } = await setup(
      { accessTokens: [] },
      { accessTokenExpiresAt: inMinutes(-1), clientSecret: "cs-wrong-secret-123" }
    )
    const error = await failure(fake, pull.fetchOutlets(context))
    expect(error).toMatchObject({ _tag: "MissingCredentials", level: "account" })
    expect(JSON.stringify(error)).not.toContain("cs-wrong-secret-123")
    expect(fake.refreshToken()).toBe(firstRefresh)
  })

  it("a token endpoint that fails or answers garbage leaves the stored credentials alone", async () => {
    for (const fault of [
      { status: 503 },
      { _tag: "garbage" } as const,
      { status: 200, body: '{"access_token":"at-x"}' }
    ]) {
      const { fake, store, context } = await setup({ accessTokens: [] }, { accessTokenExpiresAt: inMinutes(-1) })
      fake.fail("/oauth/token", fault)
      const before = store.current()
      const error = await failure(fake, pull.fetchOutlets(context))
      if ("status" in fault && fault.status === 200) {
        expect(error).toBeInstanceOf(PayloadRejected)
        expect((error as PayloadRejected).issues[0]?.path).toBe("refresh_token")
      } else expect(error).toBeInstanceOf(PosUnavailable)
      expect(store.current()).toBe(before)
      expect(calls(fake)).toHaveLength(1)
    }
  })
})

describe("pull: failures", () => {
  it("missing account credentials are MissingCredentials, before any call", async () => {
    const fake = await start()
    const context = contextOf(null, memoryVault<AccountCredentials>(null).vault)
    const pulls: ReadonlyArray<Effect.Effect<unknown, PullFailure>> = [
      pull.fetchOutlets(context),
      pull.fetchCatalog(location(rafflesPlace), context)
    ]
    for (const effect of pulls) {
      const error = await failure(fake, effect)
      expect(error).toBeInstanceOf(MissingCredentials)
      expect(error).toMatchObject({ level: "account" })
    }
    expect(fake.calls).toEqual([])
  })

  it.each([500, 502, 503, 504, 429])("an HTTP %i answer is PosUnavailable", async (status) => {
    const { fake, context } = await setup()
    fake.fail("/o/op/1/menu/load/", { status })
    const error = await failure(fake, pull.fetchCatalog(location(rafflesPlace), context))
    expect(error).toBeInstanceOf(PosUnavailable)
    expect((error as PosUnavailable).reason).toBe(
      `Lightspeed GET /o/op/1/menu/load/141948669132851 answered HTTP ${status}`
    )
  })

  it.each([400, 403, 404, 409, 422])("an HTTP %i answer is PosRejected with the status", async (status) => {
    const { fake, context } = await setup()
    fake.fail("/f/data/businesses", { status })
    const error = await failure(fake, pull.fetchOutlets(context))
    expect(error).toBeInstanceOf(PosRejected)
    expect(error).toMatchObject({ status, reason: `Lightspeed GET /f/data/businesses answered HTTP ${status}` })
    expect(fake.refreshes()).toBe(0)
  })

  it("a location Lightspeed does not know (404 on its menu list) is PosRejected 404", async () => {
    const { fake, context } = await setup({ menus: {} })
    const error = await failure(fake, pull.fetchCatalog(location(rafflesPlace), context))
    expect(error).toMatchObject({ _tag: "PosRejected", status: 404 })
  })

  it("a body that is not JSON is PosUnavailable; JSON of another shape is PayloadRejected with the path", async () => {
    const { fake, context } = await setup()
    fake.fail("/f/data/businesses", { _tag: "garbage" })
    expect(await failure(fake, pull.fetchOutlets(context))).toMatchObject({
      _tag: "PosUnavailable",
      reason: "Lightspeed GET /f/data/businesses answered HTTP 200 with a body that is not JSON"
    })
    fake.fail("/f/data/businesses", { status: 200, body: '{"_embedded":{"businessList":[{"businessId":1}]}}' })
    const error = (await failure(fake, pull.fetchOutlets(context))) as PayloadRejected
    expect(error).toBeInstanceOf(PayloadRejected)
    expect(error.issues[0]?.path).toBe("_embedded.businessList[0].businessLocations")
  })

  it("an answer that never comes is PosUnavailable after the timeout; so is a cut connection", async () => {
    const { fake, context } = await setup()
    const quick = makePull({ timeout: "300 millis" })
    fake.fail("/o/op/1/menu/list", { _tag: "hang" })
    const started = Date.now()
    expect(await failure(fake, quick.fetchCatalog(location(rafflesPlace), context))).toMatchObject({
      _tag: "PosUnavailable",
      reason: "Lightspeed GET /o/op/1/menu/list: no answer in time"
    })
    expect(Date.now() - started).toBeLessThan(5_000)
    fake.fail("/f/data/businesses", { _tag: "reset" })
    expect(await failure(fake, quick.fetchOutlets(context))).toBeInstanceOf(PosUnavailable)
  })

  it("an API nobody listens on is PosUnavailable", async () => {
    const fake = await start()
    const url = fake.url
    await fake.close()
    started.splice(started.indexOf(fake), 1)
    const account = { ...accountOf(fake), apiBaseUrl: url }
    const error = await failure(fake, pull.fetchOutlets(contextOf(account, memoryVault(account).vault)))
    expect(error).toBeInstanceOf(PosUnavailable)
  })
})
