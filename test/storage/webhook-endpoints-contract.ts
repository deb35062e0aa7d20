import { PgClient } from "@effect/sql-pg"
import { Cause, Effect, Exit, Layer, ManagedRuntime, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import * as fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  isKeyRing,
  joinKeyRings,
  type KeyRing,
  makeCredentialSealer,
  parseKeyRing
} from "../../adapters/crypto/credential-sealer.ts"
import { layerPglite } from "../../adapters/storage/pglite/pglite-client.ts"
import { migrateTenant } from "../../adapters/storage/sql/migrations.ts"
import { layerSqlWebhookEndpoints } from "../../adapters/storage/sql/sql-webhook-endpoints.ts"
import type { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import type { TenantStorage } from "../../application/ports/tenant-storage.ts"
import { WebhookEndpoints } from "../../application/ports/webhook-endpoints.ts"
import type { TenantId } from "../../domain/tenant.ts"
import {
  clientOwner,
  keyOwner,
  type NewWebhookEndpoint,
  type WebhookEndpointChange,
  type WebhookEndpointRecord,
  type WebhookEventType,
  type WebhookOwner,
  webhookEventTypes
} from "../../domain/webhook-endpoint.ts"
import { makeScratchDatabases } from "../support/admin-cli.ts"
import { openTestPglite } from "../support/pglite-template.ts"
import { arbText } from "./catalog-arbitraries.ts"
import { storageHelpers } from "./contract.ts"

type Storage = TenantDirectory | TenantStorage

/** An endpoint id (`whe_` and 32 hex digits) from a number. */
const endpointId = (n: number) => `whe_${n.toString(16).padStart(32, "0")}`

/** Instants with milliseconds: a store that kept seconds only, or microseconds, would show here. */
const arbDate = fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }).map((ms) => new Date(ms))
const arbEventTypes = fc.uniqueArray(fc.constantFrom(...webhookEventTypes), { maxLength: 3 })
const arbSecret = fc.stringMatching(/^whsec_[A-Za-z0-9+/]{32}$/)
const arbUrl = fc.oneof(fc.webUrl(), fc.constantFrom("https://partner.example/hooks", "http://127.0.0.1:9/h"))

const createdAt = new Date("2026-02-03T04:05:06.789Z")

const newEndpoint = (id: string, overrides: Partial<NewWebhookEndpoint> = {}): NewWebhookEndpoint => ({
  id,
  owners: [keyOwner(7)],
  url: "https://partner.example/hooks",
  eventTypes: ["order.created", "order.status_changed"],
  description: "orders to the kitchen screen",
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  createdAt,
  ...overrides
})

/** What a newly inserted endpoint is, by the port's promise: enabled, no previous secret. */
const inserted = (input: NewWebhookEndpoint): WebhookEndpointRecord => ({
  ...input,
  enabled: true,
  disabledReason: null,
  previousSecret: null,
  previousSecretExpiresAt: null,
  updatedAt: input.createdAt
})

/** The port's order: by creation, then id (byte-wise, as the ids are ASCII). */
const byCreationThenId = (a: WebhookEndpointRecord, b: WebhookEndpointRecord) =>
  a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** A change applied as the port promises: the fields given, `updatedAt` to `at`. */
const applied = (endpoint: WebhookEndpointRecord, change: WebhookEndpointChange, at: Date): WebhookEndpointRecord => ({
  ...endpoint,
  ...change,
  updatedAt: at
})

/**
 * The webhook endpoints store (application/ports/webhook-endpoints.ts) on every storage adapter,
 * through a tenant's repositories, and compared with a simple model under random operations. The
 * suite's tests share one store; each works on tenants of its own.
 */
