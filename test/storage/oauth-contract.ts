import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import * as fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  emptyKeyRing,
  isKeyRing,
  joinKeyRings,
  type KeyRing,
  makeCredentialSealer,
  parseKeyRing
} from "../../adapters/crypto/credential-sealer.ts"
import { layerPglite } from "../../adapters/storage/pglite/pglite-client.ts"
import { layerPostgresStorage } from "../../adapters/storage/postgres/postgres-storage.ts"
import { migrateControl } from "../../adapters/storage/sql/migrations.ts"
import { layerSqlSigningKeys } from "../../adapters/storage/sql/sql-oauth.ts"
import { OAuthClients, SigningKeys } from "../../application/ports/oauth.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { type TenantRepositories, TenantStorage } from "../../application/ports/tenant-storage.ts"
import { createTenant } from "../../application/tenants/create-tenant.ts"
import { allScopes, type Scope } from "../../domain/api-key.ts"
import type {
  NewOAuthClient,
  NewSigningKey,
  OAuthClientRecord,
  PublicJwk,
  SigningKeyRecord
} from "../../domain/oauth.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { openTestPglite } from "../support/pglite-template.ts"
import { arbText } from "./catalog-arbitraries.ts"
import { freshTenantId } from "./contract.ts"
import { byId, modelIds } from "./model-ids.ts"

type Storage = TenantDirectory | TenantStorage | SigningKeys

/** Instants with milliseconds: a store that kept seconds only, or microseconds, would show here. */
const arbDate = fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }).map((ms) => new Date(ms))
const arbScopes = fc.uniqueArray(fc.constantFrom<Scope>(...allScopes), { minLength: 1, maxLength: 4 })
const arbHash = fc.stringMatching(/^[0-9a-f]{64}$/)

const newClient = (overrides: Partial<NewOAuthClient> = {}): NewOAuthClient => ({
  name: "kiosk partner",
  scopes: ["outlets:read", "loyalty:read", "loyalty:write"],
  secretHash: "ab".repeat(32),
  expiresAt: null,
  createdAt: new Date("2026-01-02T03:04:05.678Z"),
  ...overrides
})

/** What a newly inserted client is, by the port's promise. */
const inserted = (input: NewOAuthClient, id: number): OAuthClientRecord => ({
  ...input,
  id,
  previousSecretHash: null,
  previousSecretExpiresAt: null,
  revokedAt: null,
  lastUsedAt: null
})

let kidCounter = 0
/** Kids of their own for each test: the suite's tests share one control database. */
const freshKid = (prefix = "kid") =>
  `${prefix}-${process.pid.toString(36)}-${Date.now().toString(36)}-${(kidCounter++).toString(36)}`

const publicJwk = (kid: string): PublicJwk => ({
  kty: "OKP",
  crv: "Ed25519",
  x: `x-of-${kid}`,
  kid,
  alg: "EdDSA",
  use: "sig"
})

/** The private half: the public one and `d`, which must never show anywhere but in `privateJwk`. */
const privateMaterial = (kid: string) => `d-of-${kid}-Zq81`
const privateJwk = (kid: string) => JSON.stringify({ ...publicJwk(kid), d: privateMaterial(kid) })

const newSigningKey = (kid: string, overrides: Partial<NewSigningKey> = {}): NewSigningKey => ({
  kid,
  publicJwk: publicJwk(kid),
  privateJwk: privateJwk(kid),
  createdAt: new Date("2026-03-04T05:06:07.891Z"),
  activatesAt: new Date("2026-03-05T05:06:07.891Z"),
  ...overrides
})

/** A key as listed by a store that opens its private half. */
const opened = (key: NewSigningKey): SigningKeyRecord => ({ ...key, privateProblem: null })

/** The port's order: by activation, then kid (byte-wise, as the kids here are ASCII). */
const byActivationThenKid = (a: SigningKeyRecord, b: SigningKeyRecord) =>
  a.activatesAt.getTime() - b.activatesAt.getTime() || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0)

