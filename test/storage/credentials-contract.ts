import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PgClient } from "@effect/sql-pg"
import { PGlite } from "@electric-sql/pglite"
import { Cause, Effect, Exit, type Layer, ManagedRuntime, Redacted } from "effect"
import * as fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { isKeyRing, type KeyRing, parseKeyRing } from "../../adapters/crypto/credential-sealer.ts"
import { credentialsKeyFileName } from "../../adapters/storage/pglite/credentials-key-file.ts"
import { layerPgliteStorage } from "../../adapters/storage/pglite/pglite-storage.ts"
import { layerPostgresStorage } from "../../adapters/storage/postgres/postgres-storage.ts"
import { Outlets, type StoreRow } from "../../application/ports/catalog.ts"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { type TenantRepositories, TenantStorage } from "../../application/ports/tenant-storage.ts"
import { createTenant } from "../../application/tenants/create-tenant.ts"
import { NotFound } from "../../domain/errors.ts"
import { type TenantId, tenantSchemaName } from "../../domain/tenant.ts"
import { makeScratchDatabases } from "../support/admin-cli.ts"
import { freshPgliteCluster, pgliteTemplate } from "../support/pglite-template.ts"
import { storeRow } from "./catalog-arbitraries.ts"
import { freshTenantId, storageHelpers } from "./contract.ts"

type Storage = TenantDirectory | TenantStorage

const store = (id: string): StoreRow => storeRow(id)

/** Every text a failure shows: its message, its fields, its causes. */
const failureText = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(exit) ? `${Cause.pretty(exit.cause)} ${JSON.stringify(Cause.squash(exit.cause))}` : ""

const sleep = (ms: number) => Effect.promise(() => new Promise((done) => setTimeout(done, ms)))

/** Two holders of a lock, each recording when it starts and ends. */
const twoHolders = (keys: readonly [string, string]) =>
  Effect.gen(function* () {
    const credentials = yield* PosCredentialStore
    const events: Array<string> = []
    const holder = (name: string, key: string) =>
      credentials.withLock(key)(
        Effect.gen(function* () {
          events.push(`start ${name}`)
          yield* sleep(60)
          events.push(`end ${name}`)
        })
      )
    yield* Effect.all([holder("a", keys[0]), holder("b", keys[1])], { concurrency: "unbounded" })
    return events
  })

const overlapped = (events: ReadonlyArray<string>) => events[1]?.startsWith("start") === true

const secret = "s3cret-token-Zx81"

/**
 * The POS credentials store (both levels, the lock, the reseal) from every storage adapter; on the
 * SQL ones, also what lies at rest, read past the service. `name` is the adapter's name in
 * test/support/storage-adapters.ts.
 */