export const webhookEndpointsContract = (name: string, makeLayer: () => Layer.Layer<Storage, unknown>) =>
  describe(`webhook endpoints contract: ${name}`, () => {
    const { inTenant, newTenant } = storageHelpers(name, makeLayer)
    const endpoints = <A, E>(tenant: TenantId, f: (store: WebhookEndpoints["Service"]) => Effect.Effect<A, E>) =>
      inTenant(tenant, Effect.flatMap(WebhookEndpoints, f))

    it("inserts an endpoint enabled, with no previous secret, and reads back every field", async () => {
      const tenant = await newTenant("w")
      const input = newEndpoint(endpointId(1), { owners: [keyOwner(7), clientOwner(3)] })
      const record = await endpoints(tenant, (s) => s.insert(input))
      expect(record).toEqual(inserted(input))
      expect(await endpoints(tenant, (s) => s.findById(input.id))).toEqual(inserted(input))
      // No event types: every one; an empty description.
      const every = newEndpoint(endpointId(2), { eventTypes: [], description: "", createdAt: new Date(createdAt) })
      expect(await endpoints(tenant, (s) => s.insert(every))).toEqual(inserted(every))
      expect(await endpoints(tenant, (s) => s.list())).toEqual([inserted(input), inserted(every)])
      expect(await endpoints(tenant, (s) => s.findById(endpointId(99)))).toBeUndefined()
    })

    it("refuses a second endpoint under one id, and keeps the first", async () => {
      const tenant = await newTenant("w")
      const first = newEndpoint(endpointId(1))
      await endpoints(tenant, (s) => s.insert(first))
      const error = await endpoints(tenant, (s) =>
        Effect.flip(s.insert(newEndpoint(endpointId(1), { url: "https://other.example/h" })))
      )
      expect(error._tag).toBe("StorageError")
      expect(await endpoints(tenant, (s) => s.list())).toEqual([inserted(first)])
    })

    it("lists by creation then id, every endpoint or those an owner owns", async () => {
      const tenant = await newTenant("w")
      const early = new Date("2026-01-01T00:00:00.001Z")
      const late = new Date("2026-01-01T00:00:00.002Z")
      const [a, b, c, d] = [
        newEndpoint(endpointId(0xb), { createdAt: late, owners: [keyOwner(1)] }),
        newEndpoint(endpointId(0xa), { createdAt: late, owners: [keyOwner(2), keyOwner(1)] }),
        newEndpoint(endpointId(0xc), { createdAt: early, owners: [clientOwner(1)] }),
        newEndpoint(endpointId(0xd), { createdAt: early, owners: [keyOwner(2)] })
      ]
      for (const input of [a, b, c, d]) await endpoints(tenant, (s) => s.insert(input))
      expect(await endpoints(tenant, (s) => s.list())).toEqual([c, d, b, a].map(inserted))
      expect(await endpoints(tenant, (s) => s.list(keyOwner(1)))).toEqual([b, a].map(inserted))
      expect(await endpoints(tenant, (s) => s.list(keyOwner(2)))).toEqual([d, b].map(inserted))
      expect(await endpoints(tenant, (s) => s.list(clientOwner(1)))).toEqual([inserted(c)])
      // The same number under the other kind of owner is another owner.
      expect(await endpoints(tenant, (s) => s.list(clientOwner(2)))).toEqual([])
      expect(await endpoints(tenant, (s) => s.list(keyOwner(3)))).toEqual([])
    })

    it("updates each field alone and all together, keeping the others; an unknown endpoint answers undefined", async () => {
      const tenant = await newTenant("w")
      const record = inserted(await endpoints(tenant, (s) => s.insert(newEndpoint(endpointId(1)))))
      const changes: ReadonlyArray<WebhookEndpointChange> = [
        { url: "https://partner.example/v2" },
        { eventTypes: ["menu.published"] },
        { eventTypes: [] },
        { description: "menus only" },
        { enabled: false },
        { disabledReason: "failing for a day" },
        {},
        { enabled: true, disabledReason: null },
        {
          url: "https://partner.example/v3",
          eventTypes: ["sync.failed", "order.failed"],
          description: "",
          enabled: false,
          disabledReason: "disabled by an operator"
        }
      ]
      let expected = record
      for (const [index, change] of changes.entries()) {
        const at = new Date(Date.UTC(2026, 3, 1, 0, 0, index, 100 + index))
        expected = applied(expected, change, at)
        expect(await endpoints(tenant, (s) => s.update(record.id, change, at))).toEqual(expected)
        expect(await endpoints(tenant, (s) => s.findById(record.id))).toEqual(expected)
      }
      expect(await endpoints(tenant, (s) => s.update(endpointId(99), { enabled: false }, new Date()))).toBeUndefined()
      expect(await endpoints(tenant, (s) => s.list())).toEqual([expected])
    })

    it("keeps the disabled reason when a change leaves it out, and clears it when it is null", async () => {
      const tenant = await newTenant("w")
      const { id } = await endpoints(tenant, (s) => s.insert(newEndpoint(endpointId(1))))
      const at = new Date("2026-05-01T00:00:00.001Z")
      await endpoints(tenant, (s) => s.update(id, { enabled: false, disabledReason: "paused by the partner" }, at))
      const kept = await endpoints(tenant, (s) => s.update(id, { description: "still paused" }, at))
      expect(kept?.disabledReason).toBe("paused by the partner")
      const enabled = await endpoints(tenant, (s) => s.update(id, { enabled: true }, at))
      expect(enabled).toMatchObject({ enabled: true, disabledReason: "paused by the partner" })
      const cleared = await endpoints(tenant, (s) => s.update(id, { disabledReason: null }, at))
      expect(cleared).toMatchObject({ enabled: true, disabledReason: null, description: "still paused" })
      expect(await endpoints(tenant, (s) => s.findById(id))).toEqual(cleared)
    })

    it("rotates a secret: the current one becomes the previous until the given time, and the oldest is dropped", async () => {
      const tenant = await newTenant("w")
      const first = "whsec_Zmlyc3Qtc2VjcmV0LW9mLXRoZS1lbmRwb2ludA"
      const record = await endpoints(tenant, (s) => s.insert(newEndpoint(endpointId(1), { secret: first })))
      const [until, at] = [new Date("2026-07-02T00:00:00.456Z"), new Date("2026-07-01T00:00:00.123Z")]
      const [later, laterAt] = [new Date("2026-08-02T00:00:00.789Z"), new Date("2026-08-01T00:00:00.321Z")]
      const once = await endpoints(tenant, (s) => s.rotateSecret(record.id, "whsec_second", until, at))
      expect(once).toEqual({
        ...record,
        secret: "whsec_second",
        previousSecret: first,
        previousSecretExpiresAt: until,
        updatedAt: at
      })
      expect(await endpoints(tenant, (s) => s.findById(record.id))).toEqual(once)
      const twice = await endpoints(tenant, (s) => s.rotateSecret(record.id, "whsec_third", later, laterAt))
      expect(twice).toEqual({
        ...record,
        secret: "whsec_third",
        previousSecret: "whsec_second",
        previousSecretExpiresAt: later,
        updatedAt: laterAt
      })
      expect(await endpoints(tenant, (s) => s.list())).toEqual([twice])
      expect(
        await endpoints(tenant, (s) => s.rotateSecret(endpointId(99), "whsec_fourth", later, laterAt))
      ).toBeUndefined()
    })

    it("loses no rotation when two run at once: the later one keeps the earlier one's secret as previous", async () => {
      const tenant = await newTenant("w")
      const { id, secret } = await endpoints(tenant, (s) => s.insert(newEndpoint(endpointId(1))))
      let current = secret
      for (let round = 0; round < 5; round++) {
        const at = new Date(Date.UTC(2026, 6, 1, 0, 0, round))
        const [a, b] = [`whsec_a${round}`, `whsec_b${round}`]
        const answers = await endpoints(tenant, (s) =>
          Effect.all([s.rotateSecret(id, a, at, at), s.rotateSecret(id, b, at, at)], { concurrency: "unbounded" })
        )
        const found = (await endpoints(tenant, (s) => s.findById(id)))!
        // One order or the other, each answer as its rotation left the endpoint: never both from `current`.
        const [earlier, later] = found.secret === b ? [a, b] : [b, a]
        expect([found.secret, found.previousSecret]).toEqual([later, earlier])
        expect(answers.map((answer) => [answer?.secret, answer?.previousSecret])).toEqual(
          found.secret === b
            ? [
                [a, current],
                [b, a]
              ]
            : [
                [a, b],
                [b, current]
              ]
        )
        current = found.secret
      }
    })

    it("removes an endpoint once: true, then false; an unknown one is false", async () => {
      const tenant = await newTenant("w")
      const [kept, gone] = [newEndpoint(endpointId(1)), newEndpoint(endpointId(2))]
      for (const input of [kept, gone]) await endpoints(tenant, (s) => s.insert(input))
      expect(await endpoints(tenant, (s) => s.remove(gone.id))).toBe(true)
      expect(await endpoints(tenant, (s) => s.remove(gone.id))).toBe(false)
      expect(await endpoints(tenant, (s) => s.remove(endpointId(99)))).toBe(false)
      expect(await endpoints(tenant, (s) => s.findById(gone.id))).toBeUndefined()
      expect(await endpoints(tenant, (s) => s.list())).toEqual([inserted(kept)])
      // The id is free again.
      expect(await endpoints(tenant, (s) => s.insert(gone))).toEqual(inserted(gone))
    })

    it("adds an owner to every endpoint the existing one owns, once, after the owners it had", async () => {
      const tenant = await newTenant("w")
      const [old, added, other] = [keyOwner(1), keyOwner(2), clientOwner(1)]
      const inputs = [
        newEndpoint(endpointId(1), { owners: [other, old] }),
        newEndpoint(endpointId(2), { owners: [old] }),
        newEndpoint(endpointId(3), { owners: [other] }),
        newEndpoint(endpointId(4), { owners: [added, old] })
      ]
      for (const input of inputs) await endpoints(tenant, (s) => s.insert(input))
      expect(await endpoints(tenant, (s) => s.addOwner(old, added))).toBe(2)
      const owners = async () => (await endpoints(tenant, (s) => s.list())).map((e) => e.owners)
      expect(await owners()).toEqual([[other, old, added], [old, added], [other], [added, old]])
      // Again: every endpoint has it already.
      expect(await endpoints(tenant, (s) => s.addOwner(old, added))).toBe(0)
      expect(await endpoints(tenant, (s) => s.addOwner(keyOwner(9), added))).toBe(0)
      expect(await endpoints(tenant, (s) => s.addOwner(old, old))).toBe(0)
      expect(await owners()).toEqual([[other, old, added], [old, added], [other], [added, old]])
      expect((await endpoints(tenant, (s) => s.list(added))).map((e) => e.id)).toEqual(
        [1, 2, 4].map((n) => endpointId(n))
      )
      // Nothing else of an endpoint changes, its update time neither.
      expect(await endpoints(tenant, (s) => s.findById(endpointId(2)))).toEqual(
        inserted(newEndpoint(endpointId(2), { owners: [old, added] }))
      )
    })

    it("keeps each tenant's endpoints apart", async () => {
      const a = await newTenant("a")
      const b = await newTenant("b")
      const input = newEndpoint(endpointId(1))
      await endpoints(a, (s) => s.insert(input))
      expect(await endpoints(b, (s) => s.findById(input.id))).toBeUndefined()
      expect(await endpoints(b, (s) => s.list())).toEqual([])
      expect(await endpoints(b, (s) => s.addOwner(input.owners[0]!, keyOwner(99)))).toBe(0)
      expect(await endpoints(b, (s) => s.remove(input.id))).toBe(false)
      // The same id in another tenant is another endpoint.
      const theirs = newEndpoint(endpointId(1), { secret: "whsec_of_tenant_b" })
      expect(await endpoints(b, (s) => s.insert(theirs))).toEqual(inserted(theirs))
      expect(await endpoints(a, (s) => s.list())).toEqual([inserted(input)])
    })

    it("hands out copies: changing a date or an array given or answered changes nothing stored", async () => {
      const tenant = await newTenant("w")
      const stored = new Date("2026-01-02T03:04:05.678Z")
      const input = {
        ...newEndpoint(endpointId(1)),
        owners: [keyOwner(1)] as Array<WebhookOwner>,
        eventTypes: ["order.created"] as Array<WebhookEventType>,
        createdAt: new Date(stored)
      }
      const record = await endpoints(tenant, (s) => s.insert(input))
      const until = new Date(stored)
      const at = new Date(stored)
      const rotated = await endpoints(tenant, (s) => s.rotateSecret(input.id, "whsec_next", until, at))
      const updated = await endpoints(tenant, (s) => s.update(input.id, { description: "changed" }, at))
      for (const date of [input.createdAt, until, at, record.createdAt, record.updatedAt]) date.setTime(0)
      for (const date of [rotated!.previousSecretExpiresAt!, updated!.updatedAt, updated!.createdAt]) date.setTime(0)
      input.owners.push(keyOwner(2))
      input.eventTypes.push("menu.published")
      ;(record.owners as Array<WebhookOwner>).push(keyOwner(3))
      ;(updated!.eventTypes as Array<WebhookEventType>).push("sync.failed")
      ;((await endpoints(tenant, (s) => s.list()))[0]!.owners as Array<WebhookOwner>).push(keyOwner(4))
      expect(await endpoints(tenant, (s) => s.findById(input.id))).toEqual({
        ...inserted(newEndpoint(endpointId(1), { owners: [keyOwner(1)], eventTypes: ["order.created"] })),
        description: "changed",
        secret: "whsec_next",
        previousSecret: newEndpoint(endpointId(1)).secret,
        previousSecretExpiresAt: stored,
        createdAt: stored,
        updatedAt: stored
      })
    })

    it("behaves like a simple model under any sequence of operations", async () => {
      const tenant = await newTenant("p")
      const owners = [keyOwner(1), keyOwner(2), clientOwner(1), clientOwner(2)]
      const arbOwner = fc.constantFrom(...owners)
      // 0 to 3 name endpoints a run may insert; 4 is never inserted.
      const arbIndex = fc.nat(4)
      // Two fixed instants beside random ones, so equal creation times come up often.
      const arbCreatedAt = fc.oneof(
        fc.constantFrom(new Date("2026-09-01T00:00:00.001Z"), new Date("2026-09-01T00:00:00.002Z")),
        arbDate
      )
      const arbChange: fc.Arbitrary<WebhookEndpointChange> = fc.record(
        {
          url: arbUrl,
          eventTypes: arbEventTypes,
          description: arbText,
          enabled: fc.boolean(),
          disabledReason: fc.option(arbText, { nil: null })
        },
        { requiredKeys: [] }
      )
      const arbOp = fc.oneof(
        {
          arbitrary: fc.record({
            op: fc.constant("insert" as const),
            index: fc.nat(3),
            owners: fc.uniqueArray(arbOwner, { minLength: 1, maxLength: 3 }),
            url: arbUrl,
            eventTypes: arbEventTypes,
            description: arbText,
            secret: arbSecret,
            createdAt: arbCreatedAt
          }),
          weight: 3
        },
        fc.record({ op: fc.constant("update" as const), index: arbIndex, change: arbChange, at: arbDate }),
        fc.record({
          op: fc.constant("rotate" as const),
          index: arbIndex,
          secret: arbSecret,
          until: arbDate,
          at: arbDate
        }),
        fc.record({ op: fc.constant("remove" as const), index: arbIndex }),
        fc.record({ op: fc.constant("addOwner" as const), existing: arbOwner, added: arbOwner }),
        fc.record({ op: fc.constant("list" as const), owner: fc.option(arbOwner, { nil: undefined }) }),
        fc.record({ op: fc.constant("find" as const), index: arbIndex })
      )
      let runs = 0
      await fc.assert(
        fc.asyncProperty(fc.array(arbOp, { maxLength: 25 }), async (ops) => {
          // Ids of this run only: endpoints of earlier runs stay, under ids no later run uses.
          const prefix = (runs++).toString(16).padStart(8, "0")
          const idOf = (index: number) => `whe_${prefix}${index.toString(16).padStart(24, "0")}`
          await inTenant(
            tenant,
            Effect.gen(function* () {
              const store = yield* WebhookEndpoints
              // Endpoints of earlier runs are part of the store: the model starts from them.
              const model = new Map((yield* store.list()).map((endpoint) => [endpoint.id, endpoint] as const))
              const modelList = (owner?: WebhookOwner) =>
                [...model.values()]
                  .filter((endpoint) => owner === undefined || endpoint.owners.includes(owner))
                  .sort(byCreationThenId)
              for (const op of ops) {
                switch (op.op) {
                  case "insert": {
                    const { op: _, index, ...fields } = op
                    const input: NewWebhookEndpoint = { id: idOf(index), ...fields }
                    if (model.has(input.id)) {
                      expect((yield* Effect.flip(store.insert(input)))._tag).toBe("StorageError")
                    } else {
                      model.set(input.id, inserted(input))
                      expect(yield* store.insert(input)).toEqual(model.get(input.id))
                    }
                    break
                  }
                  case "update": {
                    const id = idOf(op.index)
                    const current = model.get(id)
                    if (current !== undefined) model.set(id, applied(current, op.change, op.at))
                    expect(yield* store.update(id, op.change, op.at)).toEqual(model.get(id))
                    break
                  }
                  case "rotate": {
                    const id = idOf(op.index)
                    const current = model.get(id)
                    if (current !== undefined) {
                      model.set(id, {
                        ...current,
                        secret: op.secret,
                        previousSecret: current.secret,
                        previousSecretExpiresAt: op.until,
                        updatedAt: op.at
                      })
                    }
                    expect(yield* store.rotateSecret(id, op.secret, op.until, op.at)).toEqual(model.get(id))
                    break
                  }
                  case "remove": {
                    const id = idOf(op.index)
                    expect(yield* store.remove(id)).toBe(model.delete(id))
                    break
                  }
                  case "addOwner": {
                    let count = 0
                    for (const [id, endpoint] of model) {
                      if (endpoint.owners.includes(op.existing) && !endpoint.owners.includes(op.added)) {
                        model.set(id, { ...endpoint, owners: [...endpoint.owners, op.added] })
                        count++
                      }
                    }
                    expect(yield* store.addOwner(op.existing, op.added)).toBe(count)
                    break
                  }
                  case "list":
                    expect(yield* store.list(op.owner)).toEqual(modelList(op.owner))
                    break
                  case "find":
                    expect(yield* store.findById(idOf(op.index))).toEqual(model.get(idOf(op.index)))
                    break
                }
              }
              expect(yield* store.list()).toEqual(modelList())
            })
          )
        }),
        { numRuns: 25 }
      )
    }, 120_000)
  })