/**
 * The OAuth stores (application/ports/oauth.ts) on every storage adapter: a tenant's clients, and
 * the signing keys and their rotation claim in the control database, each also compared with a
 * simple model under random operations. The suite's tests share one store; each works on tenants
 * and kids of its own, or reads what is there before it starts.
 */
export const oauthContract = (name: string, makeLayer: () => Layer.Layer<Storage, unknown>) =>
  describe(`oauth contract: ${name}`, () => {
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
          const found = yield* (yield* TenantDirectory).find(tenant)
          if (found === undefined) return yield* Effect.die(`no tenant ${tenant}`)
          return yield* Effect.provide(effect, (yield* TenantStorage).open(found))
        })
      )
    const clients = <A, E>(tenant: TenantId, f: (clients: OAuthClients["Service"]) => Effect.Effect<A, E>) =>
      inTenant(tenant, Effect.flatMap(OAuthClients, f))
    const signing = <A, E>(f: (keys: SigningKeys["Service"]) => Effect.Effect<A, E>) =>
      run(Effect.flatMap(SigningKeys, f))
    const newTenant = async (prefix = "o") => {
      const id = freshTenantId(prefix)
      await run(
        createTenant({ id, name: `Tenant ${id}`, country: "NL", timezone: "Europe/Amsterdam", currency: "EUR" })
      )
      return id
    }

    describe("oauth clients", () => {
      it("inserts with ascending ids and reads back every field", async () => {
        const tenant = await newTenant()
        const expiresAt = new Date("2027-01-01T00:00:00.001Z")
        const a = await clients(tenant, (c) => c.insert(newClient({ name: "first" })))
        const b = await clients(tenant, (c) =>
          c.insert(newClient({ name: "second", scopes: ["menus:write"], expiresAt }))
        )
        expect(b.id).toBeGreaterThan(a.id)
        const expected = inserted(newClient({ name: "second", scopes: ["menus:write"], expiresAt }), b.id)
        expect(b).toEqual(expected)
        expect(await clients(tenant, (c) => c.findById(b.id))).toEqual(expected)
        expect(await clients(tenant, (c) => c.list)).toEqual([inserted(newClient({ name: "first" }), a.id), expected])
      })

      it("revokes once: a second revocation keeps the first time; an unknown client answers undefined", async () => {
        const tenant = await newTenant()
        const first = new Date("2026-05-01T00:00:00.123Z")
        const client = await clients(tenant, (c) => c.insert(newClient()))
        const revoked = await clients(tenant, (c) => c.revoke(client.id, first))
        const again = await clients(tenant, (c) => c.revoke(client.id, new Date("2026-06-01T00:00:00.000Z")))
        expect(revoked).toEqual({ ...client, revokedAt: first })
        expect(again).toEqual(revoked)
        expect(await clients(tenant, (c) => c.findById(client.id))).toEqual(revoked)
        expect(await clients(tenant, (c) => c.revoke(client.id + 1000, first))).toBeUndefined()
        expect(await clients(tenant, (c) => c.findById(client.id + 1000))).toBeUndefined()
      })

      it("rotates a secret: the current one becomes the previous until the given time, and the oldest is dropped", async () => {
        const tenant = await newTenant()
        const client = await clients(tenant, (c) => c.insert(newClient({ secretHash: "01".repeat(32) })))
        const until = new Date("2026-07-01T00:00:00.456Z")
        const later = new Date("2026-08-01T00:00:00.789Z")
        const once = await clients(tenant, (c) => c.rotateSecret(client.id, "02".repeat(32), until))
        expect(once).toEqual({
          ...client,
          secretHash: "02".repeat(32),
          previousSecretHash: "01".repeat(32),
          previousSecretExpiresAt: until
        })
        expect(await clients(tenant, (c) => c.findById(client.id))).toEqual(once)
        const twice = await clients(tenant, (c) => c.rotateSecret(client.id, "03".repeat(32), later))
        expect(twice).toEqual({
          ...client,
          secretHash: "03".repeat(32),
          previousSecretHash: "02".repeat(32),
          previousSecretExpiresAt: later
        })
        expect(await clients(tenant, (c) => c.findById(client.id))).toEqual(twice)
        expect(await clients(tenant, (c) => c.rotateSecret(client.id + 1000, "04".repeat(32), later))).toBeUndefined()
      })

      it("lists the ids of the revoked clients, and of no other tenant's", async () => {
        const tenant = await newTenant("a")
        const other = await newTenant("b")
        expect([...(await clients(tenant, (c) => c.revokedIds))]).toEqual([])
        const kept = await clients(tenant, (c) => c.insert(newClient({ name: "kept" })))
        const gone = await clients(tenant, (c) => c.insert(newClient({ name: "gone" })))
        // Revoked at a time still to come: the port lists it all the same (the caller decides when).
        const later = await clients(tenant, (c) => c.insert(newClient({ name: "later" })))
        await clients(tenant, (c) => c.revoke(gone.id, new Date("2026-05-01T00:00:00.000Z")))
        await clients(tenant, (c) => c.revoke(later.id, new Date("2999-01-01T00:00:00.000Z")))
        const revoked = await clients(tenant, (c) => c.revokedIds)
        expect([...revoked].sort((x, y) => x - y)).toEqual([gone.id, later.id])
        expect(revoked.has(kept.id)).toBe(false)
        expect([...(await clients(other, (c) => c.revokedIds))]).toEqual([])
      })

      it("records the last use each time it is touched; a touch of an unknown client changes nothing", async () => {
        const tenant = await newTenant()
        const client = await clients(tenant, (c) => c.insert(newClient()))
        const first = new Date("2026-05-01T00:00:00.321Z")
        const second = new Date("2026-05-01T00:01:00.654Z")
        await clients(tenant, (c) => c.touch(client.id, first))
        expect((await clients(tenant, (c) => c.findById(client.id)))?.lastUsedAt).toEqual(first)
        await clients(tenant, (c) => c.touch(client.id, second))
        expect(await clients(tenant, (c) => c.findById(client.id))).toEqual({ ...client, lastUsedAt: second })
        await clients(tenant, (c) => c.touch(client.id + 1000, second))
        expect(await clients(tenant, (c) => c.list)).toEqual([{ ...client, lastUsedAt: second }])
      })

      it("keeps each tenant's clients apart", async () => {
        const a = await newTenant("a")
        const b = await newTenant("b")
        const client = await clients(a, (c) => c.insert(newClient({ name: "only-a" })))
        expect(await clients(b, (c) => c.findById(client.id))).toBeUndefined()
        expect(await clients(b, (c) => c.list)).toEqual([])
        expect(await clients(b, (c) => c.revoke(client.id, new Date()))).toBeUndefined()
        expect(await clients(a, (c) => c.findById(client.id))).toEqual(client)
      })

      it("hands out copies: changing a date given or answered changes nothing stored", async () => {
        const tenant = await newTenant()
        const stored = new Date("2026-01-02T03:04:05.678Z")
        const createdAt = new Date(stored)
        const expiresAt = new Date(stored)
        const client = await clients(tenant, (c) => c.insert(newClient({ createdAt, expiresAt })))
        const until = new Date(stored)
        const at = new Date(stored)
        const rotated = await clients(tenant, (c) => c.rotateSecret(client.id, "ef".repeat(32), until))
        const revoked = await clients(tenant, (c) => c.revoke(client.id, at))
        await clients(tenant, (c) => c.touch(client.id, at))
        for (const date of [createdAt, expiresAt, until, at, client.createdAt, rotated!.previousSecretExpiresAt!]) {
          date.setTime(0)
        }
        revoked!.revokedAt!.setTime(0)
        ;(revoked!.scopes as Array<Scope>).push("menus:write")
        const found = await clients(tenant, (c) => c.findById(client.id))
        expect(found).toEqual({
          ...inserted(newClient({ createdAt: stored, expiresAt: stored }), client.id),
          secretHash: "ef".repeat(32),
          previousSecretHash: "ab".repeat(32),
          previousSecretExpiresAt: stored,
          revokedAt: stored,
          lastUsedAt: stored
        })
      })

      it("behaves like a simple model under any sequence of operations", async () => {
        const tenant = await newTenant("p")
        const arbOp = fc.oneof(
          fc.record({
            op: fc.constant("insert" as const),
            name: arbText,
            scopes: arbScopes,
            hash: arbHash,
            expiresAt: fc.option(arbDate, { nil: null }),
            createdAt: arbDate
          }),
          fc.record({ op: fc.constant("revoke" as const), index: fc.nat(10), at: arbDate }),
          fc.record({ op: fc.constant("rotate" as const), index: fc.nat(10), hash: arbHash, at: arbDate }),
          fc.record({ op: fc.constant("touch" as const), index: fc.nat(10), at: arbDate }),
          fc.record({ op: fc.constant("find" as const), index: fc.nat(12) }),
          fc.record({ op: fc.constant("revoked" as const) }),
          fc.record({ op: fc.constant("list" as const) })
        )
        await fc.assert(
          fc.asyncProperty(fc.array(arbOp, { maxLength: 25 }), async (ops) => {
            await inTenant(
              tenant,
              Effect.gen(function* () {
                const store = yield* OAuthClients
                // Clients of earlier runs are part of the store: the model starts from them.
                const model = new Map((yield* store.list).map((client) => [client.id, client] as const))
                const ids = modelIds(model.keys())
                const idAt = ids.at
                const modelList = () => byId(model)
                for (const op of ops) {
                  switch (op.op) {
                    case "insert": {
                      const input: NewOAuthClient = {
                        name: op.name,
                        scopes: op.scopes,
                        secretHash: op.hash,
                        expiresAt: op.expiresAt,
                        createdAt: op.createdAt
                      }
                      const record = yield* store.insert(input)
                      expect(record.id).toBeGreaterThan(Math.max(0, ...model.keys()))
                      ids.add(record.id)
                      model.set(record.id, inserted(input, record.id))
                      expect(record).toEqual(model.get(record.id))
                      break
                    }
                    case "revoke": {
                      const id = idAt(op.index)
                      const current = model.get(id)
                      if (current !== undefined && current.revokedAt === null)
                        model.set(id, { ...current, revokedAt: op.at })
                      expect(yield* store.revoke(id, op.at)).toEqual(model.get(id))
                      break
                    }
                    case "rotate": {
                      const id = idAt(op.index)
                      const current = model.get(id)
                      if (current !== undefined) {
                        model.set(id, {
                          ...current,
                          secretHash: op.hash,
                          previousSecretHash: current.secretHash,
                          previousSecretExpiresAt: op.at
                        })
                      }
                      expect(yield* store.rotateSecret(id, op.hash, op.at)).toEqual(model.get(id))
                      break
                    }
                    case "touch": {
                      const id = idAt(op.index)
                      const current = model.get(id)
                      if (current !== undefined) model.set(id, { ...current, lastUsedAt: op.at })
                      yield* store.touch(id, op.at)
                      break
                    }
                    case "find":
                      expect(yield* store.findById(idAt(op.index))).toEqual(model.get(idAt(op.index)))
                      break
                    case "revoked":
                      expect([...(yield* store.revokedIds)].sort((x, y) => x - y)).toEqual(
                        modelList()
                          .filter((client) => client.revokedAt !== null)
                          .map((client) => client.id)
                      )
                      break
                    case "list":
                      expect(yield* store.list).toEqual(modelList())
                      break
                  }
                }
                expect(yield* store.list).toEqual(modelList())
              })
            )
          }),
          { numRuns: 25 }
        )
      })
    })

    describe("signing keys", () => {
      it("inserts and lists every field, the private key opened", async () => {
        const kid = freshKid()
        const key = newSigningKey(kid)
        expect(await signing((s) => s.insert(key))).toEqual(opened(key))
        const listed = await signing((s) => s.list)
        expect(listed.find((k) => k.kid === kid)).toEqual(opened(key))
        expect(JSON.parse(listed.find((k) => k.kid === kid)!.privateJwk!)).toEqual({
          ...publicJwk(kid),
          d: privateMaterial(kid)
        })
      })

      it("lists every key by activation, then by kid", async () => {
        const prefix = freshKid("order")
        const early = new Date("2026-04-01T00:00:00.001Z")
        const late = new Date("2026-04-01T00:00:00.002Z")
        // Inserted out of order: the list's order is the store's doing.
        for (const [suffix, activatesAt] of [
          ["c", late],
          ["b", early],
          ["a", late],
          ["d", early]
        ] as const) {
          await signing((s) => s.insert(newSigningKey(`${prefix}-${suffix}`, { activatesAt })))
        }
        const listed = await signing((s) => s.list)
        expect(listed.filter((k) => k.kid.startsWith(prefix)).map((k) => k.kid)).toEqual(
          ["b", "d", "a", "c"].map((suffix) => `${prefix}-${suffix}`)
        )
        expect(listed).toEqual([...listed].sort(byActivationThenKid))
      })

      it("removes the keys named; unknown kids and an empty list remove nothing else", async () => {
        const [a, b, c] = [freshKid(), freshKid(), freshKid()]
        for (const kid of [a, b, c]) await signing((s) => s.insert(newSigningKey(kid)))
        const before = await signing((s) => s.list)
        await signing((s) => s.remove([]))
        expect(await signing((s) => s.list)).toEqual(before)
        await signing((s) => s.remove([a, freshKid("unknown"), c, a]))
        expect(await signing((s) => s.list)).toEqual(before.filter((k) => k.kid !== a && k.kid !== c))
        await signing((s) => s.remove([freshKid("unknown")]))
        expect((await signing((s) => s.list)).map((k) => k.kid)).toContain(b)
      })

      it("refuses a second key under one kid, and keeps the first", async () => {
        const kid = freshKid()
        const first = newSigningKey(kid)
        await signing((s) => s.insert(first))
        const error = await signing((s) => Effect.flip(s.insert(newSigningKey(kid, { privateJwk: "{}" }))))
        expect(error._tag).toBe("StorageError")
        expect((await signing((s) => s.list)).filter((k) => k.kid === kid)).toEqual([opened(first)])
      })

      it("hands out copies: changing a date given or answered changes nothing stored", async () => {
        const kid = freshKid()
        const stored = new Date("2026-03-04T05:06:07.891Z")
        const createdAt = new Date(stored)
        const activatesAt = new Date(stored)
        const key = await signing((s) => s.insert(newSigningKey(kid, { createdAt, activatesAt })))
        for (const date of [createdAt, activatesAt, key.createdAt, key.activatesAt]) date.setTime(0)
        const listed = (await signing((s) => s.list)).find((k) => k.kid === kid)!
        listed.createdAt.setTime(0)
        expect((await signing((s) => s.list)).find((k) => k.kid === kid)).toEqual(
          opened(newSigningKey(kid, { createdAt: stored, activatesAt: stored }))
        )
      })

      it("gives the rotation to one owner at a time, until its claim ends", async () => {
        // Far past any claim made before in this store, so the job is free at the start.
        const t0 = Date.parse("9000-01-01T00:00:00.000Z")
        const at = (ms: number) => new Date(t0 + ms)
        const [a, b] = [freshKid("owner"), freshKid("owner")]
        const claim = (owner: string, now: number, until: number) =>
          signing((s) => s.claimRotation(owner, at(now), at(until)))
        expect(await claim(a, 0, 60_000)).toBe(true)
        expect(await claim(b, 30_000, 90_000)).toBe(false)
        // The holder may claim again, and extend its claim.
        expect(await claim(a, 40_000, 100_000)).toBe(true)
        expect(await claim(b, 99_999, 200_000)).toBe(false)
        // Free at the instant the claim ends.
        expect(await claim(b, 100_000, 200_000)).toBe(true)
        expect(await claim(a, 100_001, 300_000)).toBe(false)
        expect(await claim(a, 200_001, 300_000)).toBe(true)
      })

      it("behaves like a simple model under any sequence of inserts and removals", async () => {
        // Few kids and activation times per run, so duplicates and ties are frequent.
        const arbSuffix = fc.constantFrom("a", "b", "c", "d", "e")
        const arbActivation = fc.oneof(
          fc.constantFrom(new Date("2026-09-01T00:00:00.001Z"), new Date("2026-09-01T00:00:00.002Z")),
          arbDate
        )
        const arbOp = fc.oneof(
          {
            arbitrary: fc.record({
              op: fc.constant("insert" as const),
              suffix: arbSuffix,
              createdAt: arbDate,
              activatesAt: arbActivation
            }),
            weight: 3
          },
          fc.record({
            op: fc.constant("remove" as const),
            suffixes: fc.array(fc.oneof(arbSuffix, fc.constant("unknown")), { maxLength: 4 })
          }),
          fc.record({ op: fc.constant("list" as const) })
        )
        await fc.assert(
          fc.asyncProperty(fc.array(arbOp, { maxLength: 20 }), async (ops) => {
            const prefix = freshKid("model")
            await run(
              Effect.gen(function* () {
                const store = yield* SigningKeys
                // Keys of earlier tests are part of the store: the model starts from them.
                const model = new Map((yield* store.list).map((key) => [key.kid, key] as const))
                const modelList = () => [...model.values()].sort(byActivationThenKid)
                for (const op of ops) {
                  switch (op.op) {
                    case "insert": {
                      const key = newSigningKey(`${prefix}-${op.suffix}`, {
                        createdAt: op.createdAt,
                        activatesAt: op.activatesAt
                      })
                      if (model.has(key.kid)) {
                        expect((yield* Effect.flip(store.insert(key)))._tag).toBe("StorageError")
                      } else {
                        expect(yield* store.insert(key)).toEqual(opened(key))
                        model.set(key.kid, opened(key))
                      }
                      break
                    }
                    case "remove": {
                      const kids = op.suffixes.map((suffix) => `${prefix}-${suffix}`)
                      for (const kid of kids) model.delete(kid)
                      yield* store.remove(kids)
                      break
                    }
                    case "list":
                      expect(yield* store.list).toEqual(modelList())
                      break
                  }
                }
                expect(yield* store.list).toEqual(modelList())
              })
            )
          }),
          { numRuns: 25 }
        )
      })

      it("claims the rotation as a simple model does, under any sequence of claims", async () => {
        // The claim's state carries over between runs: the model starts from a claim made after
        // every other in this store (and past the times below), so it knows the state from there.
        const base = Date.parse("9500-01-01T00:00:00.000Z")
        const owners = [freshKid("owner"), freshKid("owner"), freshKid("owner")]
        const first = { owner: owners[0]!, until: new Date(base) }
        expect(await signing((s) => s.claimRotation(first.owner, new Date(base + 10_000_000), first.until))).toBe(true)
        const model: { owner: string; until: Date } = first
        // Whole seconds (and a millisecond past some) in a narrow range: a claim often ends exactly at
        // another's `now`, where the job is free.
        const arbInstant = fc
          .tuple(fc.integer({ min: -8, max: 8 }), fc.constantFrom(0, 0, 0, 1))
          .map(([seconds, ms]) => new Date(base + seconds * 1000 + ms))
        const arbClaim = fc.record({ owner: fc.nat(2), now: arbInstant, until: arbInstant })
        await fc.assert(
          fc.asyncProperty(fc.array(arbClaim, { maxLength: 15 }), async (claims) => {
            for (const claim of claims) {
              const owner = owners[claim.owner]!
              const expected = model.until.getTime() <= claim.now.getTime() || model.owner === owner
              if (expected) {
                model.owner = owner
                model.until = claim.until
              }
              expect(await signing((s) => s.claimRotation(owner, claim.now, claim.until))).toBe(expected)
            }
          }),
          { numRuns: 20 }
        )
      })
    })
  })