export const credentialsContract = (name: string, makeLayer: () => Layer.Layer<Storage, unknown>) =>
  describe(`credentials contract: ${name}`, () => {
    const { inTenant, newTenant } = storageHelpers(name, makeLayer)
    const withStores = (tenant: TenantId, ids: ReadonlyArray<string>) =>
      inTenant(
        tenant,
        Effect.flatMap(Outlets, (outlets) => outlets.save(ids.map(store)))
      )

    it("sets, reads and overwrites credentials of outlets and of POS accounts, each apart", async () => {
      const tenant = await newTenant("c")
      await withStores(tenant, ["out_A", "out_B"])
      const seen = await inTenant(
        tenant,
        Effect.gen(function* () {
          const c = yield* PosCredentialStore
          const before = { outlet: yield* c.getOutlet("out_A"), account: yield* c.getAccount("atlas", "m-1") }
          yield* c.setOutlet("out_A", `{"token":"${secret}"}`)
          yield* c.setOutlet("out_B", '{"token":"b"}')
          yield* c.setAccount("atlas", "m-1", '{"apiKey":"one"}')
          yield* c.setAccount("atlas", "m-2", '{"apiKey":"two"}')
          yield* c.setAccount("lightspeed", "m-1", '{"refreshToken":"ls"}')
          yield* c.setOutlet("out_A", '{"token":"rotated"}')
          yield* c.setAccount("atlas", "m-1", '{"apiKey":"one-again"}')
          return {
            before,
            outletA: yield* c.getOutlet("out_A"),
            outletB: yield* c.getOutlet("out_B"),
            m1: yield* c.getAccount("atlas", "m-1"),
            m2: yield* c.getAccount("atlas", "m-2"),
            ls: yield* c.getAccount("lightspeed", "m-1"),
            none: yield* c.getAccount("atlas", "m-3")
          }
        })
      )
      expect(seen).toEqual({
        before: { outlet: undefined, account: undefined },
        outletA: '{"token":"rotated"}',
        outletB: '{"token":"b"}',
        m1: '{"apiKey":"one-again"}',
        m2: '{"apiKey":"two"}',
        ls: '{"refreshToken":"ls"}',
        none: undefined
      })
      // Another tenant sees none of them.
      const other = await newTenant("c")
      await withStores(other, ["out_A"])
      expect(
        await inTenant(
          other,
          Effect.flatMap(PosCredentialStore, (c) => Effect.all([c.getOutlet("out_A"), c.getAccount("atlas", "m-1")]))
        )
      ).toEqual([undefined, undefined])
    })

    it("deletes an outlet's or an account's credentials, and says whether there were any", async () => {
      const tenant = await newTenant("c")
      await withStores(tenant, ["out_A", "out_B"])
      const seen = await inTenant(
        tenant,
        Effect.gen(function* () {
          const c = yield* PosCredentialStore
          yield* c.setOutlet("out_A", `{"token":"${secret}"}`)
          yield* c.setOutlet("out_B", '{"token":"b"}')
          yield* c.setAccount("atlas", "m-1", '{"apiKey":"one"}')
          yield* c.setAccount("atlas", "m-2", '{"apiKey":"two"}')
          const deleted = [
            yield* c.deleteOutlet("out_A"),
            yield* c.deleteOutlet("out_A"),
            yield* c.deleteOutlet("out_nope"),
            yield* c.deleteAccount("atlas", "m-1"),
            yield* c.deleteAccount("atlas", "m-1"),
            yield* c.deleteAccount("lightspeed", "m-2")
          ]
          const after = {
            outletA: yield* c.getOutlet("out_A"),
            outletB: yield* c.getOutlet("out_B"),
            m1: yield* c.getAccount("atlas", "m-1"),
            m2: yield* c.getAccount("atlas", "m-2")
          }
          // Set again after a delete, as the first time.
          yield* c.setOutlet("out_A", '{"token":"again"}')
          return { deleted, after, again: yield* c.getOutlet("out_A") }
        })
      )
      expect(seen).toEqual({
        deleted: [true, false, false, true, false, false],
        after: { outletA: undefined, outletB: '{"token":"b"}', m1: undefined, m2: '{"apiKey":"two"}' },
        again: '{"token":"again"}'
      })
    })

    it("refuses credentials of an outlet that does not exist", async () => {
      const tenant = await newTenant("c")
      const exit = await inTenant(
        tenant,
        Effect.exit(Effect.flatMap(PosCredentialStore, (c) => c.setOutlet("out_nope", `{"token":"${secret}"}`)))
      )
      expect(exit).toEqual(Exit.fail(new NotFound({ resource: "outlet", id: "out_nope" })))
      expect(
        await inTenant(
          tenant,
          Effect.flatMap(PosCredentialStore, (c) => c.getOutlet("out_nope"))
        )
      ).toBeUndefined()
    })

    it("keeps any text, NUL and every script included", async () => {
      const tenant = await newTenant("c")
      await withStores(tenant, ["out_A"])
      const text = `{"k":"\u0000 ü 漢字 😀 \\" '"}`
      const back = await inTenant(
        tenant,
        Effect.gen(function* () {
          const c = yield* PosCredentialStore
          yield* c.setOutlet("out_A", text)
          yield* c.setAccount("p", "a'; DROP TABLE x; --", text)
          return [yield* c.getOutlet("out_A"), yield* c.getAccount("p", "a'; DROP TABLE x; --")]
        })
      )
      expect(back).toEqual([text, text])
    })

    it("serialises two holders of one lock key; what one writes inside, the next reads", async () => {
      const tenant = await newTenant("c")
      await withStores(tenant, ["out_A"])
      const events = await inTenant(tenant, twoHolders(["pos-credentials:p:account:1", "pos-credentials:p:account:1"]))
      expect(events).toHaveLength(4)
      expect(events[0]!.slice(6)).toBe(events[1]!.slice(4))
      // A read after a write inside the lock sees it (on SQL: the same transaction's connection).
      const counted = await inTenant(
        tenant,
        Effect.gen(function* () {
          const c = yield* PosCredentialStore
          yield* c.setOutlet("out_A", "0")
          const bump = c.withLock("counter")(
            Effect.gen(function* () {
              const current = Number(yield* c.getOutlet("out_A"))
              yield* sleep(10)
              yield* c.setOutlet("out_A", String(current + 1))
              return current
            })
          )
          const seen = yield* Effect.all([bump, bump, bump, bump], { concurrency: "unbounded" })
          return { seen: [...seen].sort(), final: yield* c.getOutlet("out_A") }
        })
      )
      expect(counted).toEqual({ seen: [0, 1, 2, 3], final: "4" })
    })

    it("releases a lock whose holder failed", async () => {
      const tenant = await newTenant("c")
      const exits = await inTenant(
        tenant,
        Effect.gen(function* () {
          const c = yield* PosCredentialStore
          const failed = yield* Effect.exit(c.withLock("k")(Effect.fail("boom" as const)))
          const next = yield* c.withLock("k")(Effect.succeed("next"))
          return { failed, next }
        })
      )
      expect(exits).toEqual({ failed: Exit.fail("boom"), next: "next" })
    })

    // PGlite is one session: a transaction holds it, so a lock on another key waits too (and still
    // succeeds). The PostgreSQL suite shows two keys apart with a pool of several connections.
    if (name === "memory") {
      it("does not serialise holders of two different keys", async () => {
        const tenant = await newTenant("c")
        expect(overlapped(await inTenant(tenant, twoHolders(["k1", "k2"])))).toBe(true)
      })
    } else {
      it("lets holders of two different keys both finish", async () => {
        const tenant = await newTenant("c")
        expect(await inTenant(tenant, twoHolders(["k1", "k2"]))).toHaveLength(4)
      })
    }

    it("reports every stored value sealed under the current key", async () => {
      const tenant = await newTenant("c")
      await withStores(tenant, ["out_A"])
      const report = await inTenant(
        tenant,
        Effect.gen(function* () {
          const c = yield* PosCredentialStore
          yield* c.setOutlet("out_A", "a")
          yield* c.setAccount("p", "1", "b")
          return yield* c.reseal
        })
      )
      expect(report).toEqual({
        keyId: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
        current: 2,
        resealed: 0,
        problems: []
      })
    })

    it("behaves like a simple model under any sequence of sets and reads", { timeout: 120_000 }, async () => {
      const storeIds = ["out_1", "out_2", "out_3"]
      const text = fc.string({ unit: "grapheme", maxLength: 16 })
      const arbOp = fc.oneof(
        fc.record({ op: fc.constant("outlet" as const), storeId: fc.constantFrom(...storeIds), text }),
        fc.record({
          op: fc.constant("account" as const),
          provider: fc.constantFrom("atlas", "lightspeed"),
          accountId: fc.constantFrom("1", "2", "1 "),
          text
        })
      )
      await fc.assert(
        fc.asyncProperty(fc.array(arbOp, { maxLength: 10 }), fc.integer({ min: 0, max: 3 }), async (ops, known) => {
          const tenant = await newTenant("m")
          await withStores(tenant, storeIds.slice(0, known))
          const model = new Map<string, string>()
          await inTenant(
            tenant,
            Effect.gen(function* () {
              const c = yield* PosCredentialStore
              for (const op of ops) {
                if (op.op === "outlet") {
                  const exit = yield* Effect.exit(c.setOutlet(op.storeId, op.text))
                  if (storeIds.indexOf(op.storeId) < known) {
                    expect(exit).toEqual(Exit.void)
                    model.set(`outlet ${op.storeId}`, op.text)
                  } else expect(exit).toEqual(Exit.fail(new NotFound({ resource: "outlet", id: op.storeId })))
                } else {
                  yield* c.setAccount(op.provider, op.accountId, op.text)
                  model.set(`account ${op.provider} ${op.accountId}`, op.text)
                }
              }
              for (const id of storeIds) expect(yield* c.getOutlet(id)).toEqual(model.get(`outlet ${id}`))
              for (const provider of ["atlas", "lightspeed"])
                for (const accountId of ["1", "2", "1 "])
                  expect(yield* c.getAccount(provider, accountId)).toEqual(
                    model.get(`account ${provider} ${accountId}`)
                  )
            })
          )
        }),
        { numRuns: 15 }
      )
    })

    if (name === "PGlite") atRestContract(pgliteAtRest())
    if (name === "PostgreSQL") {
      atRestContract(postgresAtRest(process.env["DATABASE_URL"] ?? ""))
      postgresInstances(process.env["DATABASE_URL"] ?? "")
    }
  })

