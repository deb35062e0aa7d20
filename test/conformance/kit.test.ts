/**
 * The kit's own tests: each check passes on TinyPOS (the example plugin) and fails, naming the
 * problem, on a TinyPOS broken on purpose, so that no check of the kit passes whatever the plugin does.
 */
import {
  concatBytes,
  hmac,
  MissingCredentials,
  makeWebhookRequest,
  PosRejected,
  PosUnavailable,
  verifyHmac,
  type WebhookRequest,
  WebhookRejected,
  webhookHeader
} from "@pos-integration/sdk"
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import tinyPos from "../fixtures/example-plugin/index.ts"
import { memoryVault, testCallContext } from "./call-context.ts"
import { canaryCredentials, credentialStrings, leaked, rebaseUrl, sameShape, secretsOf } from "./canary.ts"
import { checkOutboundLeaks, checkWebhookLeaks, orderTarget } from "./leak-checks.ts"
import { cancelAnswers, checkCancel, checkSubmit, requireOrderFixture, submitAnswers } from "./order-checks.ts"
import { checkPull, checkPullDeadServer, checkPullWithoutCredentials } from "./pull-checks.ts"
import { observe } from "./run.ts"
import { credentials, fixtures as tinyPosFixtures, webhook } from "../fixtures/example-plugin/fixtures/index.ts"
import { answeringServer } from "./servers.ts"
import { checkAuthenticWebhook, checkForgedWebhook, checkJunkRequests, checkWebhookUrl } from "./webhook-checks.ts"

type Plugin = typeof tinyPos
const pull = tinyPos.pull!
const pullFixture = tinyPosFixtures.pull!
const soldOut = tinyPosFixtures.webhooks[0]!
const schemas = { outlet: tinyPos.credentials.outlet, account: tinyPos.credentials.account }

const withPull = (changes: Partial<NonNullable<Plugin["pull"]>>): Plugin => ({
  ...tinyPos,
  pull: { ...pull, ...changes }
})

const outboundAgainst401 = async (plugin: Plugin) => {
  const server = await answeringServer(401, '{"error":"unauthorized"}')
  try {
    await checkOutboundLeaks(plugin, tinyPosFixtures, await orderTarget(plugin, tinyPosFixtures), server)
  } finally {
    await server.close()
  }
}

