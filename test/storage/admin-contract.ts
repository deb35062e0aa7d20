import { Effect, Exit, Layer, ManagedRuntime } from "effect"
import { SqlClient } from "effect/sql"
import * as fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerPglite } from "../../adapters/storage/pglite/pglite-client.ts"
import { migrateControl, migrateControlTo } from "../../adapters/storage/sql/migrations.ts"
import { AdminKeys, AuditLog, type AuditQuery } from "../../application/ports/admin.ts"
import type { AdminKeyRecord, AuditEntry, NewAdminKey, NewAuditEntry } from "../../domain/admin.ts"
import { openTestPglite } from "../support/pglite-template.ts"
import { arbText } from "./catalog-arbitraries.ts"
import { freshTenantId } from "./contract.ts"
import { byId, modelIds } from "./model-ids.ts"

type Admin = AdminKeys | AuditLog

/** Instants with milliseconds: a store that kept seconds only, or microseconds, would show here. */
const arbDate = fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }).map((ms) => new Date(ms))

const newKey = (overrides: Partial<NewAdminKey> = {}): NewAdminKey => ({
  name: "alice",
  secretHash: "cd".repeat(32),
  createdAt: new Date("2026-01-02T03:04:05.678Z"),
  createdBy: "admin CLI",
  expiresAt: null,
  ...overrides
})

const entry = (overrides: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
  at: new Date("2026-02-03T04:05:06.789Z"),
  actor: "admin key 3 (alice)",
  action: "api-key.rotate",
  tenantId: null,
  target: null,
  summary: "rotated partner key 7 'kiosk'",
  address: null,
  ...overrides
})

const everything = (overrides: Partial<AuditQuery> = {}): AuditQuery => ({
  tenantId: null,
  action: null,
  beforeId: null,
  limit: 1_000_000,
  ...overrides
})

/** What the port promises of a query, over every entry recorded: the model the adapters are held to. */
const modelList = (log: ReadonlyArray<AuditEntry>, query: AuditQuery) =>
  log
    .filter(
      (e) =>
        (query.tenantId === null || e.tenantId === query.tenantId) &&
        (query.action === null ||
          (query.action.endsWith(".") ? e.action.startsWith(query.action) : e.action === query.action)) &&
        (query.beforeId === null || e.id < query.beforeId)
    )
    .sort((a, b) => b.id - a.id)
    .slice(0, query.limit)

/**
 * The admin stores of the control database (application/ports/admin.ts) on every storage adapter:
 * admin keys and the audit log, each also compared with a simple model under random operations.
 * The suite's tests share one store, so each reads what is there before it starts.
 */