/** A SQL storage to start and stop over the same data, and its tables read and written past the service. */
interface AtRest {
  readonly name: string
  readonly setup: () => Promise<void>
  readonly teardown: () => Promise<void>
  readonly layer: (keys: KeyRing | undefined) => Layer.Layer<Storage, unknown>
  /** Runs while the storage is stopped (PGlite) or running (PostgreSQL). */
  readonly query: (text: string, params?: ReadonlyArray<unknown>) => Promise<ReadonlyArray<Record<string, unknown>>>
  /** The files the data lies in, when the test can read them. */
  readonly files: () => ReadonlyArray<string>
  /** True when the storage makes a key of its own without configured keys (PGlite's key file). */
  readonly makesOwnKey: boolean
  /** The id of that key, once made. */
  readonly ownKeyId: () => string | undefined
}

const ring = (text: string): KeyRing => {
  const parsed = parseKeyRing(text, "CREDENTIALS_KEYS")
  if (!isKeyRing(parsed)) throw new Error(parsed.problem)
  return parsed
}
const keyText = (byte: number) => Buffer.alloc(32, byte).toString("base64")

const allFiles = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    return statSync(path).isDirectory() ? allFiles(path) : [path]
  })

const pgliteAtRest = (): AtRest => {
  let dataDir = ""
  return {
    name: "PGlite data directory",
    setup: async () => {
      dataDir = mkdtempSync(join(tmpdir(), "pos-credentials-"))
      await freshPgliteCluster(join(dataDir, "pglite"))
    },
    teardown: async () => rmSync(dataDir, { recursive: true, force: true }),
    layer: (keys) =>
      layerPgliteStorage({ dataDir, tenantPoolSize: 1, credentialKeys: keys, template: pgliteTemplate() }),
    query: async (text, params) => {
      const db = await PGlite.create(join(dataDir, "pglite"))
      try {
        return (await db.query<Record<string, unknown>>(text, params as Array<unknown>)).rows
      } finally {
        await db.close()
      }
    },
    files: () => allFiles(dataDir),
    makesOwnKey: true,
    ownKeyId: () => {
      const path = join(dataDir, credentialsKeyFileName)
      return existsSync(path) ? readFileSync(path, "utf8").split(":")[0] : undefined
    }
  }
}

