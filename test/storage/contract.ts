import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import * as fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ApiKeys } from "../../application/ports/api-keys.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { type TenantRepositories, TenantStorage } from "../../application/ports/tenant-storage.ts"
import { createTenant } from "../../application/tenants/create-tenant.ts"
import { type ApiKeyRecord, allScopes, type KeyKind, type NewApiKey, type Scope } from "../../domain/api-key.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { storageAdapters } from "../support/storage-adapters.ts"
import { type ContractHelpers, catalogContract } from "./catalog-contract.ts"
import { customerLoyaltyContract } from "./customer-loyalty-contract.ts"
import { menusContract } from "./menus-contract.ts"
import { modelIds } from "./model-ids.ts"
import { posInboxContract } from "./pos-inbox-contract.ts"

type Storage = TenantDirectory | TenantStorage

let tenantCounter = 0
/** Each test gets tenants of its own, so the suite needs no reset between runs on a shared database. */
export const freshTenantId = (prefix = "t") =>
  `${prefix}${process.pid.toString(36)}-${Date.now().toString(36)}-${(tenantCounter++).toString(36)}` as TenantId

/**
 * The storage contract: every storage adapter (memory, PGlite, PostgreSQL) passes the same suite,
 * including properties that compare the adapter with a simple in-test model.
 */
/**
 * A storage layer opened for a suite (in its beforeAll, closed in its afterAll), with the helpers
 * the contract suites use: run an effect, run one in a tenant's repositories, create a tenant.
 */
export const storageHelpers = (name: string, makeLayer: () => Layer.Layer<Storage, unknown>): ContractHelpers => {
  let runtime: ManagedRuntime.ManagedRuntime<Storage, unknown>
  beforeAll(async () => {
    runtime = ManagedRuntime.make(makeLayer())
    await runtime.context()
  })
  afterAll(() => runtime?.dispose())

  const run = <A, E>(effect: Effect.Effect<A, E, Storage>) => runtime.runPromise(effect)
  const inTenant = <A, E>(tenant: TenantId, effect: Effect.Effect<A, E, TenantRepositories>) =>
    run(
      Effect.gen(function* () {
        const directory = yield* TenantDirectory
        const storage = yield* TenantStorage
        const found = yield* directory.find(tenant)
        if (found === undefined) return yield* Effect.die(`no tenant ${tenant}`)
        return yield* Effect.provide(effect, storage.open(found))
      })
    )
  const newTenant = async (prefix?: string) => {
    const id = freshTenantId(prefix)
    await run(createTenant({ id, name: `Tenant ${id}`, country: "NL", timezone: "Europe/Amsterdam", currency: "EUR" }))
    return id
  }
  return { name, run, inTenant, newTenant }
}

/**
 * The storage contract: every storage adapter (memory, PGlite, PostgreSQL) passes the same suite,
 * including properties that compare the adapter with a simple in-test model.
 */