/** Signing keys over one control database, as instances configured with different key rings see them. */
interface SharedControl {
  readonly name: string
  readonly setup: () => Promise<void>
  readonly teardown: () => Promise<void>
  /** Runs `f` on the signing keys of an instance configured with `keys`. */
  readonly withKeys: <A, E>(keys: KeyRing, f: (keys: SigningKeys["Service"]) => Effect.Effect<A, E>) => Promise<A>
  /** Runs a statement on the control database, past the service. */
  readonly query: (text: string) => Promise<ReadonlyArray<Record<string, unknown>>>
}

/** PGlite: one instance, and the SQL adapter's signing keys over it with one sealer or another. */
const pgliteControl = (): SharedControl => {
  let control: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown> | undefined
  const client = () => control!
  return {
    name: "PGlite",
    setup: async () => {
      control = ManagedRuntime.make(
        Layer.unwrap(Effect.map(openTestPglite(), (session) => layerPglite(session, { searchPath: "public" })))
      )
      await control.runPromise(migrateControl)
    },
    teardown: async () => control?.dispose(),
    withKeys: (keys, f) =>
      client().runPromise(
        Effect.flatMap(SigningKeys, f).pipe(Effect.provide(layerSqlSigningKeys(makeCredentialSealer(keys))))
      ),
    query: (text) => client().runPromise(Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(text)))
  }
}

