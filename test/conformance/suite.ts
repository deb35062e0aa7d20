import {
  type CatalogContext,
  catalogIssues,
  outletIssues,
  PluginManifest,
  type PosPlugin,
  SDK_VERSION,
  type WebhookRequest
} from "@pos-integration/sdk"
import { Cause, Effect, Exit, Schema } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { ConformanceFixtures } from "./fixtures.ts"

/** Runs an effect and says how it ended: a value, a typed failure, or a defect (a bug). */
const outcome = async <A, E>(effect: Effect.Effect<A, E>) => {
  const exit = await Effect.runPromiseExit(Effect.suspend(() => effect))
  if (Exit.isSuccess(exit)) return { _tag: "success" as const, value: exit.value }
  const failure = exit.cause.reasons.find(Cause.isFailReason)
  if (failure !== undefined) return { _tag: "failure" as const, error: failure.error }
  return { _tag: "defect" as const, cause: Cause.pretty(exit.cause) }
}

const encoder = new TextEncoder()
const asRequest = (value: unknown): WebhookRequest => ({
  headers: { "content-type": "application/json" },
  body: encoder.encode(JSON.stringify(value) ?? "null")
})

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

/** Typed failures carry issues with a path; anything else is acceptable only as a success. */
const expectTyped = (result: Awaited<ReturnType<typeof outcome>>, tag: string) => {
  if (result._tag === "defect") expect.fail(`a defect instead of ${tag}: ${result.cause}`)
  if (result._tag === "failure") {
    expect((result.error as { _tag: string })._tag).toBe(tag)
    if (tag === "PayloadRejected") {
      const issues = (result.error as { issues: ReadonlyArray<{ path: string; message: string }> }).issues
      expect(issues.length).toBeGreaterThan(0)
      for (const issue of issues) expect(typeof issue.path).toBe("string")
    }
  }
}

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

