/**
 * "No credential in any error, log or output, for every operation": each operation runs with
 * credentials whose secrets are canaries (see canary.ts for which leaves), its Effect logs captured
 * at every level (the default logger replaced) and the console too; neither its failure (text,
 * message, JSON, full cause), its value, nor any line may contain a canary. Webhook requests cannot
 * be re-signed with canaries, so for them the kit looks for the fixture's own secrets.
 */
import type { CallOutlet, PosCredentials, PosOrder, PosPlugin } from "@pos-integration/sdk"
import type { Effect } from "effect"
import { expect } from "vitest"
import { testCallContext } from "./call-context.ts"
import { canaryCredentials, leaked, secretsOf } from "./canary.ts"
import type { ConformanceFixtures, FakeServer, WebhookFixture } from "./fixtures.ts"
import { expectFailure, expectValueOrTyped, type Observed, observe, outcome, shownText } from "./run.ts"
import { sampleOrder } from "./sample-order.ts"
import { answeringServer, deadUrl } from "./servers.ts"
import { fixedJunkBodies, schemasOf } from "./webhook-checks.ts"

/** The outlet outbound calls are about, and an order for it. */
export interface OrderTarget {
  readonly outlet: CallOutlet
  readonly accountId: string | null
  readonly order: PosOrder
}

/** The first outlet the fixtures decode to (or the pull's outlet), and an order of the first catalog's first product. */
export const orderTarget = async <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  fixtures: ConformanceFixtures<Outlet, Account>
): Promise<OrderTarget> => {
  const decodedOutlets =
    fixtures.outlets[0] === undefined
      ? undefined
      : await outcome(() => plugin.decodeOutlets(fixtures.outlets[0]!.payload))
  const first = decodedOutlets?._tag === "success" ? decodedOutlets.value[0] : undefined
  const catalogFixture = fixtures.catalogs[0]
  const decodedCatalog =
    catalogFixture === undefined
      ? undefined
      : await outcome(() => plugin.decodeCatalog(catalogFixture.payload, catalogFixture.context))
  const catalog = decodedCatalog?._tag === "success" ? decodedCatalog.value : null
  const outlet: CallOutlet =
    first !== undefined
      ? { externalId: first.externalId, identifiers: first.identifiers }
      : (fixtures.pull?.catalogOutlet ?? {
          externalId: catalogFixture?.context.externalOutletId ?? "conformance-outlet",
          identifiers: {}
        })
  const currency = first?.currency ?? catalogFixture?.context.currency ?? "SGD"
  return {
    outlet,
    accountId: first?.accountId ?? fixtures.pull?.accountId ?? null,
    order: fixtures.order ?? sampleOrder(outlet.externalId, catalog, currency)
  }
}

/** The servers outbound calls are tried against: none listening, and fake POS systems answering errors or garbage. */
export const outboundServers: ReadonlyArray<{ readonly name: string; readonly start: () => Promise<FakeServer> }> = [
  {
    name: "a closed port",
    start: async () => ({ url: await deadUrl(), close: async () => {} })
  },
  {
    name: "a POS answering 401",
    start: () => answeringServer(401, '{"error":"unauthorized","message":"invalid credentials"}')
  },
  { name: "a POS answering 500", start: () => answeringServer(500, "internal error", "text/plain") },
  { name: "a POS answering 200 with unexpected JSON", start: () => answeringServer(200, '{"unexpected":true}') }
]

const excerpt = (text: string, canary: string): string => {
  const at = text.indexOf(canary)
  return at === -1 ? text.slice(0, 300) : text.slice(Math.max(0, at - 150), at + canary.length + 150)
}

/** Fails naming the operation, the credential and the line where it showed. */
export const expectNoLeak = (
  observed: Observed<unknown, unknown>,
  secrets: ReadonlyArray<string>,
  names: ReadonlyArray<string>,
  what: string
) => {
  const texts = [...shownText(observed.outcome), ...observed.output]
  const found = leaked(secrets, texts)
  if (found.length === 0) return
  const secret = found[0]!
  const name = names[secrets.indexOf(secret)] ?? "a credential"
  const text = texts.find((t) => leaked([secret], [t]).length > 0) ?? ""
  expect.fail(`${what}: ${name} shows in its output or failure:\n${excerpt(text, secret)}`)
}

interface Probe {
  readonly what: string
  readonly run: () => Effect.Effect<unknown, unknown>
  readonly allowed: ReadonlyArray<string>
}

const probe = async (p: Probe, secrets: ReadonlyArray<string>, names: ReadonlyArray<string>) => {
  const observed = await observe(p.run)
  expectValueOrTyped(observed.outcome, p.allowed, p.what)
  expectNoLeak(observed, secrets, names, p.what)
}

const noSecretField =
  "the credentials hold no secret-looking field (named secret, token, password, key, auth, signature, ...) for the kit to replace with a canary"

const callFailures = ["PosRejected", "PosUnavailable", "UnsupportedOperation", "MissingCredentials"]
const pullFailures = ["PayloadRejected", "PosRejected", "PosUnavailable", "MissingCredentials"]

/**
 * acknowledgeCatalog, submitOrder, cancelOrder and the pull functions, with canary credentials
 * pointing at `server`: a value or their typed failures, and no canary anywhere.
 */