describe("the canary credentials", () => {
  it("replace secret-looking fields with canaries the Schemas accept, point URLs at the server, keep ids", () => {
    const { credentials: canaried, canaries, paths } = canaryCredentials(credentials, schemas, "http://127.0.0.1:4321")
    expect(canaried.account?.apiUrl).toBe("http://127.0.0.1:4321/v1")
    expect(canaried.account?.apiToken).toMatch(/^canary-[0-9a-f]{24}$/)
    expect(canaried.outlet?.webhookToken).toMatch(/^canary-[0-9a-f]{24}$/)
    expect(paths).toEqual(["outlet.webhookToken", "account.apiToken"])
    expect(canaries).toEqual([canaried.outlet?.webhookToken, canaried.account?.apiToken])
    expect(Schema.is(tinyPos.credentials.account!)(canaried.account)).toBe(true)
  })

  it("take the same shape when the Schema refuses the canary form, and canary a URL's password", () => {
    const Strict = Schema.Struct({
      clientId: Schema.String,
      secretKey: Schema.String.pipe(Schema.check(Schema.isPattern(/^sk_[a-f0-9]{16}$/))),
      baseUrl: Schema.String
    })
    const sample = {
      clientId: "client-0001",
      secretKey: "sk_0123456789abcdef",
      baseUrl: "https://user:hunter22@pos.example/api?x=1"
    }
    const result = canaryCredentials(
      { outlet: sample, account: null },
      { outlet: Strict, account: null },
      "http://127.0.0.1:9"
    )
    const outlet = result.credentials.outlet as typeof sample
    expect(outlet.clientId).toBe("client-0001")
    expect(outlet.secretKey).toMatch(/^sk_[a-f0-9]{16}$/)
    expect(outlet.secretKey).not.toBe(sample.secretKey)
    const url = new URL(outlet.baseUrl)
    expect([url.host, url.username, url.pathname, url.search]).toEqual(["127.0.0.1:9", "user", "/api", "?x=1"])
    expect(result.canaries).toEqual([outlet.secretKey, url.password])
    expect(result.canaries[1]).toMatch(/^canary-/)
  })

  it("look, as they are, for a secret the Schema will not let them change", () => {
    const Fixed = Schema.Struct({ apiKey: Schema.Literal("the-only-key-there-is") })
    const result = canaryCredentials(
      { outlet: { apiKey: "the-only-key-there-is" }, account: null },
      { outlet: Fixed, account: null },
      "http://127.0.0.1:9"
    )
    expect(result.canaries).toEqual(["the-only-key-there-is"])
    expect(result.paths).toEqual(["outlet.apiKey (as set)"])
  })

  it("rebase a URL keeping its path, query and the absence of a trailing slash", () => {
    expect(rebaseUrl("https://api.example.com", "http://127.0.0.1:1", null)).toBe("http://127.0.0.1:1")
    expect(rebaseUrl("https://api.example.com/v2/?a=b#c", "http://127.0.0.1:1", null)).toBe(
      "http://127.0.0.1:1/v2/?a=b#c"
    )
    expect(rebaseUrl("https://u:p@h.example:8443/x", "http://127.0.0.1:1", "canary-1")).toBe(
      "http://u:canary-1@127.0.0.1:1/x"
    )
  })

  it("are found as they are and inside base64 at every alignment", () => {
    const canary = "canary-0123456789abcdef01234567"
    for (const prefix of ["", "u:", "us:", "use:"]) {
      const header = `Basic ${Buffer.from(`${prefix}${canary}`).toString("base64")}`
      expect(leaked([canary], [`authorization: ${header}`]), prefix).toEqual([canary])
    }
    expect(leaked([canary], [`token ${canary}.`])).toEqual([canary])
    expect(leaked([canary], ["canary-0123456789abcdef0123456", Buffer.from("canary-0123").toString("base64")])).toEqual(
      []
    )
  })

  it("keep punctuation, letter case, hex digits and (when asked) a prefix when taking a sample's shape", () => {
    const shaped = sameShape("Ab-12_cD")
    expect(shaped).toMatch(/^[A-Z][a-z]-\d\d_[a-z][A-Z]$/)
    expect(shaped).not.toBe("Ab-12_cD")
    expect(sameShape("sk_0123456789abcdef", true)).toMatch(/^sk_[0-9a-f]{16}$/)
    expect(sameShape("Zulu-42")).toMatch(/^[A-Z][a-z]{3}-\d\d$/)
  })

  it("tell every string of credentials of 6 characters or more, a URL by its password only", () => {
    const strings = credentialStrings(
      {
        outlet: { webhookToken: "tinypos-token-1", shop: "S1", channel: "Canal1" },
        account: { apiUrl: "https://merchant:hunter22@api.tinypos.example/v1", plain: "https://api.tinypos.example" }
      },
      6
    )
    expect(strings).toEqual([
      { path: "outlet.webhookToken", value: "tinypos-token-1" },
      { path: "outlet.channel", value: "Canal1" },
      { path: "account.apiUrl (its password)", value: "hunter22" }
    ])
  })

  it("tell the fixture's own secrets: secret-looking fields of 8 characters or more", () => {
    expect(secretsOf(credentials)).toEqual(["tinypos-token-1", "tinypos-api-token-1"])
    expect(secretsOf({ outlet: { token: "short", merchantId: "merchant-0001" }, account: null })).toEqual([])
  })
})

