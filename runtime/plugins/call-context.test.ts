import {
  MissingCredentials,
  type PluginManifest,
  type PosCallContext,
  type PosPlugin,
  PosUnavailable
} from "@pos-integration/sdk"
import { Cause, Effect, Exit, type Layer, ManagedRuntime, Redacted, Schema } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { isKeyRing, parseKeyRing } from "../../adapters/crypto/credential-sealer.ts"
import { layerPostgresStorage } from "../../adapters/storage/postgres/postgres-storage.ts"
import { Outlets, type StoreRow } from "../../application/ports/catalog.ts"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { type TenantRepositories, TenantStorage } from "../../application/ports/tenant-storage.ts"
import { createTenant } from "../../application/tenants/create-tenant.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { storeRow } from "../../test/storage/catalog-arbitraries.ts"
import { freshTenantId, storageHelpers } from "../../test/storage/contract.ts"
import { makeScratchDatabases } from "../../test/support/admin-cli.ts"
import { storageAdapters } from "../../test/support/storage-adapters.ts"
import { type CallSubject, loadPosCredentials, makePosCallContext, webhookCredentials } from "./call-context.ts"
import type { LoadedPlugin } from "./plugin-registry.ts"

/** A POS whose outlets hold an API key and whose accounts hold a single-use refresh token. */
const OutletCredentials = Schema.Struct({
  apiKey: Schema.String,
  region: Schema.String.pipe(Schema.withDecodingDefaultKey(Effect.succeed("eu")))
})
const AccountCredentials = Schema.Struct({ clientSecret: Schema.String, refreshToken: Schema.String })
type AccountCredentials = typeof AccountCredentials.Type

const pluginWith = (id: string, account: Schema.Codec<unknown, unknown> | null): LoadedPlugin => {
  const manifest: PluginManifest = {
    id,
    displayName: "Test POS",
    version: "1.0.0",
    sdkVersion: 2,
    capabilities: ["outlets"]
  }
  // Only the manifest and the credential Schemas take part in building a call context.
  const plugin = { manifest, credentials: { outlet: OutletCredentials, account } } as unknown as PosPlugin<unknown>
  return { plugin, manifest, source: "test" }
}
const loaded = pluginWith("testpos", AccountCredentials as Schema.Codec<unknown, unknown>)
const outletOnly = pluginWith("testpos", null)

const apiKey = "sk_live_outlet_91f2"
const clientSecret = "client-secret-77aa"
const outletText = JSON.stringify({ apiKey, region: "ap" })
const accountText = (refreshToken: string) => JSON.stringify({ clientSecret, refreshToken })

const store = (id: string, accountId: string | null): StoreRow => ({
  ...storeRow(id),
  provider: "testpos",
  externalId: `ext-${id}`,
  identifiers: { locationId: `loc-${id}` },
  accountId
})

const http = Effect.runSync(HttpClient.HttpClient.pipe(Effect.provide(FetchHttpClient.layer)))

/** Everything a failure shows. */
const failureText = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(exit) ? `${Cause.pretty(exit.cause)} ${JSON.stringify(Cause.squash(exit.cause))}` : ""

const sleep = (ms: number) => Effect.promise(() => new Promise((done) => setTimeout(done, ms)))

/**
 * Spends the account's refresh token once: records the token it was given, waits (so a second
 * rotation without the lock would read the same token), answers the next one.
 */
const spendOnce = (spent: Array<string>) => (context: PosCallContext<unknown, unknown>) =>
  context.vault.account.rotate((current) =>
    Effect.gen(function* () {
      const token = (current as AccountCredentials).refreshToken
      spent.push(token)
      yield* sleep(80)
      const next = Number(token.slice(3)) + 1
      return { value: token, credentials: { ...(current as AccountCredentials), refreshToken: `rt-${next}` } }
    })
  )

