import { createHmac } from "node:crypto"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { outletId } from "../../domain/ids.ts"
import type { TenantId } from "../../domain/tenant.ts"
import menuSync from "../../plugins/deliverect/fixtures/menu-sync.json" with { type: "json" }
import outletsBatch from "../../plugins/deliverect/fixtures/outlets-batch.json" with { type: "json" }
import { call, makeTestApp, type TestApp } from "../support/app.ts"
import { storageAdapters } from "../support/storage-adapters.ts"

const host = "acme.localhost"
const channelLink = "649ad021949cfa36470f9ea9"
const otherLink = "65ddbe003110fd505a9e7be4"
const secret = "whsec-marina-bay-7f3a"
const webhookPath = "/api/v1/pos/deliverect/webhooks"

const sign = (body: string, key = secret) => createHmac("sha256", key).update(body).digest("hex")

/** A Deliverect snooze webhook for the Marina Bay channel link, as Deliverect sends it. */
const snoozeBody = (items: ReadonlyArray<{ plu: string; snoozeEnd?: string }>, action = "snooze", link = channelLink) =>
  JSON.stringify({
    accountId: "5b1f3e71c6489f0029a1b2d4",
    locationId: "61c30761e41eefadd03072af",
    channelLinkId: link,
    operations: [{ action, data: { items: items.map((i) => ({ snoozeStart: "2026-03-24T16:21:54Z", ...i })) } }]
  })

