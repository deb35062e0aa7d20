import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerPostgresStorage } from "../../adapters/storage/postgres/postgres-storage.ts"
import type { OrderDueIndex } from "../../application/ports/order-due-index.ts"
import { PosInbox } from "../../application/ports/pos-inbox.ts"
import { PullSchedules } from "../../application/ports/pull-schedules.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import type { TenantStorage } from "../../application/ports/tenant-storage.ts"
import { createTenant } from "../../application/tenants/create-tenant.ts"
import { type TenantId, tenantSchemaName } from "../../domain/tenant.ts"
import { AppConfig } from "../../runtime/config.ts"
import { WebhookDispatch } from "../../runtime/partner-webhooks/webhook-dispatch.ts"
import { PluginRegistry } from "../../runtime/plugins/plugin-registry.ts"
import { PullJobs } from "../../runtime/pull/job-runner.ts"
import { runDueSchedules } from "../../runtime/pull/schedule-ticker.ts"
import { TenantDatabases } from "../../runtime/tenancy/tenant-databases.ts"
import { onPostgresServer, storageAdapters } from "../support/storage-adapters.ts"
import { makeFakePullPos } from "./fake-pull-plugin.ts"

type Storage = TenantDirectory | TenantStorage | PullSchedules | OrderDueIndex

const at = (iso: string) => new Date(iso)
const minute = 60_000

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`pull schedules (${adapter.name})`, () => {
    let storage: ManagedRuntime.ManagedRuntime<Storage, unknown>
    beforeAll(() => {
      storage = ManagedRuntime.make(adapter.layer() as Layer.Layer<Storage, unknown>)
    })
    afterAll(() => storage?.dispose())
    const schedules = <A, E>(use: (s: typeof PullSchedules.Service) => Effect.Effect<A, E>) =>
      storage.runPromise(Effect.flatMap(PullSchedules, use))

    it("are due at once when new, keep their next run when changed unless the new interval brings it closer", async () => {
      const t0 = at("2026-03-16T10:00:00.000Z")
      const set = await schedules((s) => s.set("zeta", 15 * minute, t0))
      expect(set).toEqual({ provider: "zeta", intervalMs: 15 * minute, nextRunAt: t0, lastRunAt: null, updatedAt: t0 })
      await schedules((s) => s.set("alpha", 60 * minute, t0))
      const claimed = await schedules((s) => s.claimDue(t0))
      expect(claimed.map((c) => [c.provider, c.nextRunAt.toISOString(), c.lastRunAt?.toISOString()])).toEqual([
        ["alpha", "2026-03-16T11:00:00.000Z", "2026-03-16T10:00:00.000Z"],
        ["zeta", "2026-03-16T10:15:00.000Z", "2026-03-16T10:00:00.000Z"]
      ])
      const t1 = at("2026-03-16T10:05:00.000Z")
      // Shorter: the next run comes closer (10:05 + 5 min); longer: it stays at 10:15.
      expect((await schedules((s) => s.set("alpha", 5 * minute, t1))).nextRunAt).toEqual(at("2026-03-16T10:10:00.000Z"))
      const longer = await schedules((s) => s.set("zeta", 120 * minute, t1))
      expect(longer).toMatchObject({ intervalMs: 120 * minute, nextRunAt: at("2026-03-16T10:15:00.000Z") })
      expect(longer.lastRunAt).toEqual(t0)
      expect((await schedules((s) => s.list)).map((s) => s.provider)).toEqual(["alpha", "zeta"])
      expect(await schedules((s) => s.claimDue(t1))).toEqual([])
      expect((await schedules((s) => s.claimDue(at("2026-03-16T10:10:00.000Z")))).map((c) => c.provider)).toEqual([
        "alpha"
      ])
      expect(await schedules((s) => s.remove("alpha"))).toBe(true)
      expect(await schedules((s) => s.remove("alpha"))).toBe(false)
      expect(await schedules((s) => s.remove("zeta"))).toBe(true)
      expect(await schedules((s) => s.list)).toEqual([])
    })

    it("answers a due run to exactly one of many concurrent claimers", async () => {
      const t0 = at("2026-03-16T12:00:00.000Z")
      await schedules((s) => s.set("race", minute, t0))
      const claims = await schedules((s) =>
        Effect.all(
          Array.from({ length: 12 }, () => s.claimDue(t0)),
          { concurrency: "unbounded" }
        )
      )
      expect(claims.filter((c) => c.length > 0)).toEqual([[expect.objectContaining({ provider: "race" })]])
      await schedules((s) => s.remove("race"))
    })
  })
}