export const storageContract = (name: string, makeLayer: () => Layer.Layer<Storage, unknown>) =>
  describe(`storage contract: ${name}`, () => {
    const { run, inTenant, newTenant } = storageHelpers(name, makeLayer)

    describe("tenant directory", () => {
      it("creates, finds and lists tenants with every field", async () => {
        const id = await newTenant()
        const found = await run(Effect.flatMap(TenantDirectory, (d) => d.find(id)))
        expect(found).toMatchObject({
          id,
          name: `Tenant ${id}`,
          status: "active",
          country: "NL",
          timezone: "Europe/Amsterdam",
          currency: "EUR",
          loyaltyUrl: null,
          loyaltyCredential: null,
          taxInclusive: true,
          taxRatePpm: null
        })
        expect(found?.createdAt).toBeInstanceOf(Date)
        const all = await run(Effect.flatMap(TenantDirectory, (d) => d.list))
        expect(all.map((t) => t.id)).toContain(id)
      })

      it("refuses a second tenant with the same id", async () => {
        const id = await newTenant()
        const again = await run(Effect.flip(createTenant({ id })))
        expect(again._tag).toBe("AlreadyExists")
      })

      it("answers undefined for an unknown tenant", async () => {
        expect(await run(Effect.flatMap(TenantDirectory, (d) => d.find(freshTenantId("nobody"))))).toBeUndefined()
      })

      it("stores the loyalty settings, and refuses them for an unknown tenant", async () => {
        const id = await newTenant()
        const updated = await run(
          Effect.flatMap(TenantDirectory, (d) =>
            d.setLoyalty(id, { url: "http://loyalty.test", credential: Redacted.make("s3cret") })
          )
        )
        expect(updated?.loyaltyUrl).toBe("http://loyalty.test")
        expect(updated?.loyaltyCredential === null ? null : Redacted.value(updated!.loyaltyCredential)).toBe("s3cret")
        expect(String(updated?.loyaltyCredential)).not.toContain("s3cret")
        const missing = await run(
          Effect.flip(
            Effect.flatMap(TenantDirectory, (d) =>
              d.setLoyalty(freshTenantId("x"), { url: null, credential: Redacted.make("c") })
            )
          )
        )
        expect(missing._tag).toBe("NotFound")
      })

      it("lists the ids of the active tenants, and of no other", async () => {
        const active = await newTenant("on")
        const suspended = freshTenantId("off")
        await run(
          Effect.flatMap(TenantDirectory, (d) =>
            d.create({
              id: suspended,
              name: "off",
              status: "suspended",
              country: "NL",
              timezone: "Europe/Amsterdam",
              currency: "EUR",
              locator: { databaseUrl: null, schema: `tenant_${suspended.replaceAll("-", "_")}` },
              createdAt: new Date()
            })
          )
        )
        const ids = await run(Effect.flatMap(TenantDirectory, (d) => d.activeIds))
        expect(ids.has(active)).toBe(true)
        expect(ids.has(suspended)).toBe(false)
        expect(ids.has(freshTenantId("nobody"))).toBe(false)
        // Exactly the active tenants the directory lists: the same source, never a second truth.
        const listed = await run(Effect.flatMap(TenantDirectory, (d) => d.list))
        expect([...ids].sort()).toEqual(
          listed
            .filter((t) => t.status === "active")
            .map((t) => t.id)
            .sort()
        )
      })

      it("suspends and reactivates a tenant, keeping its other fields; the active ids follow", async () => {
        const id = await newTenant("s")
        const before = await run(Effect.flatMap(TenantDirectory, (d) => d.find(id)))
        const suspended = await run(Effect.flatMap(TenantDirectory, (d) => d.setStatus(id, "suspended")))
        expect(suspended).toEqual({ ...before, status: "suspended" })
        expect(await run(Effect.flatMap(TenantDirectory, (d) => d.find(id)))).toEqual(suspended)
        expect((await run(Effect.flatMap(TenantDirectory, (d) => d.activeIds))).has(id)).toBe(false)
        // Suspending again changes nothing.
        expect(await run(Effect.flatMap(TenantDirectory, (d) => d.setStatus(id, "suspended")))).toEqual(suspended)
        const reactivated = await run(Effect.flatMap(TenantDirectory, (d) => d.setStatus(id, "active")))
        expect(reactivated).toEqual(before)
        expect((await run(Effect.flatMap(TenantDirectory, (d) => d.activeIds))).has(id)).toBe(true)
      })

      it("refuses a status for an unknown tenant", async () => {
        const missing = await run(
          Effect.flip(Effect.flatMap(TenantDirectory, (d) => d.setStatus(freshTenantId("x"), "suspended")))
        )
        expect(missing._tag).toBe("NotFound")
      })

      it("answers the readiness ping", async () => {
        await run(Effect.flatMap(TenantDirectory, (d) => d.ping))
      })
    })

    describe("api keys", () => {
      const newKey = (overrides: Partial<NewApiKey> = {}): NewApiKey => ({
        name: "k",
        kind: "partner",
        scopes: ["outlets:read"],
        secretHash: "ab".repeat(32),
        expiresAt: null,
        createdAt: new Date("2026-01-02T03:04:05.678Z"),
        ...overrides
      })

      it("inserts with increasing ids and reads back every field", async () => {
        const tenant = await newTenant()
        const expiresAt = new Date("2027-01-01T00:00:00.000Z")
        const [a, b] = await inTenant(
          tenant,
          Effect.flatMap(ApiKeys, (keys) =>
            Effect.all([keys.insert(newKey({ name: "first" })), keys.insert(newKey({ name: "second", expiresAt }))])
          )
        )
        expect(b!.id).toBeGreaterThan(a!.id)
        const found = await inTenant(
          tenant,
          Effect.flatMap(ApiKeys, (keys) => keys.findById(b!.id))
        )
        expect(found).toEqual({
          ...newKey({ name: "second", expiresAt }),
          id: b!.id,
          revokedAt: null,
          lastUsedAt: null
        })
      })

      it("revokes once: a second revocation keeps the first time", async () => {
        const tenant = await newTenant()
        const first = new Date("2026-05-01T00:00:00.000Z")
        const result = await inTenant(
          tenant,
          Effect.gen(function* () {
            const keys = yield* ApiKeys
            const key = yield* keys.insert(newKey())
            const revoked = yield* keys.revoke(key.id, first)
            const again = yield* keys.revoke(key.id, new Date("2026-06-01T00:00:00.000Z"))
            const unknown = yield* keys.revoke(key.id + 1000, first)
            return { revoked, again, unknown }
          })
        )
        expect(result.revoked?.revokedAt).toEqual(first)
        expect(result.again?.revokedAt).toEqual(first)
        expect(result.unknown).toBeUndefined()
      })

      it("expires a key by a time at the latest: an earlier expiry is kept, none becomes that time", async () => {
        const tenant = await newTenant()
        const early = new Date("2026-05-01T00:00:00.123Z")
        const by = new Date("2026-06-01T00:00:00.456Z")
        const late = new Date("2026-07-01T00:00:00.000Z")
        const result = await inTenant(
          tenant,
          Effect.gen(function* () {
            const keys = yield* ApiKeys
            const never = yield* keys.insert(newKey({ name: "never" }))
            const earlier = yield* keys.insert(newKey({ name: "earlier", expiresAt: early }))
            const later = yield* keys.insert(newKey({ name: "later", expiresAt: late }))
            const revoked = yield* keys.insert(newKey({ name: "revoked" }))
            yield* keys.revoke(revoked.id, early)
            return {
              never: yield* keys.expireBy(never.id, by),
              earlier: yield* keys.expireBy(earlier.id, by),
              later: yield* keys.expireBy(later.id, by),
              revoked: yield* keys.expireBy(revoked.id, by),
              unknown: yield* keys.expireBy(revoked.id + 1000, by),
              stored: yield* keys.findById(never.id),
              live: yield* keys.liveIds(new Date(by.getTime() - 1)),
              liveAtBy: yield* keys.liveIds(by),
              ids: { never: never.id, earlier: earlier.id, later: later.id }
            }
          })
        )
        expect(result.never).toEqual({
          ...newKey({ name: "never", expiresAt: by }),
          id: result.ids.never,
          revokedAt: null,
          lastUsedAt: null
        })
        expect(result.stored).toEqual(result.never)
        expect(result.earlier?.expiresAt).toEqual(early)
        expect(result.later?.expiresAt).toEqual(by)
        // A revoked key stays revoked; its expiry is set all the same.
        expect(result.revoked).toMatchObject({ revokedAt: early, expiresAt: by })
        expect(result.unknown).toBeUndefined()
        expect([...result.live].sort((x, y) => x - y)).toEqual([result.ids.never, result.ids.later])
        expect([...result.liveAtBy]).toEqual([])
      })

      it("lists the live key ids: neither revoked nor expired at the given time", async () => {
        const tenant = await newTenant()
        const at = new Date("2026-06-01T00:00:00.000Z")
        const later = new Date(at.getTime() + 1)
        const ids = await inTenant(
          tenant,
          Effect.gen(function* () {
            const keys = yield* ApiKeys
            const forever = yield* keys.insert(newKey({ name: "forever" }))
            const expiresLater = yield* keys.insert(newKey({ name: "later", expiresAt: later }))
            const expiresNow = yield* keys.insert(newKey({ name: "now", expiresAt: at }))
            const revoked = yield* keys.insert(newKey({ name: "revoked" }))
            yield* keys.revoke(revoked.id, new Date("2026-05-01T00:00:00.000Z"))
            return {
              forever: forever.id,
              expiresLater: expiresLater.id,
              expiresNow: expiresNow.id,
              atLive: yield* keys.liveIds(at),
              laterLive: yield* keys.liveIds(later)
            }
          })
        )
        // A key expiring exactly at `at` is expired then (as keyState says), one expiring later is not.
        expect([...ids.atLive].sort((x, y) => x - y)).toEqual([ids.forever, ids.expiresLater])
        expect([...ids.laterLive]).toEqual([ids.forever])
        expect(ids.atLive.has(ids.expiresNow)).toBe(false)
      })

      it("lists no live key id for a tenant without keys, nor another tenant's", async () => {
        const a = await newTenant("a")
        const b = await newTenant("b")
        await inTenant(
          a,
          Effect.flatMap(ApiKeys, (keys) => keys.insert(newKey()))
        )
        const liveInB = await inTenant(
          b,
          Effect.flatMap(ApiKeys, (keys) => keys.liveIds(new Date("2026-01-01T00:00:00.000Z")))
        )
        expect([...liveInB]).toEqual([])
      })

      it("keeps each tenant's keys apart", async () => {
        const a = await newTenant("a")
        const b = await newTenant("b")
        const key = await inTenant(
          a,
          Effect.flatMap(ApiKeys, (keys) => keys.insert(newKey({ name: "only-a" })))
        )
        const seenFromB = await inTenant(
          b,
          Effect.flatMap(ApiKeys, (keys) => keys.findById(key.id))
        )
        const listB = await inTenant(
          b,
          Effect.flatMap(ApiKeys, (keys) => keys.list)
        )
        expect(seenFromB).toBeUndefined()
        expect(listB).toEqual([])
      })

      it("keeps tenants apart when both are opened in one memo map (as the runtime's tenant map does)", async () => {
        const a = await newTenant("a")
        const b = await newTenant("b")
        const [countA, countB] = await run(
          Effect.scoped(
            Effect.gen(function* () {
              const directory = yield* TenantDirectory
              const storage = yield* TenantStorage
              const memoMap = yield* Layer.makeMemoMap
              const scope = yield* Effect.scope
              const open = (id: TenantId) =>
                Effect.flatMap(directory.find(id), (tenant) =>
                  Layer.buildWithMemoMap(storage.open(tenant!), memoMap, scope)
                )
              const inA = yield* open(a)
              const inB = yield* open(b)
              yield* Effect.flatMap(ApiKeys, (keys) => keys.insert(newKey({ name: "a1" }))).pipe(
                Effect.provideContext(inA)
              )
              yield* Effect.flatMap(ApiKeys, (keys) => keys.insert(newKey({ name: "a2" }))).pipe(
                Effect.provideContext(inA)
              )
              const listA = yield* Effect.flatMap(ApiKeys, (keys) => keys.list).pipe(Effect.provideContext(inA))
              const listB = yield* Effect.flatMap(ApiKeys, (keys) => keys.list).pipe(Effect.provideContext(inB))
              return [listA.length, listB.length]
            })
          )
        )
        expect([countA, countB]).toEqual([2, 0])
      })

      it("behaves like a simple model under any sequence of operations", async () => {
        const arbKind = fc.constantFrom<KeyKind>("partner", "pos", "editor")
        const arbScopes = fc.uniqueArray(fc.constantFrom<Scope>(...allScopes), { minLength: 1, maxLength: 4 })
        const arbDate = fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }).map((ms) => new Date(ms))
        const arbOp = fc.oneof(
          fc.record({
            op: fc.constant("insert" as const),
            name: fc.string({ maxLength: 20 }),
            kind: arbKind,
            scopes: arbScopes,
            hash: fc.stringMatching(/^[0-9a-f]{64}$/),
            expiresAt: fc.option(arbDate, { nil: null }),
            createdAt: arbDate
          }),
          fc.record({ op: fc.constant("revoke" as const), index: fc.nat(10), at: arbDate }),
          fc.record({ op: fc.constant("touch" as const), index: fc.nat(10), at: arbDate }),
          fc.record({ op: fc.constant("expire" as const), index: fc.nat(10), at: arbDate }),
          fc.record({ op: fc.constant("find" as const), index: fc.nat(12) }),
          fc.record({ op: fc.constant("live" as const), at: arbDate })
        )
        const modelLive = (model: ReadonlyMap<number, ApiKeyRecord>, at: Date) =>
          [...model.values()]
            .filter((k) => k.revokedAt === null && (k.expiresAt === null || k.expiresAt.getTime() > at.getTime()))
            .map((k) => k.id)
            .sort((x, y) => x - y)
        await fc.assert(
          fc.asyncProperty(fc.array(arbOp, { maxLength: 25 }), async (ops) => {
            const tenant = await newTenant("p")
            const model = new Map<number, ApiKeyRecord>()
            const ids = modelIds()
            const idAt = ids.at
            await inTenant(
              tenant,
              Effect.gen(function* () {
                const keys = yield* ApiKeys
                for (const op of ops) {
                  switch (op.op) {
                    case "insert": {
                      const input = {
                        name: op.name,
                        kind: op.kind,
                        scopes: op.scopes,
                        secretHash: op.hash,
                        expiresAt: op.expiresAt,
                        createdAt: op.createdAt
                      }
                      const record = yield* keys.insert(input)
                      expect(ids.has(record.id)).toBe(false)
                      ids.add(record.id)
                      model.set(record.id, { ...input, id: record.id, revokedAt: null, lastUsedAt: null })
                      expect(record).toEqual(model.get(record.id))
                      break
                    }
                    case "revoke": {
                      const id = idAt(op.index)
                      const current = model.get(id)
                      if (current !== undefined && current.revokedAt === null)
                        model.set(id, { ...current, revokedAt: op.at })
                      expect(yield* keys.revoke(id, op.at)).toEqual(model.get(id))
                      break
                    }
                    case "expire": {
                      const id = idAt(op.index)
                      const current = model.get(id)
                      if (current !== undefined && (current.expiresAt === null || op.at < current.expiresAt))
                        model.set(id, { ...current, expiresAt: op.at })
                      expect(yield* keys.expireBy(id, op.at)).toEqual(model.get(id))
                      break
                    }
                    case "touch": {
                      const id = idAt(op.index)
                      const current = model.get(id)
                      if (current !== undefined) model.set(id, { ...current, lastUsedAt: op.at })
                      yield* keys.touch(id, op.at)
                      break
                    }
                    case "find":
                      expect(yield* keys.findById(idAt(op.index))).toEqual(model.get(idAt(op.index)))
                      break
                    case "live":
                      expect([...(yield* keys.liveIds(op.at))].sort((x, y) => x - y)).toEqual(modelLive(model, op.at))
                      break
                  }
                }
                expect(yield* keys.list).toEqual([...model.values()].sort((x, y) => x.id - y.id))
              })
            )
          }),
          { numRuns: 25 }
        )
      })
    })

    catalogContract({ name, run, inTenant, newTenant })
    customerLoyaltyContract({ name, run, inTenant, newTenant })
    posInboxContract({ name, run, inTenant, newTenant })
    menusContract({ name, run, inTenant, newTenant })
  })

/**
 * The contract on one storage adapter (a test file each, so the two workers share them); an
 * adapter that cannot run here (PostgreSQL without DATABASE_URL) is reported as a skip.
 */
export const storageContractOn = (name: "memory" | "PGlite" | "PostgreSQL") => {
  for (const adapter of storageAdapters().filter((a) => a.name === name)) {
    if (adapter.available) storageContract(adapter.name, adapter.layer)
    else {
      describe(`storage contract: ${adapter.name}`, () => {
        it.skip("SKIPPED: DATABASE_URL is not set, so this adapter was not tested", () => {})
      })
      console.warn(`storage contract: ${adapter.name} SKIPPED (DATABASE_URL is not set)`)
    }
  }
}
