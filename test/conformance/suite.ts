import { catalogIssues, outletIssues, PluginManifest, type PosPlugin, SDK_VERSION } from "@pos-integration/sdk"
import { Schema } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { testCallContext } from "./call-context.ts"
import { canaryCredentials } from "./canary.ts"
import type { ConformanceFixtures, FakeOrderAnswer } from "./fixtures.ts"
import {
  checkDecoderLeaks,
  checkOutboundLeaks,
  checkWebhookLeaks,
  type OrderTarget,
  orderTarget,
  outboundServers
} from "./leak-checks.ts"
import {
  answerText,
  type CancelAnswer,
  cancelAnswers,
  checkCancel,
  checkSubmit,
  requireOrderFixture,
  submitAnswers
} from "./order-checks.ts"
import { checkPull, checkPullDeadServer, checkPullWithoutCredentials } from "./pull-checks.ts"
import { expectFailure, expectSuccess, expectValueOrTyped, outcome } from "./run.ts"
import { deadUrl } from "./servers.ts"
import {
  checkAuthenticWebhook,
  checkForgedWebhook,
  checkJunkRequests,
  checkWebhookUrl,
  schemasOf
} from "./webhook-checks.ts"

/** Tests that start servers or pull over HTTP get more time than vitest's default. */
const networkTimeout = 30_000

const junk: ReadonlyArray<unknown> = [
  null,
  undefined,
  0,
  -1,
  "",
  "junk",
  true,
  [],
  [null],
  [1, 2, 3],
  {},
  { menus: null },
  { body: "x" },
  { businessList: [{}] },
  { outlets: [{ id: {} }] },
  '{"truncated": [',
  { a: { b: { c: [] } } }
]

/** Random edits of a fixture: drop a key, change a value's type, truncate an array. */
const mutate = (value: unknown, choices: ReadonlyArray<number>): unknown => {
  let step = 0
  const next = () => choices[step++ % choices.length] ?? 0
  const visit = (v: unknown, depth: number): unknown => {
    const pick = next()
    if (depth > 0 && pick % 17 === 0) return [null, "x", -1, {}, [], 1.5, true][pick % 7]
    if (Array.isArray(v))
      return (pick % 5 === 0 ? v.slice(0, pick % (v.length + 1)) : v).map((x) => visit(x, depth + 1))
    if (v !== null && typeof v === "object") {
      const entries = Object.entries(v).filter(() => next() % 11 !== 0)
      return Object.fromEntries(entries.map(([k, x]) => [k, visit(x, depth + 1)]))
    }
    return v
  }
  return visit(value, 0)
}

const submitExpectation: Readonly<Record<FakeOrderAnswer, string>> = {
  accept: "submitted, with the POS's order id, the refCode its idempotency key",
  duplicate: "submitted, marked duplicate",
  reject: "PosRejected with a reason",
  unavailable: "PosUnavailable",
  hang: "still running at the kit's deadline, or PosUnavailable",
  reset: "PosUnavailable"
}

const cancelExpectation: Readonly<Record<CancelAnswer, string>> = {
  accept: "cancelled",
  reject: "PosRejected with a reason",
  unavailable: "PosUnavailable"
}

/** Encodes with the Schema, through JSON (as the service stores credentials), and decodes to the same value. */
const roundTrips = (schema: Schema.Top, value: unknown, what: string) => {
  const codec = schema as Schema.Codec<unknown, unknown>
  let encoded: unknown
  try {
    encoded = Schema.encodeUnknownSync(codec)(value)
  } catch (error) {
    return expect.fail(`${what}: the plugin's Schema does not encode it: ${String(error)}`)
  }
  const stored = JSON.parse(JSON.stringify(encoded)) as unknown
  try {
    expect(Schema.decodeUnknownSync(codec)(stored), `${what}: decoded again`).toEqual(value)
  } catch (error) {
    expect.fail(`${what}: the plugin's Schema does not decode its own encoding: ${String(error)}`)
  }
}

/**
 * The conformance suite: registers vitest tests checking `plugin` against SDK 2's contract with the
 * author's `fixtures` (vendor payloads in their real formats, authentic webhooks, sample
 * credentials, and a fake vendor server for pull).
 */