interface MenuAnswer {
  busyMode: string
  menus: Array<{
    sections: Array<{ products: Array<{ posCode: string; available: boolean }>; subSections: Array<never> }>
  }>
}

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`POS webhooks over HTTP (${adapter.name})`, () => {
    let app: TestApp
    let partnerKey: string
    const tenant = "acme" as TenantId
    const store = outletId("deliverect", channelLink)
    const post = (body: string, headers: Record<string, string> = {}, path = webhookPath) =>
      call(app, path, {
        method: "POST",
        host,
        headers: { "content-type": "application/json", ...headers },
        body
      })
    const signed = (body: string, path?: string) => post(body, { "x-deliverect-signature": sign(body) }, path)
    /** The outlet's product with this POS code, as the partner API reads it now. */
    const product = async (plu: string) => {
      const response = await call(app, `/api/v1/products?outletId=${store}&limit=500`, { host, key: partnerKey })
      expect(response.status).toBe(200)
      const page = (await response.json()) as {
        data: Array<{ posCode: string; available: boolean; snoozed: boolean; snoozedUntil: string | null }>
      }
      const found = page.data.find((p) => p.posCode === plu)
      expect(found, `product ${plu}`).toBeDefined()
      return found!
    }
    const menuAt = async (at: string) => {
      const response = await call(app, `/api/v1/outlets/${store}/menu?at=${encodeURIComponent(at)}`, {
        host,
        key: partnerKey
      })
      expect(response.status).toBe(200)
      const menu = (await response.json()) as MenuAnswer
      const availability = new Map<string, boolean>()
      for (const m of menu.menus)
        for (const s of m.sections) for (const p of s.products) availability.set(p.posCode, p.available)
      return { busyMode: menu.busyMode, availability }
    }

    beforeAll(async () => {
      app = await makeTestApp(adapter.layer(), {
        settings: { posPlugins: ["@pos-integration/plugin-deliverect"], maxWebhookBodyBytes: 64 * 1024 }
      })
      await app.createTenant({ id: tenant })
      const posKey = (await app.issueKey(tenant, { kind: "pos" })).plaintext
      partnerKey = (await app.issueKey(tenant, { kind: "partner" })).plaintext
      const sync = (path: string, body: unknown) =>
        call(app, path, {
          method: "POST",
          host,
          key: posKey,
          headers: { "content-type": "application/json", "x-provider": "deliverect" },
          body: JSON.stringify(body)
        })
      expect((await sync("/api/v1/outlets/sync", outletsBatch)).status).toBe(200)
      expect((await sync("/api/v1/products/sync", menuSync)).status).toBe(200)
      await app.inTenant(
        tenant,
        Effect.flatMap(PosCredentialStore, (credentials) =>
          credentials.setOutlet(
            store,
            JSON.stringify({
              channelName: "acme",
              clientId: "client-1",
              clientSecret: "client-secret-1",
              webhookSecret: secret
            })
          )
        )
      )
    })
    afterAll(() => app?.close())

    it("applies a signed snooze: the product reads unavailable until the time given, and available after", async () => {
      // The pushed menu carries a snooze that ended in 2024.
      expect(await product("WNG-06")).toMatchObject({ available: true, snoozed: false })
      const body = snoozeBody([{ plu: "WNG-06", snoozeEnd: "2099-03-24T22:21:54Z" }])
      const response = await signed(body)
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({
        received: true,
        provider: "deliverect",
        delivery: "applied",
        events: 1,
        ignored: 0,
        pulls: 0
      })
      expect(await product("WNG-06")).toMatchObject({
        available: false,
        snoozed: true,
        snoozedUntil: "2099-03-24T22:21:54.000Z"
      })
      expect((await menuAt("2099-03-24T22:00:00Z")).availability.get("WNG-06")).toBe(false)
      expect((await menuAt("2099-03-24T22:21:55Z")).availability.get("WNG-06")).toBe(true)
    })

    it("refuses the same body with one byte changed with a 401 envelope, and changes nothing", async () => {
      const body = snoozeBody([{ plu: "BRG-01", snoozeEnd: "2099-01-01T00:00:00Z" }])
      const signature = sign(body)
      const tampered = body.replace("BRG-01", "BRG-02")
      expect(tampered).not.toBe(body)
      const response = await post(tampered, { "x-deliverect-signature": signature })
      expect(response.status).toBe(401)
      const envelope = (await response.json()) as { error: { code: number; message: string; details: string } }
      expect(envelope.error).toMatchObject({ code: 401, message: "webhook not verified" })
      expect(envelope.error.details).toContain("signature mismatch")
      expect((await product("BRG-01")).available).toBe(true)
      const unsigned = await post(body)
      expect(unsigned.status).toBe(401)
      const wrongKey = await post(body, { "x-deliverect-signature": sign(body, "another-secret") })
      expect(wrongKey.status).toBe(401)
      expect((await product("BRG-01")).available).toBe(true)
    })

    it("has one effect when the same delivery arrives twice", async () => {
      const snooze = snoozeBody([{ plu: "STK-01", snoozeEnd: "2099-05-01T12:00:00Z" }])
      const unsnooze = snoozeBody([{ plu: "STK-01" }], "unsnooze")
      expect((await signed(snooze)).status).toBe(200)
      expect((await signed(unsnooze)).status).toBe(200)
      expect((await product("STK-01")).available).toBe(true)
      // The snooze delivered again (a vendor's retry) must not snooze the item a second time.
      const again = await signed(snooze)
      expect(again.status).toBe(200)
      expect(await again.json()).toMatchObject({ delivery: "duplicate" })
      expect((await product("STK-01")).available).toBe(true)
    })

    it("keeps a snooze without an end until further notice, and tolerates the vendor's query", async () => {
      const body = snoozeBody([{ plu: "BRG-01" }])
      const response = await signed(body, `${webhookPath}?event=snooze&channel=PosIntegration`)
      expect(response.status).toBe(200)
      expect(await product("BRG-01")).toMatchObject({ available: false, snoozed: true, snoozedUntil: null })
      expect((await menuAt("2999-12-31T23:59:59Z")).availability.get("BRG-01")).toBe(false)
      expect((await signed(snoozeBody([{ plu: "BRG-01" }], "unsnooze"))).status).toBe(200)
      expect((await product("BRG-01")).available).toBe(true)
    })

    it("sets the busy mode read by the partner API at once; PAUSED makes the menu unavailable", async () => {
      const busy = (status: string) =>
        JSON.stringify({
          accountId: "5b1f3e71c6489f0029a1b2d4",
          locationId: "61c30761e41eefadd03072af",
          channelLinkId: channelLink,
          status,
          delay: 30
        })
      expect((await signed(busy("PAUSED"))).status).toBe(200)
      const outlet = await call(app, `/api/v1/outlets/${store}`, { host, key: partnerKey })
      expect(((await outlet.json()) as { busyMode: string }).busyMode).toBe("PAUSED")
      const paused = await menuAt("2026-06-01T12:00:00Z")
      expect(paused.busyMode).toBe("PAUSED")
      expect([...paused.availability.values()].every((available) => !available)).toBe(true)
      expect((await signed(busy("ONLINE"))).status).toBe(200)
      expect((await menuAt("2026-06-01T12:00:00Z")).busyMode).toBe("ONLINE")
    })

    it("answers 401 for an outlet it does not know or that has no credentials, and 404 for an unknown plugin", async () => {
      const unknown = snoozeBody([{ plu: "WNG-06" }], "snooze", "000000000000000000000000")
      const forUnknown = await signed(unknown)
      expect(forUnknown.status).toBe(401)
      expect(((await forUnknown.json()) as { error: { details: string } }).error.details).toContain("not known")
      // Tanjong Pagar is known (registered) but an operator has set no credentials for it.
      const noCredentials = await signed(snoozeBody([{ plu: "WNG-06" }], "snooze", otherLink))
      expect(noCredentials.status).toBe(401)
      expect(((await noCredentials.json()) as { error: { details: string } }).error.details).toContain("no credentials")
      const plugin = await signed(snoozeBody([{ plu: "WNG-06" }]), "/api/v1/pos/squareup/webhooks")
      expect(plugin.status).toBe(404)
      expect(((await plugin.json()) as { error: { code: number } }).error.code).toBe(404)
    })

    it("refuses what is not a Deliverect webhook (400 naming the problem) and bodies over the webhook limit (413)", async () => {
      const notJson = "not json at all"
      const garbage = await post(notJson, { "x-deliverect-signature": sign(notJson) })
      expect(garbage.status).toBe(400)
      const big = JSON.stringify({ channelLinkId: channelLink, pad: "x".repeat(70 * 1024) })
      const tooBig = await post(big, { "x-deliverect-signature": sign(big) })
      expect(tooBig.status).toBe(413)
      expect(((await tooBig.json()) as { error: { code: number } }).error.code).toBe(413)
      const noHost = await call(app, webhookPath, {
        method: "POST",
        host: "localhost",
        headers: { "content-type": "application/json", "x-deliverect-signature": sign(snoozeBody([])) },
        body: snoozeBody([])
      })
      expect(noHost.status).toBe(401)
    })
  })
}