/** One tenant schema that the SQL adapter's webhook endpoints run over, with one key ring or another. */
interface SharedSchema {
  readonly name: string
  readonly setup: () => Promise<void>
  readonly teardown: () => Promise<void>
  /** Runs `f` on the webhook endpoints of an instance configured with `keys`. */
  readonly withKeys: <A, E>(keys: KeyRing, f: (store: WebhookEndpoints["Service"]) => Effect.Effect<A, E>) => Promise<A>
  /** Runs a statement on the schema, past the service. */
  readonly query: (text: string, params?: ReadonlyArray<unknown>) => Promise<ReadonlyArray<Record<string, unknown>>>
}

/** The tenant the purposes name: what a value is sealed for. */
const atRestTenant = "at-rest"

/** A SqlClient on a database of its own, migrated as a tenant's schema at `public`. */
const sharedSchema = (name: string, client: () => Layer.Layer<SqlClient.SqlClient, unknown>): SharedSchema => {
  let runtime: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown> | undefined
  return {
    name,
    setup: async () => {
      runtime = ManagedRuntime.make(client())
      await runtime.runPromise(migrateTenant("public"))
    },
    teardown: async () => runtime?.dispose(),
    withKeys: (keys, f) =>
      runtime!.runPromise(
        Effect.flatMap(WebhookEndpoints, f).pipe(
          Effect.provide(layerSqlWebhookEndpoints(makeCredentialSealer(keys), atRestTenant))
        )
      ),
    query: (text, params = []) =>
      runtime!.runPromise(
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<Record<string, unknown>>(text, params))
      )
  }
}