const postgresAtRest = (serverUrl: string): AtRest => {
  const databases = makeScratchDatabases(serverUrl)
  let database = { name: "", url: "" }
  return {
    name: "PostgreSQL database",
    setup: async () => {
      database = await databases.create()
    },
    teardown: () => databases.close(),
    layer: (keys) =>
      layerPostgresStorage({ url: Redacted.make(database.url), tenantPoolSize: 2, credentialKeys: keys }),
    query: async (text, params) => {
      const client = ManagedRuntime.make(PgClient.layer({ url: Redacted.make(database.url), maxConnections: 1 }))
      try {
        return await client.runPromise(
          Effect.flatMap(PgClient.PgClient, (sql) =>
            sql.unsafe<Record<string, unknown>>(text, params as Array<unknown>)
          )
        )
      } finally {
        await client.dispose()
      }
    },
    files: () => [],
    makesOwnKey: false,
    ownKeyId: () => undefined
  }
}

/**
 * What lies at rest, restarts, key rotation and a lost key, on one SQL storage started and stopped
 * several times over the same data.
 */
const atRestContract = (rest: AtRest) =>
  describe(`at rest (${rest.name})`, () => {
    beforeAll(() => rest.setup(), 120_000)
    afterAll(() => rest.teardown())

    const loyaltySecret = "loyalty-credential-Qw93"
    const accountSecret = "refresh-token-Lp27"
    const tenant = freshTenantId("r")
    const schema = tenantSchemaName(tenant)
    const first = ring(`k1:${keyText(1)}`)

    /** Runs `body` on the storage started with `keys`, then stops it. */
    const withStorage = async <A>(
      keys: KeyRing | undefined,
      body: (helpers: {
        run: <B, E>(effect: Effect.Effect<B, E, Storage>) => Promise<B>
        inTenant: <B, E>(effect: Effect.Effect<B, E, TenantRepositories>) => Promise<B>
      }) => Promise<A>
    ) => {
      const runtime = ManagedRuntime.make(rest.layer(keys))
      try {
        const run = <B, E>(effect: Effect.Effect<B, E, Storage>) => runtime.runPromise(effect)
        const inTenant = <B, E>(effect: Effect.Effect<B, E, TenantRepositories>) =>
          run(
            Effect.gen(function* () {
              const found = yield* (yield* TenantDirectory).find(tenant)
              if (found === undefined) return yield* Effect.die(`no tenant ${tenant}`)
              return yield* Effect.provide(effect, (yield* TenantStorage).open(found))
            })
          )
        return await body({ run, inTenant })
      } finally {
        await runtime.dispose()
      }
    }
    const raw = async () => ({
      outlets: await rest.query(`SELECT store_id, secrets FROM ${schema}.store_credentials ORDER BY store_id`),
      accounts: await rest.query(
        `SELECT account_id, secrets FROM ${schema}.pos_account_credentials ORDER BY account_id`
      ),
      loyalty: (await rest.query("SELECT loyalty_credential FROM tenants WHERE id = $1", [tenant]))[0]?.[
        "loyalty_credential"
      ] as string | null
    })
    const sealedUnder = (keyId: string | undefined) =>
      new RegExp(`^v1\\.${keyId}\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]+$`)

    it("stores every credential sealed: the raw columns hold neither the plaintext nor any part of it", {
      timeout: 120_000
    }, async () => {
      // PGlite without configured keys makes its key file; PostgreSQL is given its keys.
      const keys = rest.makesOwnKey ? undefined : first
      await withStorage(keys, async ({ run, inTenant }) => {
        await run(
          createTenant({ id: tenant, name: "At rest", country: "SG", timezone: "Asia/Singapore", currency: "SGD" })
        )
        await run(
          Effect.flatMap(TenantDirectory, (d) =>
            d.setLoyalty(tenant, { url: null, credential: Redacted.make(loyaltySecret) })
          )
        )
        await inTenant(
          Effect.gen(function* () {
            yield* (yield* Outlets).save([store("out_A"), store("out_B")])
            const c = yield* PosCredentialStore
            yield* c.setOutlet("out_A", `{"token":"${secret}"}`)
            yield* c.setAccount("atlas", "m-1", `{"refreshToken":"${accountSecret}"}`)
          })
        )
      })
      const keyId = keys === undefined ? rest.ownKeyId() : "k1"
      expect(keyId).toMatch(/^[A-Za-z0-9_-]+$/)
      const stored = await raw()
      const values = [stored.outlets[0]?.["secrets"], stored.accounts[0]?.["secrets"], stored.loyalty]
      for (const value of values) {
        expect(value).toMatch(sealedUnder(keyId))
        for (const plain of [secret, accountSecret, loyaltySecret, "token", "refreshToken"])
          expect(String(value)).not.toContain(plain)
      }
      // Not in any file of the data directory either: the WAL, the heap, the key file.
      for (const file of rest.files()) {
        const bytes = readFileSync(file)
        for (const plain of [secret, accountSecret, loyaltySecret]) {
          expect(bytes.includes(Buffer.from(plain)), `${plain} in ${file}`).toBe(false)
        }
      }
      if (keys === undefined) {
        const keyFile = rest.files().find((file) => file.endsWith(credentialsKeyFileName))!
        expect(statSync(keyFile).mode & 0o777).toBe(0o600)
      }
    })

    it("reads them back after a restart, and reseals plain values at start-up; a value moved to another row does not open", {
      timeout: 120_000
    }, async () => {
      const keys = rest.makesOwnKey ? undefined : first
      const before = await raw()
      // A value from before encryption, a sealed value copied into another outlet's row.
      await rest.query(`UPDATE tenants SET loyalty_credential = $1 WHERE id = $2`, ["plain-loyalty", tenant])
      await rest.query(
        `INSERT INTO ${schema}.pos_account_credentials (provider, account_id, secrets, updated_at) VALUES ('atlas', 'm-2', $1, now())`,
        ['{"refreshToken":"plain-account"}']
      )
      await rest.query(`UPDATE ${schema}.store_credentials SET secrets = $1 WHERE store_id = 'out_B'`, [
        before.outlets[0]?.["secrets"]
      ])
      await withStorage(keys, async ({ run, inTenant }) => {
        const found = await run(Effect.flatMap(TenantDirectory, (d) => d.find(tenant)))
        expect(found?.loyaltyCredential === null ? null : Redacted.value(found!.loyaltyCredential)).toBe(
          "plain-loyalty"
        )
        const seen = await inTenant(
          Effect.gen(function* () {
            const c = yield* PosCredentialStore
            return {
              outlet: yield* c.getOutlet("out_A"),
              account: yield* c.getAccount("atlas", "m-1"),
              plain: yield* c.getAccount("atlas", "m-2"),
              moved: yield* Effect.exit(c.getOutlet("out_B")),
              report: yield* c.reseal
            }
          })
        )
        expect(seen.outlet).toBe(`{"token":"${secret}"}`)
        expect(seen.account).toBe(`{"refreshToken":"${accountSecret}"}`)
        expect(seen.plain).toBe('{"refreshToken":"plain-account"}')
        const moved = failureText(seen.moved)
        expect(moved).toContain("UnreadableCredentials")
        expect(moved).toContain("out_B")
        expect(moved).not.toContain(secret)
        expect(seen.report.current).toBe(3)
        expect(seen.report.problems).toHaveLength(1)
        expect(seen.report.problems[0]).toContain("out_B")
      })
      const after = await raw()
      const keyId = keys === undefined ? rest.ownKeyId() : "k1"
      expect(after.loyalty).toMatch(sealedUnder(keyId))
      expect(after.accounts.map((row) => row["secrets"])).toEqual([
        expect.stringMatching(sealedUnder(keyId)),
        expect.stringMatching(sealedUnder(keyId))
      ])
      expect(JSON.stringify(after)).not.toContain("plain-")
      // The moved value is left as it was, for an operator to set again.
      expect(after.outlets.find((row) => row["store_id"] === "out_B")?.["secrets"]).toBe(before.outlets[0]?.["secrets"])
      await rest.query(`UPDATE ${schema}.store_credentials SET secrets = NULL WHERE store_id = 'out_B'`)
    })

    it("rotates the key: a new first key reseals everything at start-up; without the old key nothing opens, and says which key", {
      timeout: 120_000
    }, async () => {
      // PGlite's key file keeps opening what it sealed; PostgreSQL is given its old key in the ring.
      const old = rest.makesOwnKey ? "" : `k1:${keyText(1)}`
      const rotated = ring([`k2:${keyText(2)}`, old].filter((entry) => entry !== "").join(","))
      await withStorage(rotated, async ({ run, inTenant }) => {
        const found = await run(Effect.flatMap(TenantDirectory, (d) => d.find(tenant)))
        expect(found?.loyaltyCredential === null ? null : Redacted.value(found!.loyaltyCredential)).toBe(
          "plain-loyalty"
        )
        const report = await inTenant(Effect.flatMap(PosCredentialStore, (c) => c.reseal))
        expect(report).toEqual({ keyId: "k2", current: 3, resealed: 0, problems: [] })
      })
      const after = await raw()
      for (const value of [after.loyalty, ...after.accounts.map((row) => row["secrets"])]) {
        expect(value).toMatch(sealedUnder("k2"))
      }
      // A ring without k2: every value names the key it needs.
      await withStorage(ring(`k3:${keyText(3)}`), async ({ run, inTenant }) => {
        const found = await run(Effect.flatMap(TenantDirectory, (d) => d.find(tenant)))
        expect(found?.loyaltyCredential).toBeNull()
        const exit = await inTenant(
          Effect.exit(Effect.flatMap(PosCredentialStore, (c) => c.getAccount("atlas", "m-1")))
        )
        const text = failureText(exit)
        expect(text).toContain("UnreadableCredentials")
        expect(text).toContain("sealed under key 'k2', which is not in CREDENTIALS_KEYS")
        expect(text).not.toContain(accountSecret)
        const report = await inTenant(Effect.flatMap(PosCredentialStore, (c) => c.reseal))
        expect(report.current).toBe(0)
        expect(report.problems).toHaveLength(3)
        for (const problem of report.problems) expect(problem).toContain("'k2'")
      })
    })
  })

