import { type Context, Duration, Effect, Layer, ManagedRuntime } from "effect"
import { FetchHttpClient } from "effect/http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { syncOutlets } from "../../application/catalog/sync-outlets.ts"
import type { OrderDueIndex } from "../../application/ports/order-due-index.ts"
import { type JobRow, PosInbox } from "../../application/ports/pos-inbox.ts"
import type { PullSchedules } from "../../application/ports/pull-schedules.ts"
import type { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import type { TenantRepositories, TenantStorage } from "../../application/ports/tenant-storage.ts"
import { MissingCredentials, PayloadRejected, PosRejected, PosUnavailable } from "../../application/pos-sdk/errors.ts"
import { queuePull } from "../../application/pull/queue-pull.ts"
import { createTenant } from "../../application/tenants/create-tenant.ts"
import type { Tenant, TenantId } from "../../domain/tenant.ts"
import { AppConfig, type AppSettings } from "../../runtime/config.ts"
import { WebhookDispatch } from "../../runtime/partner-webhooks/webhook-dispatch.ts"
import { PluginRegistry } from "../../runtime/plugins/plugin-registry.ts"
import { PullJobs } from "../../runtime/pull/job-runner.ts"
import { TenantDatabases } from "../../runtime/tenancy/tenant-databases.ts"
import { storageAdapters } from "../support/storage-adapters.ts"
import { catalog, type FakePullPos, makeFakePullPos, outlet } from "./fake-pull-plugin.ts"

type Storage = TenantDirectory | TenantStorage | PullSchedules | OrderDueIndex

/**
 * One process's job runner over a shared storage: its own tenant map and drains, the fake POS as
 * its only plugin. Two of them over one storage are two instances of the service.
 */
const makeRunner = (storage: Context.Context<Storage>, pos: FakePullPos, settings: Partial<AppSettings> = {}) =>
  ManagedRuntime.make(
    PullJobs.layer.pipe(
      // A runner alone: the webhooks its syncs raise are not sent here.
      Layer.provideMerge(WebhookDispatch.layerWith({ background: false })),
      Layer.provideMerge(
        Layer.mergeAll(
          TenantDatabases.layer({ idleTimeToLive: Duration.minutes(5), cacheTtl: Duration.millis(200) }),
          Layer.succeed(
            PluginRegistry,
            PluginRegistry.fromPlugins([{ plugin: pos.plugin, manifest: pos.plugin.manifest, source: "test" }])
          ),
          FetchHttpClient.layer
        )
      ),
      Layer.provideMerge(
        Layer.succeed(
          AppConfig,
          AppConfig.make({
            logLevel: "error",
            jobLeaseMs: 5000,
            jobMaxAttempts: 3,
            jobRetryBaseMs: 80,
            jobRetryMaxMs: 150,
            ...settings
          })
        )
      ),
      Layer.provideMerge(Layer.succeedContext(storage))
    )
  )
type Runner = ReturnType<typeof makeRunner>

const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 10_000) => {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

let tenantCounter = 0

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`the pull job runner (${adapter.name})`, () => {
    let storage: ManagedRuntime.ManagedRuntime<Storage, unknown>
    let context: Context.Context<Storage>
    const runners: Array<Runner> = []
    beforeAll(async () => {
      storage = ManagedRuntime.make(adapter.layer() as Layer.Layer<Storage, unknown>)
      context = await storage.context()
    }, 60_000)
    afterAll(async () => {
      await Promise.all(runners.map((r) => r.dispose()))
      await storage?.dispose()
    })

    const runner = (pos: FakePullPos, settings: Partial<AppSettings> = {}) => {
      const made = makeRunner(context, pos, settings)
      runners.push(made)
      return made
    }
    const inTenant = <A, E>(via: Runner, tenant: TenantId, effect: Effect.Effect<A, E, TenantRepositories>) =>
      via.runPromise(
        Effect.scoped(
          Effect.flatMap(TenantDatabases, (databases) =>
            Effect.flatMap(databases.repositories(tenant), (repositories) =>
              Effect.provideContext(effect, repositories)
            )
          )
        )
      )
    /** A tenant whose outlets of the fake POS are those named. */
    const tenantWith = async (via: Runner, pos: FakePullPos, ...externalIds: Array<string>): Promise<Tenant> => {
      // Through this runner's directory, which knows the tenant at once (another instance within the TTL).
      const tenant = await via.runPromise(createTenant({ id: `jobs-${process.pid}-${++tenantCounter}` as TenantId }))
      await inTenant(
        via,
        tenant.id,
        syncOutlets({ plugin: pos.plugin, tenant, payload: externalIds.map((id) => outlet(id)) })
      )
      return tenant
    }
    /** Queues a pull of one outlet without starting a drain. */
    const queue = (via: Runner, tenant: Tenant, externalOutletId: string) =>
      inTenant(via, tenant.id, queuePull({ provider: "fakepull", externalOutletId, accountId: null }, "request"))
    const job = (via: Runner, tenant: Tenant, id: string) =>
      inTenant(
        via,
        tenant.id,
        Effect.flatMap(PosInbox, (inbox) => inbox.getJob(id))
      ) as Promise<JobRow>
    const settled = (via: Runner, tenant: Tenant, id: string) =>
      waitFor(`job ${id} to finish`, async () => ["done", "failed"].includes((await job(via, tenant, id)).status))

    it("retries an unreachable POS with capped exponential backoff, then succeeds", async () => {
      const pos = makeFakePullPos()
      const jobs = runner(pos)
      const tenant = await tenantWith(jobs, pos, "S1")
      pos.catalogs.set("S1", [
        new PosUnavailable({ reason: "connection reset" }),
        new PosUnavailable({ reason: "answered 502" }),
        catalog(3)
      ])
      const queued = await jobs.runPromise(
        Effect.flatMap(PullJobs, (j) =>
          j.request(tenant.id, { provider: "fakepull", externalOutletId: "S1", accountId: null }, "request")
        )
      )
      expect(queued).toMatchObject({ status: "pending", attempts: 0, reason: "request" })
      await settled(jobs, tenant, queued.id)
      const done = await job(jobs, tenant, queued.id)
      expect(done).toMatchObject({ status: "done", attempts: 3 })
      expect(done.lastError).toContain("PosUnavailable (outlet S1)")
      expect(done.finishedAt).not.toBeNull()
      // Nothing but the runner's own timers brought the retries: 80 ms, then 150 (160 capped).
      const [first, second, third] = pos.fetches.map((f) => f.at)
      expect(second! - first!).toBeGreaterThanOrEqual(75)
      expect(third! - second!).toBeGreaterThanOrEqual(145)
      expect(third! - second!).toBeLessThan(2000)
    })

    it("fails for good after the last attempt when the POS stays unreachable", async () => {
      const pos = makeFakePullPos()
      const jobs = runner(pos)
      const tenant = await tenantWith(jobs, pos, "S1")
      pos.catalogs.set("S1", new PosUnavailable({ reason: "connection refused" }))
      const queued = await queue(jobs, tenant, "S1")
      await jobs.runPromise(Effect.flatMap(PullJobs, (j) => j.kick(tenant.id)))
      await settled(jobs, tenant, queued.id)
      const failed = await job(jobs, tenant, queued.id)
      expect(failed).toMatchObject({ status: "failed", attempts: 3 })
      expect(failed.lastError).toMatch(/^gave up after 3 attempts: PosUnavailable \(outlet S1\): /)
      expect(pos.fetches).toHaveLength(3)
    })

    it("fails for good at once when the POS refuses, answers garbage, or credentials are missing", async () => {
      const pos = makeFakePullPos()
      const jobs = runner(pos)
      const tenant = await tenantWith(jobs, pos, "R", "G", "M")
      pos.catalogs.set("R", new PosRejected({ reason: "location unknown", status: 404 }))
      pos.catalogs.set("G", PayloadRejected.one("menus", "expected an array"))
      pos.catalogs.set("M", new MissingCredentials({ level: "account", reason: "no account credentials are set" }))
      const ids = [await queue(jobs, tenant, "R"), await queue(jobs, tenant, "G"), await queue(jobs, tenant, "M")]
      expect(await jobs.runPromise(Effect.flatMap(PullJobs, (j) => j.drain(tenant.id)))).toBe(3)
      const ended = await Promise.all(ids.map((q) => job(jobs, tenant, q.id)))
      expect(ended.map((j) => [j.status, j.attempts, j.lastError?.split(":")[0]])).toEqual([
        ["failed", 1, "PosRejected (outlet R)"],
        ["failed", 1, "PayloadRejected (outlet G)"],
        ["failed", 1, "MissingCredentials (outlet M)"]
      ])
      expect(pos.fetches).toHaveLength(3)
    })

    it("takes over a job left running by a stopped process once its lease has run out", async () => {
      const pos = makeFakePullPos()
      const jobs = runner(pos)
      const tenant = await tenantWith(jobs, pos, "S1")
      pos.catalogs.set("S1", catalog(2))
      const queued = await queue(jobs, tenant, "S1")
      // Another process claimed it for 400 ms and stopped without finishing it.
      const claimedAt = Date.now()
      const claimed = await inTenant(
        jobs,
        tenant.id,
        Effect.flatMap(PosInbox, (inbox) => inbox.claim(new Date(claimedAt), new Date(claimedAt + 400)))
      )
      expect(claimed).toMatchObject({ id: queued.id, status: "running", attempts: 1 })
      const drain = () => jobs.runPromise(Effect.flatMap(PullJobs, (j) => j.drain(tenant.id)))
      expect(await drain()).toBe(0)
      expect(await job(jobs, tenant, queued.id)).toMatchObject({ status: "running" })
      await new Promise((resolve) => setTimeout(resolve, claimedAt + 450 - Date.now()))
      expect(await drain()).toBe(1)
      expect(await job(jobs, tenant, queued.id)).toMatchObject({ status: "done", attempts: 2 })
      expect(pos.fetches).toHaveLength(1)
    })

    it("puts a job interrupted by shutdown back to pending at once, for the next instance", async () => {
      const pos = makeFakePullPos()
      const stopping = makeRunner(context, pos)
      const tenant = await tenantWith(stopping, pos, "S1")
      pos.catalogs.set("S1", catalog(2))
      pos.delayMs = 5000
      const queued = await stopping.runPromise(
        Effect.flatMap(PullJobs, (j) =>
          j.request(tenant.id, { provider: "fakepull", externalOutletId: "S1", accountId: null }, "request")
        )
      )
      await waitFor("the pull to start", async () => pos.running.now === 1)
      const stoppedAt = Date.now()
      await stopping.dispose()
      const next = runner(pos)
      const left = await job(next, tenant, queued.id)
      expect(left).toMatchObject({ status: "pending", attempts: 1, lastError: expect.stringContaining("Interrupted") })
      expect(left.runAfter.getTime()).toBeLessThanOrEqual(Date.now())
      expect(Date.now() - stoppedAt).toBeLessThan(2000)
      pos.delayMs = 0
      expect(await next.runPromise(Effect.flatMap(PullJobs, (j) => j.drain(tenant.id)))).toBe(1)
      expect(await job(next, tenant, queued.id)).toMatchObject({ status: "done", attempts: 2 })
    })

    it("never runs one job in two instances draining the same tenant together", async () => {
      const pos = makeFakePullPos()
      const a = runner(pos)
      const b = runner(pos)
      const outlets = Array.from({ length: 8 }, (_, i) => `S${i}`)
      const tenant = await tenantWith(a, pos, ...outlets)
      for (const id of outlets) pos.catalogs.set(id, catalog(1))
      pos.delayMs = 25
      const ids = []
      for (const id of outlets) ids.push((await queue(a, tenant, id)).id)
      const drain = (via: Runner) => via.runPromise(Effect.flatMap(PullJobs, (j) => j.drain(tenant.id)))
      // The second instance learns of the tenant within its cache's time to live.
      await new Promise((resolve) => setTimeout(resolve, 250))
      const [ranA, ranB] = await Promise.all([drain(a), drain(b)])
      expect(ranA + ranB).toBe(8)
      expect(pos.fetches.map((f) => f.target).sort()).toEqual(outlets)
      const ended = await Promise.all(ids.map((id) => job(a, tenant, id)))
      expect(ended.every((j) => j.status === "done" && j.attempts === 1)).toBe(true)
    })

    it("drains one tenant at a time in a process, however often it is kicked, and tenants side by side", async () => {
      const pos = makeFakePullPos()
      const jobs = runner(pos)
      const one = await tenantWith(jobs, pos, "A1", "A2", "A3")
      const two = await tenantWith(jobs, pos, "B1")
      for (const id of ["A1", "A2", "A3", "B1"]) pos.catalogs.set(id, catalog(1))
      pos.delayMs = 60
      const ids = [
        ...(await Promise.all(["A1", "A2", "A3"].map((id) => queue(jobs, one, id)))).map((q) => [one, q.id] as const),
        [two, (await queue(jobs, two, "B1")).id] as const
      ]
      const kick = (tenant: Tenant) => jobs.runPromise(Effect.flatMap(PullJobs, (j) => j.kick(tenant.id)))
      await Promise.all([kick(one), kick(one), kick(two), kick(one)])
      for (const [tenant, id] of ids) await settled(jobs, tenant, id)
      // At most one fetch of tenant one at a time; tenant two's ran beside it.
      expect(pos.running.most).toBe(2)
      const byTenant = (prefix: string) => pos.fetches.filter((f) => f.target.startsWith(prefix)).map((f) => f.at)
      const times = byTenant("A")
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(55)
      expect(pos.fetches).toHaveLength(4)
    })

    it("finds jobs nobody kicked when it sweeps the active tenants", async () => {
      const pos = makeFakePullPos()
      const jobs = runner(pos)
      const tenant = await tenantWith(jobs, pos, "S1")
      pos.catalogs.set("S1", catalog(1))
      const queued = await queue(jobs, tenant, "S1")
      await jobs.runPromise(Effect.flatMap(PullJobs, (j) => j.sweep))
      await settled(jobs, tenant, queued.id)
      expect(await job(jobs, tenant, queued.id)).toMatchObject({ status: "done" })
    })
  })
}