export const checkOutboundLeaks = async <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  fixtures: ConformanceFixtures<Outlet, Account>,
  target: OrderTarget,
  server: FakeServer
) => {
  const schemas = schemasOf(plugin)
  const canaried = canaryCredentials(fixtures.credentials, schemas, server.url)
  if (canaried.canaries.length === 0) expect.fail(noSecretField)
  const context = testCallContext({
    credentials: canaried.credentials,
    outlet: target.outlet,
    accountId: target.accountId
  })
  const callback = { url: `${server.url}/menu-status/conformance` }
  const probes: Array<Probe> = [
    {
      what: "acknowledgeCatalog",
      run: () => plugin.acknowledgeCatalog(callback, { status: "FAILED", comment: "conformance" }, context),
      allowed: callFailures
    },
    { what: "submitOrder", run: () => plugin.submitOrder(target.order, context), allowed: callFailures },
    {
      what: "cancelOrder",
      run: () =>
        plugin.cancelOrder(
          { refCode: target.order.refCode, posOrderId: "conformance-order", reason: "conformance" },
          context
        ),
      allowed: callFailures
    }
  ]
  for (const p of probes) await probe(p, canaried.canaries, canaried.paths)

  const pull = plugin.pull
  if (pull !== undefined && fixtures.pull !== undefined) {
    const pullFixture = fixtures.pull
    const pullCanaried = canaryCredentials(pullFixture.credentials(server.url), schemas, server.url)
    const pullContext = testCallContext({ credentials: pullCanaried.credentials, accountId: pullFixture.accountId })
    const pullProbes: Array<Probe> = [
      { what: "pull.fetchOutlets", run: () => pull.fetchOutlets(pullContext), allowed: pullFailures },
      {
        what: "pull.fetchCatalog",
        run: () => pull.fetchCatalog(pullFixture.catalogOutlet, { ...pullContext, outlet: pullFixture.catalogOutlet }),
        allowed: pullFailures
      }
    ]
    for (const p of pullProbes) await probe(p, pullCanaried.canaries, pullCanaried.paths)
  }
}

const secretNames = (secrets: ReadonlyArray<string>) => secrets.map((_, i) => `the fixture's secret #${i + 1}`)

/**
 * verifyWebhook with wrong credentials (canaries: refused, none shown), and with the right ones on
 * the authentic and altered requests; webhookOutlet and decodeWebhook on the request and on junk
 * bodies: the fixture's own secrets never show (but one the body itself holds as data).
 */
export const checkWebhookLeaks = async <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  fixture: WebhookFixture<Outlet, Account>
) => {
  const wrong = canaryCredentials(fixture.credentials, schemasOf(plugin), "http://127.0.0.1:9")
  if (wrong.canaries.length === 0) expect.fail(noSecretField)
  const refused = await observe(() => plugin.verifyWebhook(fixture.request, wrong.credentials))
  expectFailure(refused.outcome, "WebhookRejected", "verifyWebhook with canary credentials")
  expectNoLeak(refused, wrong.canaries, wrong.paths, "verifyWebhook with canary credentials")

  // A secret the vendor also sends in the body as data (Deliverect's staging secret is the channel link id) is no secret in output.
  const body = new TextDecoder().decode(fixture.request.body)
  const secrets = secretsOf(fixture.credentials).filter((secret) => !body.includes(secret))
  const names = secretNames(secrets)
  const right: PosCredentials<Outlet, Account> = fixture.credentials
  const bodies = [fixture.request.body, ...fixedJunkBodies]
  const bare = { ...fixture.request, headers: { "content-type": "application/json" } }
  const probes: Array<Probe> = [
    {
      what: "verifyWebhook of the request without headers",
      run: () => plugin.verifyWebhook(bare, right),
      allowed: ["WebhookRejected"]
    },
    ...bodies.flatMap((body, index): Array<Probe> => {
      const request = { ...fixture.request, body }
      const which = index === 0 ? "the authentic request" : `junk body #${index}`
      return [
        {
          what: `verifyWebhook of ${which}`,
          run: () => plugin.verifyWebhook(request, right),
          allowed: ["WebhookRejected"]
        },
        { what: `webhookOutlet of ${which}`, run: () => plugin.webhookOutlet(request), allowed: ["PayloadRejected"] },
        { what: `decodeWebhook of ${which}`, run: () => plugin.decodeWebhook(request), allowed: ["PayloadRejected"] }
      ]
    })
  ]
  for (const p of probes) await probe(p, secrets, names)
}

/**
 * decodeOutlets and decodeCatalog on the fixtures and on junk: no secret of the sample credentials
 * shows (but one the payloads themselves hold as data).
 */
export const checkDecoderLeaks = async <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  fixtures: ConformanceFixtures<Outlet, Account>
) => {
  const payloads = JSON.stringify([...fixtures.outlets, ...fixtures.catalogs].map((f) => f.payload))
  const secrets = [
    ...new Set([...secretsOf(fixtures.credentials), ...fixtures.webhooks.flatMap((w) => secretsOf(w.credentials))])
  ].filter((secret) => !payloads.includes(secret))
  const names = secretNames(secrets)
  const junk: ReadonlyArray<unknown> = [null, {}, [], "junk", { outlets: [{}] }]
  const probes: Array<Probe> = [
    ...[...fixtures.outlets.map((f) => f.payload), ...junk].map(
      (payload, i): Probe => ({
        what: `decodeOutlets #${i}`,
        run: () => plugin.decodeOutlets(payload),
        allowed: ["PayloadRejected"]
      })
    ),
    ...[...fixtures.catalogs.map((f) => f.payload), ...junk].map(
      (payload, i): Probe => ({
        what: `decodeCatalog #${i}`,
        run: () =>
          plugin.decodeCatalog(payload, fixtures.catalogs[i]?.context ?? { externalOutletId: null, currency: null }),
        allowed: ["PayloadRejected"]
      })
    )
  ]
  for (const p of probes) await probe(p, secrets, names)
}