for (const adapter of storageAdapters()) {
  ;(adapter.available ? describe : describe.skip)(
    `call context (${adapter.name}${adapter.available ? "" : ", SKIPPED: DATABASE_URL is not set"})`,
    () => {
      const { inTenant, newTenant } = storageHelpers(adapter.name, adapter.layer)
      /** A tenant with outlet A (account acc-1, credentials at both levels) and outlet B (no account, none). */
      const setUp = async () => {
        const tenant = await newTenant("x")
        await inTenant(
          tenant,
          Effect.gen(function* () {
            yield* (yield* Outlets).save([store("out_A", "acc-1"), store("out_B", null)])
            const credentials = yield* PosCredentialStore
            yield* credentials.setOutlet("out_A", outletText)
            yield* credentials.setAccount("testpos", "acc-1", accountText("rt-0"))
          })
        )
        return tenant
      }
      const contextOf = (subject: CallSubject, plugin = loaded) => makePosCallContext(plugin, subject, http)

      it("hands an outlet's call its outlet, account and both levels of credentials, decoded", async () => {
        const tenant = await setUp()
        const context = await inTenant(tenant, contextOf({ store: store("out_A", "acc-1") }))
        expect(context.outlet).toEqual({ externalId: "ext-out_A", identifiers: { locationId: "loc-out_A" } })
        expect(context.accountId).toBe("acc-1")
        expect(context.credentials).toEqual({
          outlet: { apiKey, region: "ap" },
          account: { clientSecret, refreshToken: "rt-0" }
        })
        expect(context.http).toBe(http)
        // An account's call: no outlet, no outlet credentials.
        const forAccount = await inTenant(tenant, contextOf({ accountId: "acc-1" }))
        expect(forAccount.outlet).toBeNull()
        expect(forAccount.accountId).toBe("acc-1")
        expect(forAccount.credentials).toEqual({ outlet: null, account: { clientSecret, refreshToken: "rt-0" } })
        // An outlet without an account, or a plugin without the account level: null.
        const noAccount = await inTenant(tenant, contextOf({ store: store("out_B", null) }))
        expect(noAccount).toMatchObject({ accountId: null, credentials: { outlet: null, account: null } })
        const noLevel = await inTenant(tenant, contextOf({ store: store("out_A", "acc-1") }, outletOnly))
        expect(noLevel.credentials).toEqual({ outlet: { apiKey, region: "ap" }, account: null })
      })

      it("saves credentials through the vault encoded with the plugin's Schema, for this call and the next", async () => {
        const tenant = await setUp()
        const saved = await inTenant(
          tenant,
          Effect.gen(function* () {
            const context = yield* contextOf({ store: store("out_B", null) })
            yield* context.vault.outlet.save({ apiKey: "new-key", region: "us" })
            const next = yield* contextOf({ store: store("out_B", null) })
            const stored = yield* (yield* PosCredentialStore).getOutlet("out_B")
            return { now: context.credentials.outlet, next: next.credentials.outlet, stored }
          })
        )
        expect(saved.now).toEqual({ apiKey: "new-key", region: "us" })
        expect(saved.next).toEqual({ apiKey: "new-key", region: "us" })
        expect(JSON.parse(saved.stored ?? "null")).toEqual({ apiKey: "new-key", region: "us" })
      })

      it("rotates a single-use secret: the stored value is read afresh inside the lock and replaced", async () => {
        const tenant = await setUp()
        const spent: Array<string> = []
        const result = await inTenant(
          tenant,
          Effect.gen(function* () {
            const context = yield* contextOf({ store: store("out_A", "acc-1") })
            // Stored meanwhile by another call: the rotation must use this one, not the context's copy.
            yield* (yield* PosCredentialStore).setAccount("testpos", "acc-1", accountText("rt-5"))
            const value = yield* spendOnce(spent)(context)
            return { value, now: context.credentials.account }
          })
        )
        expect(spent).toEqual(["rt-5"])
        expect(result).toEqual({ value: "rt-5", now: { clientSecret, refreshToken: "rt-6" } })
      })

      it("runs two concurrent rotations one after the other: each token is spent once, in order", async () => {
        const tenant = await setUp()
        const spent: Array<string> = []
        const rotation = Effect.flatMap(contextOf({ accountId: "acc-1" }), spendOnce(spent))
        const values = await inTenant(tenant, Effect.all([rotation, rotation], { concurrency: "unbounded" }))
        expect(spent).toEqual(["rt-0", "rt-1"])
        expect([...values].sort()).toEqual(["rt-0", "rt-1"])
        const stored = await inTenant(
          tenant,
          Effect.flatMap(PosCredentialStore, (c) => c.getAccount("testpos", "acc-1"))
        )
        expect(JSON.parse(stored ?? "null")).toEqual({ clientSecret, refreshToken: "rt-2" })
      })

      it("keeps the stored credentials when the plugin's use fails, and releases the lock", async () => {
        const tenant = await setUp()
        const outcome = await inTenant(
          tenant,
          Effect.gen(function* () {
            const context = yield* contextOf({ accountId: "acc-1" })
            const failed = yield* Effect.exit(
              context.vault.account.rotate(() => Effect.fail(new PosUnavailable({ reason: "token endpoint down" })))
            )
            const next = yield* spendOnce([])(context)
            return { failed, next }
          })
        )
        expect(outcome.failed).toEqual(Exit.fail(new PosUnavailable({ reason: "token endpoint down" })))
        expect(outcome.next).toBe("rt-0")
      })

      it("answers MissingCredentials for a level the call has none of, and refuses to save one", async () => {
        const tenant = await setUp()
        const exits = await inTenant(
          tenant,
          Effect.gen(function* () {
            const unset = yield* contextOf({ store: store("out_B", null) })
            const account = yield* contextOf({ accountId: "acc-9" })
            const noLevel = yield* contextOf({ store: store("out_A", "acc-1") }, outletOnly)
            const use = () => Effect.succeed({ value: 1, credentials: {} })
            return {
              unsetOutlet: yield* Effect.exit(unset.vault.outlet.rotate(use)),
              noAccountOnOutlet: yield* Effect.exit(unset.vault.account.rotate(use)),
              unknownAccount: yield* Effect.exit(account.vault.account.rotate(use)),
              outletOfAccountCall: yield* Effect.exit(account.vault.outlet.rotate(use)),
              noLevel: yield* Effect.exit(noLevel.vault.account.rotate(use)),
              saveNoLevel: yield* Effect.exit(noLevel.vault.account.save({ clientSecret, refreshToken: "x" })),
              saveOutletOfAccountCall: yield* Effect.exit(account.vault.outlet.save({ apiKey, region: "eu" }))
            }
          })
        )
        const missing = (exit: Exit.Exit<unknown, unknown>, level: string, words: string) => {
          expect(exit).toMatchObject({ _tag: "Failure" })
          const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)
          expect(error).toBeInstanceOf(MissingCredentials)
          expect(error).toMatchObject({ level })
          expect((error as MissingCredentials).reason).toContain(words)
        }
        missing(exits.unsetOutlet, "outlet", "no outlet credentials are set")
        missing(exits.noAccountOnOutlet, "account", "names no POS account")
        missing(exits.unknownAccount, "account", "no account credentials are set")
        missing(exits.outletOfAccountCall, "outlet", "concerns a POS account")
        missing(exits.noLevel, "account", "no account-level credentials")
        expect(Cause.squash((exits.saveNoLevel as Exit.Failure<unknown, unknown>).cause)).toBeInstanceOf(PosUnavailable)
        expect(Cause.squash((exits.saveOutletOfAccountCall as Exit.Failure<unknown, unknown>).cause)).toBeInstanceOf(
          PosUnavailable
        )
      })

      it("names the level of stored credentials that no longer decode, never their value; no failure quotes a secret", async () => {
        const tenant = await setUp()
        const exits = await inTenant(
          tenant,
          Effect.gen(function* () {
            const credentials = yield* PosCredentialStore
            const context = yield* contextOf({ store: store("out_A", "acc-1") })
            const badSave = yield* Effect.exit(context.vault.outlet.save({ apiKey: [apiKey, clientSecret] }))
            const badRotation = yield* Effect.exit(
              context.vault.account.rotate(() =>
                Effect.succeed({ value: 1, credentials: { refreshToken: 42, clientSecret: [clientSecret] } })
              )
            )
            const afterBadRotation = yield* credentials.getAccount("testpos", "acc-1")
            yield* credentials.setOutlet("out_A", JSON.stringify({ apiKey: [apiKey] }))
            yield* credentials.setAccount("testpos", "acc-1", `{"refreshToken": "${clientSecret}"`)
            return {
              badSave,
              badRotation,
              afterBadRotation,
              outlet: yield* Effect.exit(contextOf({ store: store("out_A", "acc-1") })),
              account: yield* Effect.exit(contextOf({ accountId: "acc-1" })),
              webhook: yield* Effect.exit(webhookCredentials(loaded, { store: store("out_A", "acc-1") }))
            }
          })
        )
        expect(failureText(exits.badSave)).toContain("apiKey")
        expect(failureText(exits.badRotation)).toContain("refreshToken")
        expect(JSON.parse(exits.afterBadRotation ?? "null")).toEqual({ clientSecret, refreshToken: "rt-0" })
        expect(failureText(exits.outlet)).toContain("UnreadableCredentials")
        expect(failureText(exits.outlet)).toContain("the stored outlet credentials no longer match")
        expect(failureText(exits.outlet)).toContain("apiKey")
        expect(failureText(exits.account)).toContain("the stored account credentials are not JSON")
        expect(failureText(exits.webhook)).toContain("StorageError")
        for (const exit of Object.values(exits)) {
          if (!Exit.isExit(exit)) continue
          const text = failureText(exit)
          expect(text).not.toContain(apiKey)
          expect(text).not.toContain(clientSecret)
        }
      })

      it("loads the credentials a webhook is verified with, at both levels", async () => {
        const tenant = await setUp()
        const [outlet, account, none] = await inTenant(
          tenant,
          Effect.all([
            webhookCredentials(loaded, { store: store("out_A", "acc-1") }),
            webhookCredentials(loaded, { accountId: "acc-1" }),
            loadPosCredentials(loaded, { accountId: "acc-2" })
          ])
        )
        expect(outlet).toEqual({ outlet: { apiKey, region: "ap" }, account: { clientSecret, refreshToken: "rt-0" } })
        expect(account).toEqual({ outlet: null, account: { clientSecret, refreshToken: "rt-0" } })
        expect(none).toEqual({ outlet: null, account: null })
      })
    }
  )
}