describe("the test call context", () => {
  it("runs one rotation at a time: the second reads the first's replacement", async () => {
    const vault = memoryVault({ refreshToken: "r0", n: 0 }, "account")
    const rotation = vault.rotate((current: { refreshToken: string; n: number }) =>
      Effect.as(Effect.sleep("20 millis"), {
        value: current.refreshToken,
        credentials: { refreshToken: `r${current.n + 1}`, n: current.n + 1 }
      })
    )
    const spent = await Effect.runPromise(Effect.all([rotation, rotation], { concurrency: 2 }))
    expect([...spent].sort()).toEqual(["r0", "r1"])
    expect(vault.current()).toEqual({ refreshToken: "r2", n: 2 })
    expect(vault.rotations()).toBe(2)
  })

  it("fails a rotation with MissingCredentials when the level is not set; save replaces", async () => {
    const context = testCallContext({ credentials: { outlet: { token: "t" }, account: null } })
    const error = await Effect.runPromise(Effect.flip(context.vault.account.rotate(() => Effect.die("not called"))))
    expect(error).toBeInstanceOf(MissingCredentials)
    expect(error).toMatchObject({ level: "account" })
    await Effect.runPromise(context.vault.outlet.save({ token: "u" }))
    expect(context.stored()).toEqual({ outlet: { token: "u" }, account: null })
    expect(context.credentials.outlet).toEqual({ token: "t" })
  })
})

describe("observing an operation", () => {
  it("records logs of every level and the console, and puts the console back", async () => {
    const log = console.log
    const observed = await observe(() =>
      Effect.gen(function* () {
        yield* Effect.logDebug("debug line", { field: "value-1" })
        yield* Effect.logTrace("trace line")
        console.log("console line")
        return yield* Effect.fail(new PosUnavailable({ reason: "gone" }))
      })
    )
    expect(console.log).toBe(log)
    expect(observed.outcome).toMatchObject({ _tag: "failure", error: { _tag: "PosUnavailable", reason: "gone" } })
    expect(observed.output.join("\n")).toContain("debug line")
    expect(observed.output.join("\n")).toContain("value-1")
    expect(observed.output.join("\n")).toContain("trace line")
    expect(observed.output.join("\n")).toContain("console.log: console line")
  })
})

describe("the leak checks", () => {
  it("pass on TinyPOS", () => outboundAgainst401(tinyPos))

  it("catch credentials logged at debug level", async () => {
    const plugin = withPull({
      fetchOutlets: (context) =>
        Effect.flatMap(Effect.logDebug("pulling shops with", context.credentials.account), () =>
          pull.fetchOutlets(context)
        )
    })
    await expect(outboundAgainst401(plugin)).rejects.toThrow(/pull\.fetchOutlets: account\.apiToken shows/)
  })

  it("catch a token written to the console", async () => {
    const plugin = withPull({
      fetchCatalog: (outlet, context) =>
        Effect.flatMap(
          Effect.sync(() => console.warn(`menu of ${outlet.externalId} with ${context.credentials.account?.apiToken}`)),
          () => pull.fetchCatalog(outlet, context)
        )
    })
    await expect(outboundAgainst401(plugin)).rejects.toThrow(/pull\.fetchCatalog: account\.apiToken shows/)
  })

  it("catch a token in a failure's reason, and inside base64 in its cause", async () => {
    const inReason = withPull({
      fetchOutlets: (context) =>
        Effect.fail(new PosUnavailable({ reason: `refused Bearer ${context.credentials.account?.apiToken}` }))
    })
    await expect(outboundAgainst401(inReason)).rejects.toThrow(/pull\.fetchOutlets: account\.apiToken shows/)
    const inCause = withPull({
      fetchOutlets: (context) =>
        Effect.die(
          new Error(`Basic ${Buffer.from(`shop:${context.credentials.account?.apiToken}`).toString("base64")}`)
        )
    })
    await expect(outboundAgainst401(inCause)).rejects.toThrow(/pull\.fetchOutlets/)
  })

  it("catch a webhook token in a refusal, and a request's token header logged", async () => {
    const refusal: Plugin = {
      ...tinyPos,
      verifyWebhook: (request, creds) =>
        Effect.mapError(
          tinyPos.verifyWebhook(request, creds),
          () => new WebhookRejected({ reason: `expected ${creds.outlet?.webhookToken}` })
        )
    }
    await expect(checkWebhookLeaks(refusal, soldOut)).rejects.toThrow(
      /verifyWebhook with canary credentials: outlet\.webhookToken shows/
    )
    const logsHeaders: Plugin = {
      ...tinyPos,
      decodeWebhook: (request) =>
        Effect.flatMap(Effect.logInfo("webhook", request.headers), () => tinyPos.decodeWebhook(request))
    }
    await expect(checkWebhookLeaks(logsHeaders, soldOut)).rejects.toThrow(
      /decodeWebhook of the authentic request: the fixture's secret #1 shows/
    )
  })
})