/** Runs one statement on a database of the server, on a connection of its own. */
const onDatabase = async (url: string, text: string) => {
  const client = ManagedRuntime.make(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 }))
  try {
    return await client.runPromise(
      Effect.flatMap(PgClient.PgClient, (sql) => sql.unsafe<Record<string, unknown>>(text))
    )
  } finally {
    await client.dispose()
  }
}

/** PostgreSQL: a scratch database, and a whole storage layer over it for each key ring, as instances are. */
const postgresControl = (serverUrl: string): SharedControl => {
  const name = `pos_oauth_${process.pid}_${Date.now().toString(36)}`
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    name: "PostgreSQL",
    setup: async () => {
      await onDatabase(serverUrl, `CREATE DATABASE ${name}`)
    },
    teardown: async () => {
      await onDatabase(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    },
    withKeys: async (keys, f) => {
      const instance = ManagedRuntime.make(
        layerPostgresStorage({ url: Redacted.make(url.toString()), tenantPoolSize: 1, credentialKeys: keys })
      )
      try {
        return await instance.runPromise(Effect.flatMap(SigningKeys, f))
      } finally {
        await instance.dispose()
      }
    },
    query: (text) => onDatabase(url.toString(), text)
  }
}

const ring = (text: string): KeyRing => {
  const parsed = parseKeyRing(text, "CREDENTIALS_KEYS")
  if (!isKeyRing(parsed)) throw new Error(parsed.problem)
  return parsed
}
const keyText = (byte: number) => Buffer.alloc(32, byte).toString("base64")