export const conformanceSuite = <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  fixtures: ConformanceFixtures<Outlet, Account>
) =>
  describe(`POS plugin conformance: ${plugin.manifest.id}`, () => {
    const capabilities = new Set(plugin.manifest.capabilities)
    const schemas = schemasOf(plugin)

    describe("manifest and credentials", () => {
      it("has a valid manifest for this SDK", () => {
        expect(Schema.decodeUnknownSync(PluginManifest)(plugin.manifest)).toEqual(plugin.manifest)
        expect(plugin.manifest.sdkVersion).toBe(SDK_VERSION)
        expect(new Set(plugin.manifest.capabilities).size, "capabilities listed once each").toBe(
          plugin.manifest.capabilities.length
        )
      })

      it("has pull functions exactly when it declares pull, and fixtures for what it declares", () => {
        expect(plugin.pull !== undefined, "pull functions present").toBe(capabilities.has("pull"))
        if (plugin.pull !== undefined) {
          expect(typeof plugin.pull.fetchOutlets).toBe("function")
          expect(typeof plugin.pull.fetchCatalog).toBe("function")
          expect(fixtures.pull, "a pull section in the fixtures (a fake vendor server)").toBeDefined()
        }
        if (capabilities.has("outlets")) expect(fixtures.outlets.length, "outlet fixtures").toBeGreaterThan(0)
        if (capabilities.has("catalog")) expect(fixtures.catalogs.length, "catalog fixtures").toBeGreaterThan(0)
        if (capabilities.has("webhooks")) expect(fixtures.webhooks.length, "webhook fixtures").toBeGreaterThan(0)
        if (capabilities.has("orders") || capabilities.has("cancel")) requireOrderFixture(plugin, fixtures)
      })

      it("has credential Schemas that take its sample credentials, through JSON and back", () => {
        expect(Schema.isSchema(plugin.credentials.outlet), "credentials.outlet is a Schema").toBe(true)
        const account = plugin.credentials.account
        expect(account === null || Schema.isSchema(account), "credentials.account is a Schema or null").toBe(true)
        expect(fixtures.credentials.outlet, "the sample has outlet credentials").not.toBeNull()
        if (account === null) expect(fixtures.credentials.account, "no account level: the sample's is null").toBeNull()
        else expect(fixtures.credentials.account, "the sample has account credentials").not.toBeNull()

        const samples = [
          { what: "the sample credentials", credentials: fixtures.credentials },
          ...fixtures.webhooks.map((w) => ({ what: `webhook '${w.name}'`, credentials: w.credentials })),
          ...(fixtures.pull === undefined
            ? []
            : [{ what: "the pull fixture", credentials: fixtures.pull.credentials("http://127.0.0.1:9") }]),
          ...(fixtures.orders === undefined
            ? []
            : [{ what: "the orders fixture", credentials: fixtures.orders.credentials("http://127.0.0.1:9") }])
        ]
        for (const { what, credentials } of samples) {
          if (credentials.outlet !== null) roundTrips(plugin.credentials.outlet, credentials.outlet, `${what}, outlet`)
          if (credentials.account !== null) {
            if (account === null) expect.fail(`${what}: account credentials for a plugin with no account level`)
            roundTrips(account, credentials.account, `${what}, account`)
          }
        }
      })
    })

    if (fixtures.outlets.length > 0)
      describe("outlet fixtures", () => {
        for (const fixture of fixtures.outlets) {
          it(`decodes: ${fixture.name}`, async () => {
            const outlets = expectSuccess(await outcome(() => plugin.decodeOutlets(fixture.payload)), "decodeOutlets")
            expect([...new Set(outlets.map((o) => o.externalId))].sort()).toEqual(
              [...fixture.expectedExternalIds].sort()
            )
            expect(outletIssues(outlets)).toEqual([])
            for (const outlet of outlets) {
              expect(outlet.accountId === null || outlet.accountId !== "", "accountId is null or an id").toBe(true)
            }
            expect(JSON.parse(JSON.stringify(outlets))).toEqual(outlets)
            expect(expectSuccess(await outcome(() => plugin.decodeOutlets(fixture.payload)), "again")).toEqual(outlets)
          })
        }
      })

    if (fixtures.catalogs.length + fixtures.foreignCatalogs.length > 0)
      describe("catalog fixtures", () => {
        for (const fixture of fixtures.catalogs) {
          it(`decodes, deterministically, holding the canonical invariants: ${fixture.name}`, async () => {
            const snapshot = expectSuccess(
              await outcome(() => plugin.decodeCatalog(fixture.payload, fixture.context)),
              "decodeCatalog"
            )
            expect(catalogIssues(snapshot)).toEqual([])
            expect({
              outletIds: [...snapshot.outletIds].sort(),
              products: snapshot.products.length,
              modifierGroups: snapshot.modifierGroups.length,
              modifierOptions: snapshot.modifierOptions.length,
              menus: snapshot.menus.length
            }).toEqual({ ...fixture.expected, outletIds: [...fixture.expected.outletIds].sort() })
            // Plain data: it survives JSON unchanged, and a second decode gives the same snapshot.
            expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot)
            expect(
              expectSuccess(await outcome(() => plugin.decodeCatalog(fixture.payload, fixture.context)), "again")
            ).toEqual(snapshot)
          })
        }

        for (const fixture of fixtures.foreignCatalogs) {
          it(`refuses another POS's payload: ${fixture.name}`, async () => {
            const result = await outcome(() =>
              plugin.decodeCatalog(fixture.payload, { externalOutletId: "x", currency: null })
            )
            expectFailure(result, "PayloadRejected", "another POS's payload")
            expectValueOrTyped(result, ["PayloadRejected"], "another POS's payload")
          })
        }
      })

    describe("junk never crashes a decoder", () => {
      it("fixed junk gets typed failures", async () => {
        for (const value of junk) {
          expectValueOrTyped(await outcome(() => plugin.decodeOutlets(value)), ["PayloadRejected"], "decodeOutlets")
          expectValueOrTyped(
            await outcome(() => plugin.decodeCatalog(value, { externalOutletId: null, currency: null })),
            ["PayloadRejected"],
            "decodeCatalog"
          )
        }
      })

      it("arbitrary JSON gets a value or a typed failure", async () => {
        await fc.assert(
          fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
            expectValueOrTyped(await outcome(() => plugin.decodeOutlets(value)), ["PayloadRejected"], "decodeOutlets")
            expectValueOrTyped(
              await outcome(() => plugin.decodeCatalog(value, { externalOutletId: "o1", currency: "SGD" })),
              ["PayloadRejected"],
              "decodeCatalog"
            )
          }),
          { numRuns: 200 }
        )
      })

      it("random edits of the fixtures get a value or a typed failure, and decoded ones hold the invariants", async () => {
        const payloads = [
          ...fixtures.catalogs.map((f) => ({ kind: "catalog" as const, payload: f.payload, context: f.context })),
          ...fixtures.outlets.map((f) => ({ kind: "outlets" as const, payload: f.payload, context: null }))
        ]
        if (payloads.length === 0) return
        await fc.assert(
          fc.asyncProperty(
            fc.nat(payloads.length - 1),
            fc.array(fc.nat(1000), { minLength: 1, maxLength: 64 }),
            async (index, choices) => {
              const { kind, payload, context } = payloads[index]!
              const edited = mutate(payload, choices)
              if (kind === "catalog") {
                const result = await outcome(() => plugin.decodeCatalog(edited, context!))
                expectValueOrTyped(result, ["PayloadRejected"], "decodeCatalog of an edited fixture")
                if (result._tag === "success") expect(catalogIssues(result.value)).toEqual([])
              } else {
                const result = await outcome(() => plugin.decodeOutlets(edited))
                expectValueOrTyped(result, ["PayloadRejected"], "decodeOutlets of an edited fixture")
                if (result._tag === "success") expect(outletIssues(result.value)).toEqual([])
              }
            }
          ),
          { numRuns: 300 }
        )
      })
    })

    describe("webhooks", () => {
      const auth = fixtures.webhookAuth ?? "signature"
      for (const fixture of fixtures.webhooks) {
        it(`an authentic webhook has a subject, verifies and decodes: ${fixture.name}`, () =>
          checkAuthenticWebhook(plugin, fixture))

        it(`forged credentials, a missing or forged credential${auth === "signature" ? " and a changed body" : ""} are refused: ${fixture.name}`, () =>
          checkForgedWebhook(plugin, fixture, auth))

        it(
          fixture.signsUrl === true
            ? `the signed URL, changed, is refused: ${fixture.name}`
            : `on another path or with another query it decodes the same: ${fixture.name}`,
          () => checkWebhookUrl(plugin, fixture)
        )
      }

      it("random requests (bytes, JSON, headers, queries, paths) end in a value or a typed failure, and are refused", () =>
        checkJunkRequests(plugin, fixtures, 200))
    })

    const pullFixture = fixtures.pull
    if (plugin.pull !== undefined && pullFixture !== undefined)
      describe("pull", () => {
        it(
          "pulls the outlets and the catalog from the fake server, deterministically",
          () => checkPull(plugin, pullFixture),
          networkTimeout
        )
        it(
          "without credentials, fails with MissingCredentials (a typed failure, not a defect)",
          () => checkPullWithoutCredentials(plugin, pullFixture),
          networkTimeout
        )
        it(
          "from a closed port, fails with PosUnavailable (not a defect)",
          () => checkPullDeadServer(plugin, pullFixture),
          networkTimeout
        )
      })

    if (capabilities.has("orders") || capabilities.has("cancel"))
      describe("orders", () => {
        const orderFixture = fixtures.orders
        if (orderFixture === undefined) {
          it("has an orders section in the fixtures (a fake of the vendor's order API)", () => {
            requireOrderFixture(plugin, fixtures)
          })
          return
        }
        if (capabilities.has("orders")) {
          for (const answer of submitAnswers) {
            it(
              `submitOrder against ${answerText[answer]}: ${submitExpectation[answer]}, after one request`,
              () => checkSubmit(plugin, orderFixture, answer),
              networkTimeout
            )
          }
        }
        if (capabilities.has("cancel")) {
          for (const answer of cancelAnswers) {
            it(
              `cancelOrder against ${answerText[answer]}: ${cancelExpectation[answer]}, after one request`,
              () => checkCancel(plugin, orderFixture, answer),
              networkTimeout
            )
          }
        }
      })

    describe("no credential shows in any error, log or output", () => {
      let target: OrderTarget | undefined
      const targetOnce = async () => {
        target ??= await orderTarget(plugin, fixtures)
        return target
      }
      for (const server of outboundServers) {
        it(
          `outbound calls against ${server.name}`,
          async () => {
            const running = await server.start()
            try {
              await checkOutboundLeaks(plugin, fixtures, await targetOnce(), running)
            } finally {
              await running.close()
            }
          },
          networkTimeout
        )
      }
      if (pullFixture !== undefined) {
        it(
          "outbound calls against the fake vendor server of the pull fixture, with canary credentials",
          async () => {
            const running = await pullFixture.start()
            try {
              await checkOutboundLeaks(plugin, fixtures, await targetOnce(), running)
            } finally {
              await running.close()
            }
          },
          networkTimeout
        )
      }
      for (const fixture of fixtures.webhooks) {
        it(`webhook operations: ${fixture.name}`, () => checkWebhookLeaks(plugin, fixture))
      }
      it("decoders", () => checkDecoderLeaks(plugin, fixtures))
    })

    it("answers the operations it does not declare with UnsupportedOperation, never a defect", async () => {
      const target = await orderTarget(plugin, fixtures)
      const { credentials } = canaryCredentials(fixtures.credentials, schemas, await deadUrl())
      const context = testCallContext({ credentials, outlet: target.outlet, accountId: target.accountId })
      if (!capabilities.has("orders")) {
        expectFailure(
          await outcome(() => plugin.submitOrder(target.order, context)),
          "UnsupportedOperation",
          "submitOrder without the orders capability"
        )
      }
      if (!capabilities.has("cancel")) {
        expectFailure(
          await outcome(() =>
            plugin.cancelOrder({ refCode: target.order.refCode, posOrderId: null, reason: null }, context)
          ),
          "UnsupportedOperation",
          "cancelOrder without the cancel capability"
        )
      }
    })
  })
