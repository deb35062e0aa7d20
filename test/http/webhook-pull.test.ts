import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { PosInbox } from "../../application/ports/pos-inbox.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { type FakeAtlas, startFakeAtlas } from "../../plugins/atlas-kitchen/fake-atlas.ts"
import menuUpdated from "../../plugins/atlas-kitchen/fixtures/webhook-menu-updated.json" with { type: "json" }
import { call, makeTestApp, type TestApp } from "../support/app.ts"
import { storageAdapters } from "../support/storage-adapters.ts"

const host = "acme.localhost"

interface SyncView {
  syncId: string
  kind: string
  source: string
  status: string
  outletId: string | null
  counts: Record<string, { created: number }>
}

/**
 * Atlas Kitchen's `menu.updated` names a menu, not an outlet: the service pulls the merchant's
 * outlets and their catalogs from the Atlas API itself, after answering the webhook. Nothing is
 * pushed from outside.
 */
for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`a menu.updated webhook pulls the menu (${adapter.name})`, () => {
    let app: TestApp
    let atlas: FakeAtlas
    let key: string
    const tenant = "acme" as TenantId
    const webhook = (token: string, body = JSON.stringify(menuUpdated)) =>
      call(app, `/api/v1/pos/atlas-kitchen/webhooks?merchant=${atlas.merchantId}`, {
        method: "POST",
        host,
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body
      })
    const syncs = async () => {
      const response = await call(app, "/api/v1/syncs?limit=100", { host, key })
      expect(response.status).toBe(200)
      return ((await response.json()) as { data: Array<SyncView> }).data
    }
    /** Waits for the pulls the webhooks queued (they run after the answer): the jobs as they ended. */
    const jobsDone = async (count: number) => {
      const deadline = Date.now() + 15_000
      for (;;) {
        const jobs = await app.inTenant(
          tenant,
          Effect.flatMap(PosInbox, (inbox) => inbox.listJobs(100))
        )
        const ended = jobs.filter((j) => j.status === "done" || j.status === "failed")
        if ((jobs.length >= count && ended.length === jobs.length) || Date.now() > deadline) return jobs
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    const pulledSyncs = async () => (await syncs()).filter((s) => s.source === "pull" && s.kind === "products")

    beforeAll(async () => {
      atlas = await startFakeAtlas()
      app = await makeTestApp(adapter.layer(), {
        settings: { posPlugins: ["@pos-integration/plugin-atlas-kitchen"], jobRetryBaseMs: 50 }
      })
      await app.createTenant({ id: tenant, country: "SG", timezone: "Asia/Singapore", currency: "SGD" })
      key = (await app.issueKey(tenant, { kind: "pos" })).plaintext
      await app.inTenant(
        tenant,
        Effect.flatMap(PosCredentialStore, (store) =>
          store.setAccount("atlas-kitchen", atlas.merchantId, JSON.stringify(atlas.account))
        )
      )
    })
    afterAll(async () => {
      await app?.close()
      await atlas?.close()
    })

    it("refuses a webhook with the wrong token and pulls nothing", async () => {
      const response = await webhook("not-the-token")
      expect(response.status).toBe(401)
      expect(atlas.calls).toEqual([])
    })

    it("answers at once, then pulls the merchant's outlets and menus from Atlas and syncs them as a pull", async () => {
      const response = await webhook(atlas.account.webhookToken!)
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({ delivery: "applied", events: 1, pulls: 1 })
      const jobs = await jobsDone(1)
      expect(jobs.map((j) => [j.status, j.reason, j.accountId, j.externalOutletId])).toEqual([
        ["done", "webhook", atlas.merchantId, null]
      ])
      const pulled = await pulledSyncs()
      expect(pulled.length).toBeGreaterThan(0)
      expect(pulled.every((s) => s.status === "succeeded")).toBe(true)
      expect(pulled[0]!.counts["products"]!.created).toBeGreaterThan(0)
      // The outlets came from the pull too: an outlet sync recorded as pulled.
      expect((await syncs()).some((s) => s.kind === "outlets" && s.source === "pull")).toBe(true)
      const paths = atlas.calls.map((c) => c.path.split("?")[0] ?? "")
      expect(paths.some((p) => p.endsWith("/channel"))).toBe(true)
      expect(paths.some((p) => p.endsWith("/menus"))).toBe(true)
      // The Admin API was called with the merchant's credentials, as Atlas requires.
      const admin = atlas.calls.filter((c) => c.path.startsWith("/admin/"))
      expect(admin.every((c) => c.apiKey === atlas.apiKey && c.merchantId === atlas.merchantId)).toBe(true)
      const products = await call(app, `/api/v1/products?outletId=${pulled[0]!.outletId}`, { host, key })
      expect(products.status).toBe(200)
      expect(((await products.json()) as { data: Array<unknown> }).data.length).toBeGreaterThan(0)
    })

    it("changes nothing when the same webhook is delivered again, and an identical pull writes nothing", async () => {
      await jobsDone(1)
      const created = async () =>
        (await pulledSyncs()).reduce((sum, s) => sum + Object.values(s.counts).reduce((n, c) => n + c.created, 0), 0)
      const createdBefore = await created()
      const calls = atlas.calls.length
      const again = await webhook(atlas.account.webhookToken!)
      expect(await again.json()).toMatchObject({ delivery: "duplicate", pulls: 0 })
      expect((await jobsDone(1)).length).toBe(1)
      // A new delivery of a menu change (another event time) pulls again; the catalog is the same.
      const later = await webhook(atlas.account.webhookToken!, JSON.stringify({ ...menuUpdated, event_at: 1727423999 }))
      expect(await later.json()).toMatchObject({ delivery: "applied", pulls: 1 })
      const jobs = await jobsDone(2)
      expect(jobs.map((j) => j.status)).toEqual(["done", "done"])
      expect(atlas.calls.length).toBeGreaterThan(calls)
      expect(await created()).toBe(createdBefore)
    })
  })
}