export const adminContract = (name: string, makeLayer: () => Layer.Layer<Admin, unknown>) =>
  describe(`admin contract: ${name}`, () => {
    let runtime: ManagedRuntime.ManagedRuntime<Admin, unknown>
    beforeAll(async () => {
      runtime = ManagedRuntime.make(makeLayer())
      await runtime.context()
    })
    afterAll(() => runtime?.dispose())
    const run = <A, E>(effect: Effect.Effect<A, E, Admin>) => runtime.runPromise(effect)
    const keys = <A, E>(f: (keys: AdminKeys["Service"]) => Effect.Effect<A, E>) => run(Effect.flatMap(AdminKeys, f))
    const audit = <A, E>(f: (log: AuditLog["Service"]) => Effect.Effect<A, E>) => run(Effect.flatMap(AuditLog, f))

    describe("admin keys", () => {
      it("inserts with ascending ids and reads back every field", async () => {
        const expiresAt = new Date("2027-01-01T00:00:00.001Z")
        const a = await keys((k) => k.insert(newKey({ name: "first" })))
        const b = await keys((k) => k.insert(newKey({ name: "second", expiresAt, createdBy: "admin key 1 (first)" })))
        expect(b.id).toBeGreaterThan(a.id)
        const expected: AdminKeyRecord = {
          ...newKey({ name: "second", expiresAt, createdBy: "admin key 1 (first)" }),
          id: b.id,
          revokedAt: null,
          lastUsedAt: null
        }
        expect(b).toEqual(expected)
        expect(await keys((k) => k.findById(b.id))).toEqual(expected)
        const listed = await keys((k) => k.list)
        expect(listed.map((key) => key.id)).toEqual([...listed.map((key) => key.id)].sort((x, y) => x - y))
        expect(listed.at(-1)).toEqual(expected)
      })

      it("revokes once: a second revocation keeps the first time", async () => {
        const first = new Date("2026-05-01T00:00:00.123Z")
        const key = await keys((k) => k.insert(newKey()))
        const revoked = await keys((k) => k.revoke(key.id, first))
        const again = await keys((k) => k.revoke(key.id, new Date("2026-06-01T00:00:00.000Z")))
        expect(revoked).toEqual({ ...key, revokedAt: first })
        expect(again).toEqual(revoked)
        expect(await keys((k) => k.findById(key.id))).toEqual(revoked)
      })

      it("answers undefined for an unknown key, and a touch of one changes nothing", async () => {
        const before = await keys((k) => k.list)
        const unknown = Math.max(0, ...before.map((key) => key.id)) + 1000
        expect(await keys((k) => k.findById(unknown))).toBeUndefined()
        expect(await keys((k) => k.revoke(unknown, new Date()))).toBeUndefined()
        await keys((k) => k.touch(unknown, new Date()))
        expect(await keys((k) => k.list)).toEqual(before)
      })

      it("records the last use, each time it is touched", async () => {
        const key = await keys((k) => k.insert(newKey()))
        const first = new Date("2026-05-01T00:00:00.321Z")
        const second = new Date("2026-05-01T00:01:00.654Z")
        await keys((k) => k.touch(key.id, first))
        expect((await keys((k) => k.findById(key.id)))?.lastUsedAt).toEqual(first)
        await keys((k) => k.touch(key.id, second))
        expect(await keys((k) => k.findById(key.id))).toEqual({ ...key, lastUsedAt: second })
      })

      it("behaves like a simple model under any sequence of operations", async () => {
        const arbOp = fc.oneof(
          fc.record({
            op: fc.constant("insert" as const),
            name: arbText,
            hash: fc.stringMatching(/^[0-9a-f]{64}$/),
            createdAt: arbDate,
            createdBy: arbText,
            expiresAt: fc.option(arbDate, { nil: null })
          }),
          fc.record({ op: fc.constant("revoke" as const), index: fc.nat(10), at: arbDate }),
          fc.record({ op: fc.constant("touch" as const), index: fc.nat(10), at: arbDate }),
          fc.record({ op: fc.constant("find" as const), index: fc.nat(12) }),
          fc.record({ op: fc.constant("list" as const) })
        )
        await fc.assert(
          fc.asyncProperty(fc.array(arbOp, { maxLength: 25 }), async (ops) => {
            await run(
              Effect.gen(function* () {
                const store = yield* AdminKeys
                // Keys of earlier tests are part of the store: the model starts from them.
                const model = new Map((yield* store.list).map((key) => [key.id, key] as const))
                const ids = modelIds(model.keys())
                const idAt = ids.at
                const modelList = () => byId(model)
                for (const op of ops) {
                  switch (op.op) {
                    case "insert": {
                      const input: NewAdminKey = {
                        name: op.name,
                        secretHash: op.hash,
                        createdAt: op.createdAt,
                        createdBy: op.createdBy,
                        expiresAt: op.expiresAt
                      }
                      const record = yield* store.insert(input)
                      // Ascending: above every id handed out before.
                      expect(record.id).toBeGreaterThan(Math.max(0, ...model.keys()))
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
                      expect(yield* store.revoke(id, op.at)).toEqual(model.get(id))
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

    describe("audit log", () => {
      it("records every field, with ids ascending in the order recorded", async () => {
        const tenant = freshTenantId("audit")
        const full = entry({
          tenantId: tenant,
          target: "key 7",
          address: "203.0.113.9",
          summary: "issued partner key 7 'kiosk' (scopes outlets:read)"
        })
        const a = await audit((log) => log.record(full))
        const b = await audit((log) => log.record(entry({ action: "tenant.create" })))
        expect(a).toEqual({ ...full, id: a.id })
        expect(b).toEqual({ ...entry({ action: "tenant.create" }), id: b.id })
        expect(b.id).toBeGreaterThan(a.id)
        expect(await audit((log) => log.list(everything({ tenantId: tenant })))).toEqual([a])
        expect((await audit((log) => log.list(everything({ limit: 2 })))).map((e) => e.id)).toEqual([b.id, a.id])
      })

      it("filters by tenant, and by an action or a prefix ending in a dot", async () => {
        const tenant = freshTenantId("audit")
        const other = freshTenantId("audit")
        const actions = ["api-key.rotate", "api-key.revoke", "api-keys.issue", "api-key", "tenant.suspend", "api_key.x"]
        for (const action of actions) await audit((log) => log.record(entry({ tenantId: tenant, action })))
        await audit((log) => log.record(entry({ tenantId: other, action: "api-key.rotate" })))
        const actionsOf = (query: Partial<AuditQuery>) =>
          audit((log) => log.list(everything({ tenantId: tenant, ...query }))).then((es) => es.map((e) => e.action))
        expect(await actionsOf({})).toEqual([...actions].reverse())
        expect(await actionsOf({ action: "api-key." })).toEqual(["api-key.revoke", "api-key.rotate"])
        expect(await actionsOf({ action: "api-key.rotate" })).toEqual(["api-key.rotate"])
        // Without the dot, an exact action: not a prefix.
        expect(await actionsOf({ action: "api-key" })).toEqual(["api-key"])
        expect(await actionsOf({ action: "tenant." })).toEqual(["tenant.suspend"])
        // No character of a prefix is a wildcard (as `_` and `%` would be in LIKE).
        expect(await actionsOf({ action: "api_key." })).toEqual(["api_key.x"])
        expect(await actionsOf({ action: "api%." })).toEqual([])
        expect(await actionsOf({ action: "nothing." })).toEqual([])
        // Another tenant's entry is not listed for this one; without a tenant, both are.
        const both = await audit((log) => log.list(everything({ action: "api-key.rotate", limit: 2 })))
        expect(both.map((e) => e.tenantId)).toEqual([other, tenant])
      })

      it("pages newest first without gaps or repeats", async () => {
        const tenant = freshTenantId("audit")
        const recorded: Array<AuditEntry> = []
        for (let i = 0; i < 7; i++) {
          recorded.push(await audit((log) => log.record(entry({ tenantId: tenant, summary: `change ${i}` }))))
          // Entries of no tenant and of another in between: the pages must pass over them.
          await audit((log) => log.record(entry({ summary: `global ${i}` })))
        }
        const pages: Array<ReadonlyArray<AuditEntry>> = []
        let beforeId: number | null = null
        // Bounded: a store whose pages repeat must fail here, not loop.
        while (pages.length <= 3) {
          const query: AuditQuery = everything({ tenantId: tenant, beforeId, limit: 3 })
          const page = await audit((log) => log.list(query))
          if (page.length === 0) break
          pages.push(page)
          beforeId = page.at(-1)!.id
        }
        expect(pages.map((page) => page.length)).toEqual([3, 3, 1])
        expect(pages.flat()).toEqual([...recorded].reverse())
        expect(await audit((log) => log.list(everything({ tenantId: tenant, limit: 0 })))).toEqual([])
        expect(await audit((log) => log.list(everything({ tenantId: tenant, beforeId: recorded[0]!.id })))).toEqual([])
      })

      it("behaves like a simple model under any sequence of records and queries", async () => {
        // A few tenants and actions, so filters often match; the run's own tenant ids keep them apart.
        const arbTenantIndex = fc.option(fc.nat(2), { nil: null })
        const arbAction = fc.constantFrom("tenant.create", "tenant.suspend", "api-key.issue", "api-key.rotate", "key")
        const arbQueryAction = fc.option(
          fc.constantFrom("tenant.", "api-key.", "api-key.rotate", "key", "key.", "x."),
          {
            nil: null
          }
        )
        const arbOp = fc.oneof(
          {
            arbitrary: fc.record({
              op: fc.constant("record" as const),
              at: arbDate,
              actor: arbText,
              action: arbAction,
              tenant: arbTenantIndex,
              target: fc.option(arbText, { nil: null }),
              summary: arbText,
              address: fc.option(fc.constantFrom("127.0.0.1", "::1", "203.0.113.9"), { nil: null })
            }),
            weight: 3
          },
          fc.record({
            op: fc.constant("list" as const),
            tenant: arbTenantIndex,
            action: arbQueryAction,
            before: fc.option(fc.integer({ min: -1, max: 12 }), { nil: null }),
            limit: fc.integer({ min: 0, max: 6 })
          }),
          fc.record({
            op: fc.constant("page" as const),
            tenant: arbTenantIndex,
            action: arbQueryAction,
            limit: fc.integer({ min: 1, max: 4 })
          })
        )
        await fc.assert(
          fc.asyncProperty(fc.array(arbOp, { maxLength: 25 }), async (ops) => {
            const tenants = [freshTenantId("al"), freshTenantId("al"), freshTenantId("al")]
            const tenantAt = (index: number | null) => (index === null ? null : tenants[index]!)
            await run(
              Effect.gen(function* () {
                const log = yield* AuditLog
                // Entries of earlier tests are part of the log: the model starts from them.
                const model = [...(yield* log.list(everything()))]
                const recordedIds: Array<number> = []
                // A bound near the run's own entries: one of their ids, or just past the newest.
                const beforeAt = (k: number) =>
                  recordedIds.length === 0 ? null : (recordedIds[k] ?? recordedIds.at(-1)! + 1 + Math.max(0, k))
                for (const op of ops) {
                  switch (op.op) {
                    case "record": {
                      const input: NewAuditEntry = {
                        at: op.at,
                        actor: op.actor,
                        action: op.action,
                        tenantId: tenantAt(op.tenant),
                        target: op.target,
                        summary: op.summary,
                        address: op.address
                      }
                      const recorded = yield* log.record(input)
                      expect(recorded.id).toBeGreaterThan(Math.max(0, ...model.map((e) => e.id)))
                      expect(recorded).toEqual({ ...input, id: recorded.id })
                      model.push(recorded)
                      recordedIds.push(recorded.id)
                      break
                    }
                    case "list": {
                      const query: AuditQuery = {
                        tenantId: tenantAt(op.tenant),
                        action: op.action,
                        beforeId: op.before === null ? null : beforeAt(op.before),
                        limit: op.limit
                      }
                      expect(yield* log.list(query)).toEqual(modelList(model, query))
                      break
                    }
                    case "page": {
                      // Only the run's own tenants: paging the whole log would grow with every run.
                      const tenantId = tenantAt(op.tenant ?? 0)
                      const seen: Array<AuditEntry> = []
                      let beforeId: number | null = null
                      // Bounded: a store whose pages repeat must fail here, not loop.
                      while (seen.length <= model.length) {
                        const page: ReadonlyArray<AuditEntry> = yield* log.list({
                          tenantId,
                          action: op.action,
                          beforeId,
                          limit: op.limit
                        })
                        expect(page.length).toBeLessThanOrEqual(op.limit)
                        if (page.length === 0) break
                        seen.push(...page)
                        beforeId = page.at(-1)!.id
                      }
                      expect(seen).toEqual(modelList(model, everything({ tenantId, action: op.action })))
                      break
                    }
                  }
                }
              })
            )
          }),
          { numRuns: 25 }
        )
      })
    })
  })

/**
 * Control migration 4 on a control schema as release 3 left it: a tenant stored as `disabled`
 * comes out `suspended`, and the status's new CHECK refuses `disabled` from then on. On PGlite (the
 * same SQL as PostgreSQL), on an instance of its own.
 */
export const tenantStatusMigration = () =>
  describe("control migration 4_admin (PGlite)", () => {
    it("renames a stored 'disabled' tenant to 'suspended' and keeps an active one", async () => {
      const result = await Effect.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            const session = yield* openTestPglite()
            const client = yield* Layer.build(layerPglite(session, { searchPath: "public" }))
            return yield* Effect.gen(function* () {
              const sql = yield* SqlClient.SqlClient
              yield* migrateControlTo(3)
              for (const [id, status] of [
                ["old-off", "disabled"],
                ["old-on", "active"]
              ]) {
                yield* sql`
                  INSERT INTO tenants (id, name, status, country, timezone, currency, schema_name, created_at)
                  VALUES (${id}, ${id}, ${status}, 'NL', 'Europe/Amsterdam', 'EUR', ${`tenant_${id}`}, now())`
              }
              yield* migrateControl
              return {
                tenants: yield* sql`SELECT id, status FROM tenants ORDER BY id`,
                migrations: yield* sql`SELECT migration_id FROM schema_migrations ORDER BY migration_id`,
                refused: yield* Effect.exit(sql`UPDATE tenants SET status = 'disabled' WHERE id = 'old-on'`),
                suspended: yield* Effect.exit(sql`UPDATE tenants SET status = 'suspended' WHERE id = 'old-on'`)
              }
            }).pipe(Effect.provideContext(client))
          })
        )
      )
      expect(result.tenants).toEqual([
        { id: "old-off", status: "suspended" },
        { id: "old-on", status: "active" }
      ])
      expect(result.migrations.map((row) => Number(row["migration_id"]))).toEqual([1, 2, 3, 4, 5, 6])
      expect(Exit.isFailure(result.refused)).toBe(true)
      expect(Exit.isSuccess(result.suspended)).toBe(true)
    }, 60_000)
  })
