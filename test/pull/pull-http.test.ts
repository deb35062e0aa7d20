import { Effect, Exit, Layer, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { PullSchedules } from "../../application/ports/pull-schedules.ts"
import { outletId } from "../../domain/ids.ts"
import type { TenantId } from "../../domain/tenant.ts"
import deliverectOutlets from "../../plugins/deliverect/fixtures/outlets-batch.json" with { type: "json" }
import { type FakeLightspeed, startFakeLightspeed } from "../../plugins/lightspeed/fake-lightspeed.ts"
import businesses from "../../plugins/lightspeed/fixtures/businesses.json" with { type: "json" }
import menuAllDay from "../../plugins/lightspeed/fixtures/menu-all-day.json" with { type: "json" }
import menuHappyHour from "../../plugins/lightspeed/fixtures/menu-happy-hour.json" with { type: "json" }
import { pullBackground } from "../../runtime/pull/schedule-ticker.ts"
import { call, makeTestApp, type TestApp } from "../support/app.ts"
import { storageAdapters } from "../support/storage-adapters.ts"

const json = (body: unknown) => JSON.stringify(body)

/** Kopi & Co Group alone: its three locations (Lightspeed business locations). */
const kopi = "454335871"
const rafflesPlace = "45454565682155"
const tanjongPagar = "45454565682201"
const jewel = "9007199254740993"
const kopiOnly = {
  ...businesses,
  _embedded: { businessList: businesses._embedded.businessList.filter((b) => String(b.businessId) === kopi) }
}
const client = {
  clientId: "pos-integration-e2e",
  clientSecret: "cs-e2e-4f9a1c7d2b",
  refreshToken: "rt-e2e-first-0a1b2c"
}

interface SyncBody {
  syncId: string
  kind: string
  source: string
  outletId: string | null
  status: string
  counts: Record<string, { created: number; updated: number; unchanged: number; deactivated: number }>
  error: string | null
}
interface JobBody {
  jobId: string
  status: string
  attempts: number
  lastError: string | null
  outletId: string | null
  reason: string
  finishedAt: string | null
}

const waitFor = async <A>(what: string, probe: () => Promise<A | undefined>, timeoutMs = 20_000): Promise<A> => {
  const until = Date.now() + timeoutMs
  for (;;) {
    const found = await probe()
    if (found !== undefined) return found
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`pulls over HTTP (${adapter.name})`, () => {
    let app: TestApp
    let fake: FakeLightspeed
    const keys = { pos: "", partner: "", editor: "", other: "" }
    const tenant = "acme" as TenantId
    const host = "acme.localhost"
    beforeAll(async () => {
      fake = await startFakeLightspeed({
        ...client,
        businesses: kopiOnly,
        menus: { [rafflesPlace]: [menuAllDay, menuHappyHour], [tanjongPagar]: [menuAllDay], [jewel]: [] }
      })
      app = await makeTestApp(adapter.layer(), {
        settings: {
          posPlugins: ["@pos-integration/plugin-lightspeed", "@pos-integration/plugin-deliverect"],
          jobRetryBaseMs: 200,
          jobRetryMaxMs: 400,
          pullTickMs: 100,
          jobSweepMs: 60_000
        }
      })
      await app.createTenant({ id: tenant })
      await app.createTenant({ id: "globex" as TenantId })
      keys.pos = (await app.issueKey(tenant, { kind: "pos" })).plaintext
      keys.partner = (await app.issueKey(tenant, { kind: "partner" })).plaintext
      keys.editor = (await app.issueKey(tenant, { kind: "editor" })).plaintext
      keys.other = (await app.issueKey("globex" as TenantId, { kind: "pos" })).plaintext
      // The POS registers its locations (an outlet push); its catalogs are never pushed.
      const post = (provider: string, body: unknown) =>
        call(app, "/api/v1/outlets/sync", {
          method: "POST",
          host,
          key: keys.pos,
          headers: { "content-type": "application/json", "x-provider": provider },
          body: json(body)
        })
      expect((await post("lightspeed", kopiOnly)).status).toBe(200)
      expect((await post("deliverect", deliverectOutlets)).status).toBe(200)
      // The operator sets the business's OAuth client and refresh token (no access token yet).
      await app.inTenant(
        tenant,
        Effect.flatMap(PosCredentialStore, (store) =>
          store.setAccount("lightspeed", kopi, json({ apiBaseUrl: fake.url, ...client }))
        )
      )
    }, 90_000)
    afterAll(async () => {
      await app?.close()
      await fake?.close()
    })

    const get = (path: string, key = keys.pos, on = host) => call(app, path, { host: on, key })
    const pull = (id: string, key = keys.pos) => call(app, `/api/v1/outlets/${id}/pull`, { method: "POST", host, key })
    const job = async (id: string) => (await (await get(`/api/v1/jobs/${id}`)).json()) as JobBody
    const finished = (id: string) =>
      waitFor(`job ${id}`, async () => {
        const body = await job(id)
        return body.status === "done" || body.status === "failed" ? body : undefined
      })
    const syncs = async (outlet?: string) =>
      (
        (await (await get(`/api/v1/syncs${outlet === undefined ? "" : `?outletId=${outlet}`}`)).json()) as {
          data: Array<SyncBody>
        }
      ).data
    const raffles = outletId("lightspeed", rafflesPlace)

    it("queues a pull on request (202), runs it after the answer, and shows the job and a sync from a pull", async () => {
      const response = await pull(raffles)
      expect(response.status).toBe(202)
      const queued = (await response.json()) as { jobId: string; status: string }
      expect(queued).toEqual({ jobId: expect.stringMatching(/^job_[0-9a-f]{32}$/), status: "pending" })
      const done = await finished(queued.jobId)
      expect(done).toMatchObject({ status: "done", attempts: 1, lastError: null, outletId: raffles, reason: "request" })
      expect(done.finishedAt).not.toBeNull()
      const [latest] = await syncs(raffles)
      expect(latest).toMatchObject({ kind: "products", source: "pull", status: "succeeded", error: null })
      // The All Day menu's 10 products and the Happy Hour's Beer Tower: 11.
      expect(latest!.counts["products"]).toMatchObject({ created: 11 })
      const menu = (await (await get(`/api/v1/outlets/${raffles}/menu`, keys.partner)).json()) as {
        menus: Array<{ name: string }>
      }
      expect(menu.menus).toHaveLength(2)
      // The refresh token was spent once, and its replacement stored through the vault.
      expect(fake.refreshes()).toBe(1)
      const stored = await app.inTenant(
        tenant,
        Effect.flatMap(PosCredentialStore, (store) => store.getAccount("lightspeed", kopi))
      )
      expect(JSON.parse(stored!)).toMatchObject({ refreshToken: fake.refreshToken() })
    })

    it("answers 404 for an unknown outlet or job, and 409 for an outlet whose POS pushes", async () => {
      const unknown = await pull(outletId("lightspeed", "nowhere"))
      expect(unknown.status).toBe(404)
      expect(await unknown.json()).toMatchObject({ error: { code: 404, message: "outlet not found" } })
      expect((await pull("not-an-id")).status).toBe(404)

      const deliverect = outletId("deliverect", deliverectOutlets[0]!.channelLinkId)
      const pushing = await pull(deliverect)
      expect(pushing.status).toBe(409)
      expect(await pushing.json()).toEqual({
        error: {
          code: 409,
          message: "pull not supported",
          details: `outlet '${deliverect}' is synced by deliverect, whose POS pushes its catalog: its plugin has no pull capability`
        }
      })

      for (const id of ["job_00000000000000000000000000000000", "nonsense"]) {
        const missing = await get(`/api/v1/jobs/${id}`)
        expect(missing.status).toBe(404)
        expect(await missing.json()).toMatchObject({ error: { message: "job not found" } })
      }
    })

    it("needs the pos:sync scope, and keeps each tenant's jobs to itself", async () => {
      const queued = (await (await pull(raffles)).json()) as { jobId: string }
      await finished(queued.jobId)
      for (const key of [keys.partner, keys.editor]) {
        expect((await pull(raffles, key)).status).toBe(403)
        expect((await get(`/api/v1/jobs/${queued.jobId}`, key)).status).toBe(403)
      }
      expect((await call(app, `/api/v1/outlets/${raffles}/pull`, { method: "POST", host })).status).toBe(401)
      expect((await get(`/api/v1/jobs/${queued.jobId}`, keys.other, "globex.localhost")).status).toBe(404)
    })

    it("retries a POS that cannot be reached, showing why, without credentials, until it answers", async () => {
      fake.fail("/o/op/1/menu/list", { status: 503, body: json({ status: 503, message: "maintenance" }) }, 2)
      const queued = (await (await pull(raffles)).json()) as { jobId: string }
      const retrying = await waitFor("a failed attempt", async () => {
        const body = await job(queued.jobId)
        return body.lastError !== null ? body : undefined
      })
      expect(retrying.lastError).toContain("PosUnavailable (outlet 45454565682155)")
      for (const secret of [client.clientSecret, fake.refreshToken()]) expect(retrying.lastError).not.toContain(secret)
      const failedSync = (await syncs(raffles)).find((s) => s.status === "failed")
      expect(failedSync).toMatchObject({ source: "pull", kind: "products" })
      expect(failedSync!.error).toMatch(/^PosUnavailable: /)
      const done = await finished(queued.jobId)
      expect(done).toMatchObject({ status: "done", attempts: 3 })
    })

    it("pulls every outlet of the provider on schedule, with no push, and an identical scheduled pull writes nothing", async () => {
      const scope = await Effect.runPromise(Scope.make())
      const schedule = () =>
        app.runtime.runPromise(
          Effect.flatMap(PullSchedules, (s) =>
            Effect.andThen(s.remove("lightspeed"), s.set("lightspeed", 3_600_000, new Date()))
          )
        )
      const pullSyncsOf = async (id: string) =>
        (await syncs(outletId("lightspeed", id))).filter((s) => s.source === "pull")
      try {
        const before = (await pullSyncsOf(tanjongPagar)).length
        await app.runtime.runPromise(Layer.buildWithScope(pullBackground, scope))
        await schedule()
        // The ticker claims the schedule and queues a pull of the business; its outlets follow.
        const first = await waitFor("a scheduled pull of Tanjong Pagar", async () => {
          const found = await pullSyncsOf(tanjongPagar)
          return found.length > before ? found[0] : undefined
        })
        expect(first).toMatchObject({ kind: "products", source: "pull", status: "succeeded" })
        expect(first.counts["products"]).toMatchObject({ created: 10 })
        expect((await syncs()).find((s) => s.kind === "outlets" && s.source === "pull")).toMatchObject({
          status: "succeeded",
          outletId: null
        })
        await waitFor("Jewel Changi's pull", async () => ((await pullSyncsOf(jewel)).length > 0 ? true : undefined))
        const products = async () =>
          (
            (await (
              await get(`/api/v1/products?outletId=${outletId("lightspeed", tanjongPagar)}&limit=500`, keys.partner)
            ).json()) as {
              data: Array<{ productId: string; updatedAt: string }>
            }
          ).data
        const rows = await products()
        expect(rows).toHaveLength(10)

        await schedule()
        const second = await waitFor("a second scheduled pull", async () => {
          const found = await pullSyncsOf(tanjongPagar)
          return found.length > before + 1 ? found[0] : undefined
        })
        expect(second.syncId).not.toBe(first.syncId)
        expect(second.counts["products"]).toEqual({ created: 0, updated: 0, unchanged: 10, deactivated: 0 })
        expect(await products()).toEqual(rows)
      } finally {
        await Effect.runPromise(Scope.close(scope, Exit.void))
        await app.runtime.runPromise(Effect.flatMap(PullSchedules, (s) => s.remove("lightspeed")))
      }
    })
  })
}