/**
 * Private keys at rest on the SQL adapters: sealed, bound to their kid, and listed by an instance
 * that cannot open them with the reason instead of the key (they are still published), never
 * failing the list. The memory adapter keeps nothing at rest, so it has no such case.
 */
export const sealedSigningKeysContract = (adapter: "PGlite" | "PostgreSQL") => {
  const shared = adapter === "PGlite" ? pgliteControl() : postgresControl(process.env["DATABASE_URL"] ?? "")
  describe(`signing keys at rest: ${shared.name}`, () => {
    beforeAll(() => shared.setup(), 60_000)
    afterAll(() => shared.teardown())
    const first = ring(`k1:${keyText(1)}`)
    const second = ring(`k2:${keyText(2)}`)
    const missing = "CREDENTIALS_KEYS is not set"
    const none = emptyKeyRing("CREDENTIALS_KEYS", missing)
    const [underFirst, underSecond, copied, refused] = [freshKid("k1"), freshKid("k2"), freshKid("copy"), freshKid()]
    const listed = async (keys: KeyRing) => shared.withKeys(keys, (s) => s.list)
    const find = (keys: ReadonlyArray<SigningKeyRecord>, kid: string) => keys.find((k) => k.kid === kid)

    it("seals the private key under the ring's first key, and opens it with that ring", async () => {
      const key = newSigningKey(underFirst)
      expect(await shared.withKeys(first, (s) => s.insert(key))).toEqual(opened(key))
      expect(find(await listed(first), underFirst)).toEqual(opened(key))
      const rows = await shared.query(`SELECT private_jwk FROM oauth_signing_keys WHERE kid = '${underFirst}'`)
      const atRest = String(rows[0]?.["private_jwk"])
      expect(atRest.startsWith("v1.k1.")).toBe(true)
      expect(atRest).not.toContain(privateMaterial(underFirst))
    }, 30_000)

    it("lists a key sealed under a key the ring lacks, with the reason and no private key", async () => {
      await shared.withKeys(second, (s) => s.insert(newSigningKey(underSecond)))
      const bySecond = await listed(second)
      expect(find(bySecond, underSecond)).toEqual(opened(newSigningKey(underSecond)))
      const unopened = find(bySecond, underFirst)!
      expect(unopened).toEqual({
        ...opened(newSigningKey(underFirst)),
        privateJwk: null,
        privateProblem: expect.any(String)
      })
      expect(unopened.privateProblem).toContain(`'${underFirst}'`)
      expect(unopened.privateProblem).toContain("'k1'")
      expect(unopened.privateProblem).not.toContain(privateMaterial(underFirst))
      // The first instance sees the second's key the same way; a ring with both keys opens both (and,
      // starting, reseals the second's under its own first key, as every credential is resealed).
      expect(find(await listed(first), underSecond)?.privateJwk).toBeNull()
      const both = await listed(joinKeyRings(first, second))
      expect([find(both, underFirst), find(both, underSecond)]).toEqual([
        opened(newSigningKey(underFirst)),
        opened(newSigningKey(underSecond))
      ])
    }, 30_000)

    it("does not open a private key copied onto another kid", async () => {
      await shared.withKeys(first, (s) => s.insert(newSigningKey(copied)))
      await shared.query(
        `UPDATE oauth_signing_keys SET private_jwk = (SELECT private_jwk FROM oauth_signing_keys WHERE kid = '${underFirst}')
         WHERE kid = '${copied}'`
      )
      const key = find(await listed(first), copied)!
      expect(key.privateJwk).toBeNull()
      expect(key.privateProblem).toContain(`'${copied}'`)
      expect(find(await listed(first), underFirst)?.privateJwk).toBe(privateJwk(underFirst))
    }, 30_000)

    it("refuses to insert without a key to seal with, naming what is missing, and stores nothing", async () => {
      const error = await shared.withKeys(none, (s) => Effect.flip(s.insert(newSigningKey(refused))))
      expect(error).toMatchObject({ _tag: "StorageError", operation: "seal a signing key" })
      expect(String(error.cause)).toContain(missing)
      expect(String(error.cause)).toContain(`'${refused}'`)
      // Without any key, every key is still listed (to publish), none of them opened.
      const withoutKeys = await listed(none)
      expect(find(withoutKeys, refused)).toBeUndefined()
      expect(find(withoutKeys, underFirst)).toMatchObject({ privateJwk: null, publicJwk: publicJwk(underFirst) })
      expect(withoutKeys.every((k) => k.privateJwk === null && k.privateProblem !== null)).toBe(true)
    }, 30_000)
  })
}