export const conformanceSuite = <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  fixtures: ConformanceFixtures<Outlet, Account>
) =>
  describe(`POS plugin conformance: ${plugin.manifest.id}`, () => {
    it("has a valid manifest for this SDK", () => {
      expect(Schema.decodeUnknownSync(PluginManifest)(plugin.manifest)).toEqual(plugin.manifest)
      expect(plugin.manifest.sdkVersion).toBe(SDK_VERSION)
      expect(Schema.isSchema(plugin.credentials)).toBe(true)
    })

    it("accepts its own sample credentials", () => {
      expect(Schema.is(plugin.credentials as Schema.Top)(fixtures.credentials)).toBe(true)
    })

    describe("outlet fixtures", () => {
      for (const fixture of fixtures.outlets) {
        it(`decodes: ${fixture.name}`, async () => {
          const result = await outcome(plugin.decodeOutlets(fixture.payload))
          if (result._tag !== "success") expect.fail(`did not decode: ${JSON.stringify(result)}`)
          const outlets = result.value
          expect([...new Set(outlets.map((o) => o.externalId))].sort()).toEqual([...fixture.expectedExternalIds].sort())
          expect(outletIssues(outlets)).toEqual([])
          const again = await Effect.runPromise(plugin.decodeOutlets(fixture.payload))
          expect(again).toEqual(outlets)
        })
      }
    })

    describe("catalog fixtures", () => {
      for (const fixture of fixtures.catalogs) {
        it(`decodes, deterministically, holding the canonical invariants: ${fixture.name}`, async () => {
          const result = await outcome(plugin.decodeCatalog(fixture.payload, fixture.context))
          if (result._tag !== "success") expect.fail(`did not decode: ${JSON.stringify(result)}`)
          const snapshot = result.value
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
          expect(await Effect.runPromise(plugin.decodeCatalog(fixture.payload, fixture.context))).toEqual(snapshot)
        })
      }

      for (const fixture of fixtures.foreignCatalogs) {
        it(`refuses another POS's payload: ${fixture.name}`, async () => {
          const result = await outcome(plugin.decodeCatalog(fixture.payload, { externalOutletId: "x", currency: null }))
          expect(result._tag).toBe("failure")
          expectTyped(result, "PayloadRejected")
        })
      }
    })

    describe("junk never crashes a decoder", () => {
      it("fixed junk gets typed failures", async () => {
        for (const value of junk) {
          expectTyped(await outcome(plugin.decodeOutlets(value)), "PayloadRejected")
          expectTyped(
            await outcome(plugin.decodeCatalog(value, { externalOutletId: null, currency: null })),
            "PayloadRejected"
          )
          expectTyped(await outcome(plugin.webhookOutlet(asRequest(value))), "PayloadRejected")
          expectTyped(await outcome(plugin.decodeWebhook(asRequest(value))), "PayloadRejected")
        }
      })

      it("arbitrary JSON gets a value or a typed failure", async () => {
        await fc.assert(
          fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
            expectTyped(await outcome(plugin.decodeOutlets(value)), "PayloadRejected")
            expectTyped(
              await outcome(plugin.decodeCatalog(value, { externalOutletId: "o1", currency: "SGD" })),
              "PayloadRejected"
            )
            expectTyped(await outcome(plugin.decodeWebhook(asRequest(value))), "PayloadRejected")
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
                const result = await outcome(plugin.decodeCatalog(edited, context!))
                expectTyped(result, "PayloadRejected")
                if (result._tag === "success") expect(catalogIssues(result.value)).toEqual([])
              } else {
                const result = await outcome(plugin.decodeOutlets(edited))
                expectTyped(result, "PayloadRejected")
                if (result._tag === "success") expect(outletIssues(result.value)).toEqual([])
              }
            }
          ),
          { numRuns: 300 }
        )
      })
    })

    describe("webhooks", () => {
      for (const fixture of fixtures.webhooks) {
        it(`an authentic webhook verifies and decodes: ${fixture.name}`, async () => {
          const outlet = await outcome(plugin.webhookOutlet(fixture.request))
          expect(outlet._tag).toBe("success")
          await Effect.runPromise(plugin.verifyWebhook(fixture.request, fixture.credentials))
          const events = await Effect.runPromise(plugin.decodeWebhook(fixture.request))
          expect(events.length).toBe(fixture.expectedEvents)
        })

        it(`a tampered webhook is refused: ${fixture.name}`, async () => {
          const bare = { ...fixture.request, headers: { "content-type": "application/json" } }
          const unsigned = await outcome(plugin.verifyWebhook(bare, fixture.credentials))
          expect(unsigned._tag).toBe("failure")
          expectTyped(unsigned, "WebhookRejected")
          // A header whose removal fails verification carries the credential: forging it must fail too.
          for (const [name, value] of Object.entries(fixture.request.headers)) {
            if (value === undefined || name === "content-type") continue
            const { [name]: _dropped, ...rest } = fixture.request.headers
            const without = await outcome(
              plugin.verifyWebhook({ ...fixture.request, headers: rest }, fixture.credentials)
            )
            if (without._tag === "success") continue
            const forged = { ...fixture.request, headers: { ...fixture.request.headers, [name]: `${value}x` } }
            const result = await outcome(plugin.verifyWebhook(forged, fixture.credentials))
            expect(result._tag).toBe("failure")
            expectTyped(result, "WebhookRejected")
          }
          if ((fixtures.webhookAuth ?? "signature") === "signature") {
            const body = new Uint8Array(fixture.request.body)
            body[body.length - 2] = (body[body.length - 2]! + 1) % 256
            const result = await outcome(plugin.verifyWebhook({ ...fixture.request, body }, fixture.credentials))
            expect(result._tag).toBe("failure")
          }
        })
      }
    })

    it("answers the operations it does not declare with UnsupportedOperation, never a defect", async () => {
      const caps = new Set(plugin.manifest.capabilities)
      if (!caps.has("orders")) {
        const order = {
          refCode: "CONF-1",
          displayId: null,
          outletExternalId: "o1",
          placedAt: "2026-01-01T00:00:00.000Z",
          fulfilment: { type: "PICKUP" as const, asap: true, scheduledFor: null, table: null, address: null },
          customer: { name: null, phone: null, email: null },
          lines: [],
          currency: "SGD",
          totals: {
            subtotal: 0,
            deliveryFee: 0,
            serviceCharge: 0,
            packaging: 0,
            tip: 0,
            discount: 0,
            tax: 0,
            total: 0
          },
          payment: { status: "PAID" as const, amount: 0, method: null, reference: null },
          notes: null
        }
        const result = await outcome(
          plugin.submitOrder(order, { credentials: fixtures.credentials, identifiers: {}, http: undefined as never })
        )
        expectTyped(result, "UnsupportedOperation")
      }
    })
  })