const pgliteSchema = () =>
  sharedSchema("PGlite", () =>
    Layer.unwrap(Effect.map(openTestPglite(), (session) => layerPglite(session, { searchPath: "public" })))
  )

const postgresSchema = (serverUrl: string): SharedSchema => {
  const databases = makeScratchDatabases(serverUrl)
  let url = ""
  const shared = sharedSchema("PostgreSQL", () => PgClient.layer({ url: Redacted.make(url), maxConnections: 1 }))
  return {
    ...shared,
    setup: async () => {
      url = (await databases.create()).url
      await shared.setup()
    },
    teardown: async () => {
      await shared.teardown()
      await databases.close()
    }
  }
}

const ring = (text: string): KeyRing => {
  const parsed = parseKeyRing(text, "CREDENTIALS_KEYS")
  if (!isKeyRing(parsed)) throw new Error(parsed.problem)
  return parsed
}
const keyText = (byte: number) => Buffer.alloc(32, byte).toString("base64")

/** Every text a failure shows: its message, its fields, its causes. */
const failureText = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(exit) ? `${Cause.pretty(exit.cause)} ${JSON.stringify(Cause.squash(exit.cause))}` : ""

/**
 * Secrets at rest on the SQL adapters: sealed, bound to their endpoint and column, and an endpoint
 * whose secret does not open fails its reading (naming the endpoint and the reason, never the
 * secret) rather than answer a secret that signs wrongly. The memory adapter keeps nothing at rest.
 */