const serverUrl = process.env["DATABASE_URL"]
const onServer = serverUrl !== undefined && serverUrl !== "" ? describe : describe.skip
onServer(
  `call context on two instances of the service (PostgreSQL)${onServer === describe ? "" : ", SKIPPED: DATABASE_URL is not set"}`,
  () => {
    const databases = makeScratchDatabases(serverUrl ?? "")
    const parsed = parseKeyRing(`k1:${Buffer.alloc(32, 5).toString("base64")}`, "CREDENTIALS_KEYS")
    const keys = isKeyRing(parsed) ? parsed : undefined
    let instances: Array<ManagedRuntime.ManagedRuntime<TenantDirectory | TenantStorage, unknown>> = []
    beforeAll(async () => {
      const { url } = await databases.create()
      instances = [0, 1].map(() =>
        ManagedRuntime.make(
          layerPostgresStorage({ url: Redacted.make(url), tenantPoolSize: 2, credentialKeys: keys }) as Layer.Layer<
            TenantDirectory | TenantStorage,
            unknown
          >
        )
      )
    }, 60_000)
    afterAll(async () => {
      await Promise.all(instances.map((instance) => instance.dispose()))
      await databases.close()
    })
    const inTenant = <A, E>(index: number, tenant: TenantId, effect: Effect.Effect<A, E, TenantRepositories>) =>
      instances[index]!.runPromise(
        Effect.gen(function* () {
          const found = yield* (yield* TenantDirectory).find(tenant)
          return yield* Effect.provide(effect, (yield* TenantStorage).open(found!))
        })
      )

    it("spends a refresh token once when two instances rotate it at the same time", async () => {
      const tenant = freshTenantId("two")
      await instances[0]!.runPromise(
        createTenant({ id: tenant, name: "Two", country: "SG", timezone: "Asia/Singapore", currency: "SGD" })
      )
      await inTenant(
        0,
        tenant,
        Effect.flatMap(PosCredentialStore, (c) => c.setAccount("testpos", "acc-1", accountText("rt-0")))
      )
      const spent: Array<string> = []
      const rotate = (index: number) =>
        inTenant(
          index,
          tenant,
          Effect.flatMap(makePosCallContext(loaded, { accountId: "acc-1" }, http), spendOnce(spent))
        )
      const values = await Promise.all([rotate(0), rotate(1), rotate(0)])
      expect(spent).toEqual(["rt-0", "rt-1", "rt-2"])
      expect([...values].sort()).toEqual(["rt-0", "rt-1", "rt-2"])
      const stored = await inTenant(
        1,
        tenant,
        Effect.flatMap(PosCredentialStore, (c) => c.getAccount("testpos", "acc-1"))
      )
      expect(JSON.parse(stored ?? "null")).toEqual({ clientSecret, refreshToken: "rt-3" })
    }, 60_000)
  }
)