/** Two service instances on one PostgreSQL database: the lock holds across them; two keys do not wait for each other. */
const postgresInstances = (serverUrl: string) =>
  describe("two instances on one PostgreSQL database", () => {
    const databases = makeScratchDatabases(serverUrl)
    const keys = ring(`k1:${keyText(9)}`)
    let url = ""
    beforeAll(async () => {
      url = (await databases.create()).url
    }, 60_000)
    afterAll(() => databases.close())

    it("serialises one key across instances and not two keys", async () => {
      const instances = [0, 1].map(() =>
        ManagedRuntime.make(layerPostgresStorage({ url: Redacted.make(url), tenantPoolSize: 3, credentialKeys: keys }))
      )
      try {
        const tenant = freshTenantId("i")
        await instances[0]!.runPromise(
          createTenant({ id: tenant, name: "Two", country: "SG", timezone: "Asia/Singapore", currency: "SGD" })
        )
        const inTenant = <A, E>(index: number, effect: Effect.Effect<A, E, TenantRepositories>) =>
          instances[index]!.runPromise(
            Effect.gen(function* () {
              const found = yield* (yield* TenantDirectory).find(tenant)
              return yield* Effect.provide(effect, (yield* TenantStorage).open(found!))
            })
          )
        const events: Array<string> = []
        const holder = (index: number, key: string) =>
          inTenant(
            index,
            Effect.flatMap(PosCredentialStore, (c) =>
              c.withLock(key)(
                Effect.gen(function* () {
                  events.push(`start ${index}`)
                  yield* sleep(150)
                  events.push(`end ${index}`)
                })
              )
            )
          )
        await Promise.all([holder(0, "same"), holder(1, "same")])
        expect(overlapped(events)).toBe(false)
        events.length = 0
        await Promise.all([holder(0, "one"), holder(1, "two")])
        expect(overlapped(events)).toBe(true)
        // What one instance sealed, the other opens.
        await inTenant(
          0,
          Effect.flatMap(PosCredentialStore, (c) => c.setAccount("p", "a", secret))
        )
        expect(
          await inTenant(
            1,
            Effect.flatMap(PosCredentialStore, (c) => c.getAccount("p", "a"))
          )
        ).toBe(secret)
      } finally {
        await Promise.all(instances.map((instance) => instance.dispose()))
      }
    }, 60_000)
  })