export const sealedWebhookSecretsContract = (adapter: "PGlite" | "PostgreSQL") => {
  const shared = adapter === "PGlite" ? pgliteSchema() : postgresSchema(process.env["DATABASE_URL"] ?? "")
  describe(`webhook secrets at rest: ${shared.name}`, () => {
    beforeAll(() => shared.setup(), 60_000)
    afterAll(() => shared.teardown())
    const first = ring(`k1:${keyText(1)}`)
    const second = ring(`k2:${keyText(2)}`)
    const both = joinKeyRings(second, first)
    const secretOf = (n: number) => `whsec_c2VjcmV0LW9mLWVuZHBvaW50LQ${n}Zq81`
    const stored = async (id: string) =>
      (await shared.query("SELECT secret, previous_secret FROM webhook_endpoints WHERE id = $1", [id]))[0]!
    const failure = async (keys: KeyRing, f: (store: WebhookEndpoints["Service"]) => Effect.Effect<unknown, unknown>) =>
      shared.withKeys(keys, (s) => Effect.exit(f(s)))

    it("seals the secret and the previous one under the ring's first key", async () => {
      const input = newEndpoint(endpointId(1), { secret: secretOf(1) })
      expect(await shared.withKeys(first, (s) => s.insert(input))).toEqual(inserted(input))
      const before = await stored(input.id)
      expect(String(before["secret"]).startsWith("v1.k1.")).toBe(true)
      expect(String(before["secret"])).not.toContain(secretOf(1))
      expect(before["previous_secret"]).toBeNull()
      const until = new Date("2026-07-02T00:00:00.456Z")
      await shared.withKeys(first, (s) => s.rotateSecret(input.id, secretOf(2), until, until))
      const after = await stored(input.id)
      for (const value of [after["secret"], after["previous_secret"]]) {
        expect(String(value).startsWith("v1.k1.")).toBe(true)
        for (const plain of [secretOf(1), secretOf(2)]) expect(String(value)).not.toContain(plain)
      }
      expect(await shared.withKeys(first, (s) => s.findById(input.id))).toMatchObject({
        secret: secretOf(2),
        previousSecret: secretOf(1)
      })
      // Each test here reads the whole table: it leaves nothing behind.
      expect(await shared.withKeys(first, (s) => s.remove(input.id))).toBe(true)
    }, 30_000)

    it("fails the reading of an endpoint sealed under a key the ring lacks, naming it, never its secret", async () => {
      const lost = newEndpoint(endpointId(2), { owners: [keyOwner(2)], secret: secretOf(3) })
      const readable = newEndpoint(endpointId(3), { owners: [keyOwner(3)], secret: secretOf(4) })
      await shared.withKeys(first, (s) => s.insert(lost))
      await shared.withKeys(second, (s) => s.insert(readable))
      const at = new Date("2026-08-01T00:00:00.000Z")
      const exits = [
        await failure(second, (s) => s.findById(lost.id)),
        await failure(second, (s) => s.list()),
        await failure(second, (s) => s.list(keyOwner(2))),
        await failure(second, (s) => s.update(lost.id, { enabled: false, disabledReason: "changed" }, at)),
        await failure(second, (s) => s.rotateSecret(lost.id, secretOf(5), at, at))
      ]
      for (const exit of exits) {
        expect(Exit.isFailure(exit)).toBe(true)
        const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)
        expect(error).toMatchObject({ _tag: "StorageError" })
        const text = failureText(exit)
        expect(text).toContain(lost.id)
        expect(text).toContain("sealed under key 'k1', which is not in CREDENTIALS_KEYS")
        for (const plain of [secretOf(3), secretOf(5)]) expect(text).not.toContain(plain)
      }
      // The failed update and rotation changed nothing; the other owner's endpoints still read.
      expect(await shared.withKeys(both, (s) => s.findById(lost.id))).toEqual(inserted(lost))
      expect(await shared.withKeys(second, (s) => s.list(keyOwner(3)))).toEqual([inserted(readable)])
      // A ring with both keys reads both; an endpoint that does not open can still be removed.
      expect((await shared.withKeys(both, (s) => s.list())).map((e) => e.secret)).toContain(secretOf(3))
      expect(await shared.withKeys(second, (s) => s.remove(lost.id))).toBe(true)
      expect(await shared.withKeys(second, (s) => s.list(keyOwner(2)))).toEqual([])
      expect(await shared.withKeys(second, (s) => s.remove(readable.id))).toBe(true)
    }, 30_000)

    it("does not open a secret copied onto another endpoint, or into the other column", async () => {
      const [source, target] = [
        newEndpoint(endpointId(4), { owners: [keyOwner(4)], secret: secretOf(6) }),
        newEndpoint(endpointId(5), { owners: [keyOwner(5)], secret: secretOf(7) })
      ]
      for (const input of [source, target]) await shared.withKeys(first, (s) => s.insert(input))
      await shared.query("UPDATE webhook_endpoints SET secret = $1 WHERE id = $2", [
        (await stored(source.id))["secret"],
        target.id
      ])
      const copied = failureText(await failure(first, (s) => s.findById(target.id)))
      expect(copied).toContain(`endpoint '${target.id}'`)
      expect(copied).not.toContain(secretOf(6))
      // The secret moved to the previous secret's column, as a rotation without resealing would.
      await shared.query("UPDATE webhook_endpoints SET previous_secret = secret WHERE id = $1", [source.id])
      const moved = failureText(await failure(first, (s) => s.findById(source.id)))
      expect(moved).toContain(`webhook_endpoints.previous_secret of tenant '${atRestTenant}' endpoint '${source.id}'`)
      expect(moved).not.toContain(secretOf(6))
      for (const id of [source.id, target.id]) await shared.withKeys(first, (s) => s.remove(id))
    }, 30_000)

    it("finds an owner's endpoints through the index on owners, as the adapter asks for them", async () => {
      // Without sequential scans, the plan shows whether the index can serve the filter at all
      // (it cannot serve `= ANY(owners)`). One connection: the setting holds for the EXPLAIN.
      await shared.query("SET enable_seqscan = off")
      try {
        const plan = await shared.query(
          "EXPLAIN SELECT * FROM webhook_endpoints WHERE owners @> ARRAY[$1::text] ORDER BY created_at, id",
          ["apiKey:1"]
        )
        expect(JSON.stringify(plan)).toContain("webhook_endpoints_owners")
      } finally {
        await shared.query("SET enable_seqscan = on")
      }
    }, 30_000)
  })
}