describe("pull schedules on PostgreSQL, two instances", () => {
  const url = process.env["DATABASE_URL"]
  const available = url !== undefined && url !== ""
  it.skipIf(!available)(
    "claim each due run once between them",
    async () => {
      const name = `pos_test_sched_${process.pid}_${Date.now().toString(36)}`
      const run = <A>(effect: Effect.Effect<A, unknown, PgClient.PgClient>) => onPostgresServer(url!, effect)
      await run(Effect.flatMap(PgClient.PgClient, (sql) => sql.unsafe(`CREATE DATABASE ${name}`)))
      const target = new URL(url!)
      target.pathname = `/${name}`
      const instance = () =>
        ManagedRuntime.make(layerPostgresStorage({ url: Redacted.make(target.toString()), tenantPoolSize: 1 }))
      const one = instance()
      const two = instance()
      try {
        const t0 = at("2026-03-16T12:00:00.000Z")
        await one.runPromise(Effect.flatMap(PullSchedules, (s) => s.set("lightspeed", minute, t0)))
        for (const now of [t0, at("2026-03-16T12:01:00.000Z"), at("2026-03-16T12:02:00.000Z")]) {
          const claim = (via: typeof one) =>
            via.runPromise(
              Effect.flatMap(PullSchedules, (s) =>
                Effect.all([s.claimDue(now), s.claimDue(now), s.claimDue(now)], { concurrency: "unbounded" })
              )
            )
          const [a, b] = await Promise.all([claim(one), claim(two)])
          expect(
            [...a, ...b].filter((c) => c.length > 0),
            now.toISOString()
          ).toHaveLength(1)
        }
      } finally {
        await one.dispose()
        await two.dispose()
        await run(
          Effect.flatMap(PgClient.PgClient, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
        )
      }
    },
    60_000
  )
})

describe("the schedule ticker", () => {
  let runtime: ManagedRuntime.ManagedRuntime<PullJobs | Storage | TenantDatabases | PluginRegistry, unknown>
  const pos = makeFakePullPos()
  const pushing = makeFakePullPos("pushonly", ["outlets", "catalog"])
  beforeAll(() => {
    runtime = ManagedRuntime.make(
      PullJobs.layer.pipe(
        // A runner alone: the webhooks its syncs raise are not sent here.
        Layer.provideMerge(WebhookDispatch.layerWith({ background: false })),
        Layer.provideMerge(
          Layer.mergeAll(
            TenantDatabases.layer({ idleTimeToLive: Duration.minutes(5), cacheTtl: Duration.millis(200) }),
            Layer.succeed(
              PluginRegistry,
              PluginRegistry.fromPlugins(
                [pos, pushing].map((p) => ({ plugin: p.plugin, manifest: p.plugin.manifest, source: "test" }))
              )
            ),
            FetchHttpClient.layer
          )
        ),
        Layer.provideMerge(Layer.succeed(AppConfig, AppConfig.make({ logLevel: "error" }))),
        Layer.provideMerge(storageAdapters()[0].layer())
      )
    )
  })
  afterAll(() => runtime?.dispose())

  const jobsOf = (tenant: TenantId) =>
    runtime.runPromise(
      Effect.scoped(
        Effect.flatMap(TenantDatabases, (databases) =>
          Effect.flatMap(databases.repositories(tenant), (repositories) =>
            Effect.flatMap(PosInbox, (inbox) => inbox.listJobs(10)).pipe(Effect.provideContext(repositories))
          )
        )
      )
    )

  it("queues a pull of the provider for every active tenant when its schedule is due, once", async () => {
    const active = ["tick-a", "tick-b"] as Array<TenantId>
    for (const id of active) await runtime.runPromise(createTenant({ id }))
    const suspended = "tick-off" as TenantId
    await runtime.runPromise(
      Effect.flatMap(TenantDirectory, (directory) =>
        directory.create({
          id: suspended,
          name: suspended,
          status: "suspended",
          country: "SG",
          timezone: "Asia/Singapore",
          currency: "SGD",
          locator: { databaseUrl: null, schema: tenantSchemaName(suspended) },
          createdAt: new Date()
        })
      )
    )
    const now = new Date()
    await runtime.runPromise(
      Effect.flatMap(PullSchedules, (s) =>
        Effect.andThen(s.set("fakepull", 10 * minute, now), s.set("pushonly", 10 * minute, now))
      )
    )
    expect(await runtime.runPromise(runDueSchedules)).toEqual(["fakepull", "pushonly"])
    for (const id of active) {
      expect(await jobsOf(id)).toEqual([
        expect.objectContaining({
          kind: "pull",
          provider: "fakepull",
          externalOutletId: null,
          accountId: null,
          reason: "schedule"
        })
      ])
    }
    expect(await jobsOf(suspended)).toEqual([])
    // Claimed: the next tick finds nothing due and queues nothing.
    expect(await runtime.runPromise(runDueSchedules)).toEqual([])
    for (const id of active) expect(await jobsOf(id)).toHaveLength(1)
  })
})