describe("the pull checks", () => {
  it("pass on TinyPOS", async () => {
    await checkPull(tinyPos, pullFixture)
    await checkPullWithoutCredentials(tinyPos, pullFixture)
    await checkPullDeadServer(tinyPos, pullFixture)
  })

  it("catch a pull that dies instead of failing when the server is gone", async () => {
    const plugin = withPull({ fetchOutlets: (context) => Effect.orDie(pull.fetchOutlets(context)) })
    await expect(checkPullDeadServer(plugin, pullFixture)).rejects.toThrow(/fetchOutlets from a closed port.*a defect/s)
  })

  it("catch a pull that does not check its credentials, or names the wrong level", async () => {
    const unchecked = withPull({
      fetchOutlets: (context) =>
        Effect.suspend(() =>
          pull.fetchOutlets({
            ...context,
            credentials: { ...context.credentials, account: { ...context.credentials.account! } }
          })
        )
    })
    await expect(checkPullWithoutCredentials(unchecked, pullFixture)).rejects.toThrow(
      /fetchOutlets without credentials/
    )
    const wrongLevel = withPull({
      fetchCatalog: (outlet, context) =>
        context.credentials.account === null
          ? Effect.fail(new MissingCredentials({ level: "outlet", reason: "no credentials" }))
          : pull.fetchCatalog(outlet, context)
    })
    await expect(checkPullWithoutCredentials(wrongLevel, pullFixture)).rejects.toThrow(
      /the level MissingCredentials names/
    )
  })

  it("catch a pull that answers differently each time", async () => {
    let n = 0
    const plugin = withPull({
      fetchCatalog: (outlet, context) =>
        Effect.map(pull.fetchCatalog(outlet, context), (catalog) => ({
          ...catalog,
          products: catalog.products.map((p) => ({ ...p, name: `${p.name} ${n++}` }))
        }))
    })
    await expect(checkPull(plugin, pullFixture)).rejects.toThrow(/a second pull of the catalog/)
  })

  it("catch outlets of another account, and counts that differ", async () => {
    await expect(checkPull(tinyPos, { ...pullFixture, accountId: "M2" })).rejects.toThrow(/outlet S1's account/)
    await expect(
      checkPull(tinyPos, { ...pullFixture, expected: { ...pullFixture.expected, products: 3 } })
    ).rejects.toThrow()
  })
})

describe("the webhook checks", () => {
  it("pass on TinyPOS", async () => {
    for (const fixture of tinyPosFixtures.webhooks) {
      await checkForgedWebhook(tinyPos, fixture, "token")
      await checkWebhookUrl(tinyPos, fixture)
    }
    await checkJunkRequests(tinyPos, tinyPosFixtures, 50)
  })

  it("catch a verification that lets a request without its token through", async () => {
    const plugin: Plugin = {
      ...tinyPos,
      verifyWebhook: (request, creds) =>
        request.headers["x-tinypos-token"] === undefined ? Effect.void : tinyPos.verifyWebhook(request, creds)
    }
    await expect(checkForgedWebhook(plugin, soldOut, "token")).rejects.toThrow(/without its headers and query/)
  })

  it("catch a verification that ignores the credentials it is given", async () => {
    const plugin: Plugin = { ...tinyPos, verifyWebhook: (request) => tinyPos.verifyWebhook(request, credentials) }
    await expect(checkForgedWebhook(plugin, soldOut, "token")).rejects.toThrow(/forged credentials/)
  })

  it("catch a token webhook claimed to sign its body", async () => {
    await expect(checkForgedWebhook(tinyPos, soldOut, "signature")).rejects.toThrow(/a signed body/)
  })

  it("pass on a plugin signing the URL and the body (as Square does), refusing a changed URL", async () => {
    const signed: Plugin = {
      ...tinyPos,
      verifyWebhook: (request, creds) =>
        creds.outlet === null
          ? Effect.fail(new WebhookRejected({ reason: "no secret" }))
          : verifyHmac({
              algorithm: "SHA-256",
              secret: creds.outlet.webhookToken,
              message: concatBytes(request.url, request.body),
              signature: webhookHeader(request, "x-tinypos-signature"),
              encoding: "base64"
            })
    }
    const unsigned = webhook({ shop: "S1", event: "sold-out", items: ["A1"] })
    const signature = await Effect.runPromise(
      hmac("SHA-256", "tinypos-token-1", concatBytes(unsigned.url, unsigned.body))
    )
    const request = makeWebhookRequest({
      url: unsigned.url,
      headers: { "content-type": "application/json", "x-tinypos-signature": Buffer.from(signature).toString("base64") },
      body: unsigned.body
    })
    const fixture = { ...soldOut, request, signsUrl: true }
    await checkAuthenticWebhook(signed, fixture)
    await checkForgedWebhook(signed, fixture, "signature")
    await checkWebhookUrl(signed, fixture)
    await checkWebhookUrl(signed, { ...fixture, signsUrl: false })
    await expect(checkWebhookUrl(tinyPos, { ...soldOut, signsUrl: true })).rejects.toThrow(
      /a signed URL with a query parameter added/
    )
  })

  it("catch a subject that changes with the URL, and an unsigned URL claimed signed", async () => {
    const plugin: Plugin = {
      ...tinyPos,
      webhookOutlet: (request: WebhookRequest) =>
        Effect.map(tinyPos.webhookOutlet(request), (subject) =>
          subject._tag === "Outlet" && request.path.startsWith("/service")
            ? { ...subject, externalOutletId: `${subject.externalOutletId}-proxied` }
            : subject
        )
    }
    await expect(checkWebhookUrl(plugin, soldOut)).rejects.toThrow(/the subject with the path under a base path/)
    await expect(checkWebhookUrl(tinyPos, { ...soldOut, signsUrl: true })).rejects.toThrow(
      /a signed URL with a query parameter added/
    )
  })

  it("catch a decoder that throws on junk, and a verification that accepts random requests", async () => {
    const throws: Plugin = {
      ...tinyPos,
      decodeWebhook: (request) => {
        JSON.parse(new TextDecoder().decode(request.body))
        return tinyPos.decodeWebhook(request)
      }
    }
    await expect(checkJunkRequests(throws, tinyPosFixtures, 20)).rejects.toThrow(/decodeWebhook: a defect/)
    const accepts: Plugin = { ...tinyPos, verifyWebhook: () => Effect.void }
    await expect(checkJunkRequests(accepts, tinyPosFixtures, 20)).rejects.toThrow(
      /verifyWebhook of a request with random headers/
    )
  })

  it("a fixture request whose query is not its URL's fails the authentic check", async () => {
    await expect(
      checkAuthenticWebhook(tinyPos, { ...soldOut, request: { ...soldOut.request, query: { shop: ["S1"] } } })
    ).rejects.toThrow(/the fixture request's path and query/)
  })

  it("a webhook fixture with the wrong token fails the authentic check", async () => {
    await expect(
      checkAuthenticWebhook(tinyPos, {
        ...soldOut,
        request: webhook({ shop: "S1", event: "sold-out", items: ["A1"] }, "tinypos-token-2")
      })
    ).rejects.toThrow(/verifyWebhook with the fixture's credentials/)
  })
})

describe("the order checks", () => {
  const orderFixture = tinyPosFixtures.orders!
  const withOrders = (changes: Partial<Pick<Plugin, "submitOrder" | "cancelOrder">>): Plugin => ({
    ...tinyPos,
    ...changes
  })

  it("pass on TinyPOS, for every answer", async () => {
    for (const answer of submitAnswers) await checkSubmit(tinyPos, orderFixture, answer)
    for (const answer of cancelAnswers) await checkCancel(tinyPos, orderFixture, answer)
  })

  it("require an orders section of a plugin declaring orders, saying what to add", () => {
    expect(requireOrderFixture(tinyPos, tinyPosFixtures)).toBe(orderFixture)
    const { orders: _orders, ...withoutOrders } = tinyPosFixtures
    expect(() => requireOrderFixture(tinyPos, withoutOrders)).toThrow(
      /declares `orders` and `cancel`, but the fixtures have no `orders` section[\s\S]*orders: \{ start\(answer\), credentials\(url\)/
    )
  })

  it("catch a plugin that retries by itself", async () => {
    const plugin = withOrders({
      submitOrder: (order, context) => Effect.retry(tinyPos.submitOrder(order, context), { times: 1 })
    })
    await checkSubmit(plugin, orderFixture, "accept")
    await expect(checkSubmit(plugin, orderFixture, "unavailable")).rejects.toThrow(
      /submitOrder against a POS answering 5xx: the fake received 2 order requests, expected exactly one/
    )
    await expect(checkSubmit(plugin, orderFixture, "reset")).rejects.toThrow(/received 2 order requests/)
  })

  it("catch a plugin with a timeout of its own that tries again against a POS that never answers", async () => {
    const plugin = withOrders({
      submitOrder: (order, context) =>
        tinyPos.submitOrder(order, context).pipe(
          Effect.timeout("200 millis"),
          Effect.retry({ times: 1 }),
          Effect.catchTag("TimeoutError", () =>
            Effect.fail(new PosUnavailable({ reason: "TinyPOS: no answer in time" }))
          )
        )
    })
    await expect(checkSubmit(plugin, orderFixture, "hang")).rejects.toThrow(
      /submitOrder against a POS that never answers: the fake received 2 order requests/
    )
  })

  it("catch a 5xx taken for success, and a duplicate answer taken for a refusal", async () => {
    const optimistic = withOrders({
      submitOrder: (order, context) =>
        Effect.catchTag(tinyPos.submitOrder(order, context), "PosUnavailable", () =>
          Effect.succeed({ posOrderId: null, duplicate: false })
        )
    })
    await expect(checkSubmit(optimistic, orderFixture, "unavailable")).rejects.toThrow(
      /submitOrder against a POS answering 5xx: expected a PosUnavailable failure, got a value/
    )
    const refusesDuplicates = withOrders({
      submitOrder: (order, context) =>
        Effect.flatMap(tinyPos.submitOrder(order, context), (submitted) =>
          submitted.duplicate
            ? Effect.fail(new PosRejected({ status: 409, reason: "duplicate reference" }))
            : Effect.succeed(submitted)
        )
    })
    await expect(checkSubmit(refusesDuplicates, orderFixture, "duplicate")).rejects.toThrow(
      /submitOrder against a POS that already has it \(its duplicate answer\): expected a value, got a failure/
    )
  })

  it("catch a success not marked as a duplicate, another order id, and a refusal without a reason", async () => {
    const unmarked = withOrders({
      submitOrder: (order, context) =>
        Effect.map(tinyPos.submitOrder(order, context), (s) => ({ ...s, duplicate: false }))
    })
    await expect(checkSubmit(unmarked, orderFixture, "duplicate")).rejects.toThrow(
      /its duplicate answer\): answered duplicate: false; the vendor's duplicate answer means an earlier attempt delivered the order/
    )
    const otherId = withOrders({
      submitOrder: (order, context) =>
        Effect.map(tinyPos.submitOrder(order, context), (s) => ({ ...s, posOrderId: order.refCode }))
    })
    await expect(checkSubmit(otherId, orderFixture, "accept")).rejects.toThrow(/the POS order id the fake answered/)
    const silent = withOrders({
      submitOrder: (order, context) =>
        Effect.mapError(tinyPos.submitOrder(order, context), (e) =>
          e._tag === "PosRejected" ? new PosRejected({ status: e.status, reason: " " }) : e
        )
    })
    await expect(checkSubmit(silent, orderFixture, "reject")).rejects.toThrow(/PosRejected says why/)
  })

  it("catch a token in a failure's reason, and a fresh token the plugin saved then logged", async () => {
    const inReason = withOrders({
      submitOrder: (order, context) =>
        Effect.mapError(
          tinyPos.submitOrder(order, context),
          (e) => new PosUnavailable({ reason: `${e._tag} with Bearer ${context.credentials.account?.apiToken}` })
        )
    })
    await expect(checkSubmit(inReason, orderFixture, "unavailable")).rejects.toThrow(
      /submitOrder against a POS answering 5xx: account\.apiToken shows/
    )
    const logsFresh = withOrders({
      cancelOrder: (order, context) =>
        Effect.gen(function* () {
          const account = context.credentials.account!
          yield* context.vault.account.save({ ...account, apiToken: "tinypos-api-token-2" })
          yield* Effect.logDebug("TinyPOS token renewed:", "tinypos-api-token-2")
          return yield* tinyPos.cancelOrder(order, context)
        })
    })
    await expect(checkCancel(logsFresh, orderFixture, "accept")).rejects.toThrow(
      /cancelOrder against a POS taking it: account\.apiToken shows/
    )
  })

  it("catch a defect, and a refCode the request does not carry", async () => {
    const dies = withOrders({ submitOrder: (order, context) => Effect.orDie(tinyPos.submitOrder(order, context)) })
    await expect(checkSubmit(dies, orderFixture, "reset")).rejects.toThrow(
      /submitOrder against a POS resetting the connection: expected a PosUnavailable failure, got a defect/
    )
    const ownReference = withOrders({
      submitOrder: (order, context) => tinyPos.submitOrder({ ...order, refCode: `tp-${order.displayId}` }, context)
    })
    await expect(checkSubmit(ownReference, orderFixture, "accept")).rejects.toThrow(
      /the order request's body carries the order's refCode \(jz-20260105-0042\), the vendor's idempotency key/
    )
  })

  it("catch a call that succeeds against a POS that never answers, and one that does not stop at the deadline", async () => {
    const guesses = withOrders({
      submitOrder: (order, context) =>
        tinyPos.submitOrder(order, context).pipe(
          Effect.timeoutOrElse({
            duration: "100 millis",
            orElse: () => Effect.succeed({ posOrderId: null, duplicate: false })
          })
        )
    })
    await expect(checkSubmit(guesses, orderFixture, "hang")).rejects.toThrow(
      /submitOrder against a POS that never answers: expected no outcome before the deadline \(1500 ms\) or a PosUnavailable, got a value/
    )
    const stubborn = withOrders({
      submitOrder: (order, context) => Effect.uninterruptible(tinyPos.submitOrder(order, context))
    })
    await expect(checkSubmit(stubborn, orderFixture, "hang")).rejects.toThrow(
      /interrupted at the deadline \(1500 ms\), the call did not stop within 1000 ms/
    )
  })

  it("catch a cancellation that swallows a refusal, and one sent twice", async () => {
    const swallows = withOrders({
      cancelOrder: (order, context) =>
        Effect.catchTag(tinyPos.cancelOrder(order, context), "PosRejected", () => Effect.void)
    })
    await expect(checkCancel(swallows, orderFixture, "reject")).rejects.toThrow(
      /cancelOrder against a POS refusing it: expected a PosRejected failure, got a value/
    )
    const twice = withOrders({
      cancelOrder: (order, context) =>
        Effect.andThen(tinyPos.cancelOrder(order, context), tinyPos.cancelOrder(order, context))
    })
    await expect(checkCancel(twice, orderFixture, "accept")).rejects.toThrow(/received 2 order requests/)
  })
})
