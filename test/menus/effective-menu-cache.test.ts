/**
 * The effective menu is rendered once and served again while its key is unchanged: every change it
 * depends on must show at once in the next read, on every storage adapter. A price synced by the POS,
 * a snooze delivered by webhook (and its end at its own instant), a busy mode, a re-publish, and the
 * menu opening and closing. Two reads with nothing changed answer the same bytes and the same ETag,
 * and a revalidation with that ETag is a 304.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import menuSync from "../../plugins/deliverect/fixtures/menu-sync.json" with { type: "json" }
import { effectiveMenuAnswers } from "../../runtime/http/effective-menu-answer.ts"
import { call } from "../support/app.ts"
import { storageAdapters } from "../support/storage-adapters.ts"
import {
  availableProducts,
  deliverectOutlet,
  type Editor,
  type EffectiveMenuAnswer,
  editor,
  host,
  type MenuApp,
  marinaBayWebhook,
  pushDeliverectMenus,
  readTwice,
  setDeliverectWebhookSecret,
  signedDeliverectWebhook,
  snoozeWebhook,
  startMenuApp,
  syncDeliverect
} from "./support.ts"

const secret = "whsec-cache-3b1d"

/** Open every day 09:00-17:00 in Singapore (+08:00): 01:00Z-09:00Z. */
const hours = {
  timezone: "Asia/Singapore",
  weekly: [1, 2, 3, 4, 5, 6, 7].map((dayOfWeek) => ({ dayOfWeek, opens: "09:00", closes: "17:00" })),
  exceptions: []
}
const noon = "2026-06-01T04:00:00.000Z"

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`the effective menu's rendered answers follow every change (${adapter.name})`, () => {
    let m: MenuApp
    let e: Editor
    let draftId: string
    let sectionId: string
    let steak: string
    let burger: string

    const read = async (at: string, ifNoneMatch?: string) => {
      const response = await call(m.app, `/api/v1/outlets/${deliverectOutlet}/menu?at=${encodeURIComponent(at)}`, {
        host,
        key: m.partnerKey,
        ...(ifNoneMatch === undefined ? {} : { headers: { "if-none-match": ifNoneMatch } })
      })
      const text = await response.text()
      return { status: response.status, etag: response.headers.get("etag"), text }
    }
    /** The menu at `at`, read twice: both answers must be the same bytes under the same tag. */
    const menuAt = async (at: string) => {
      const first = await readTwice((ifNoneMatch) => read(at, ifNoneMatch))
      return { ...(JSON.parse(first.text) as EffectiveMenuAnswer), etag: first.etag! }
    }
    const item = (menu: EffectiveMenuAnswer, productId: string) => {
      const found = menu.menus[0]!.sections.flatMap((s) => s.items).find((i) => i.productId === productId)
      expect(found, productId).toBeDefined()
      return found!
    }
    const signed = (body: string) => signedDeliverectWebhook(m.app, secret, body)
    const snooze = snoozeWebhook
    const busy = (status: string) => marinaBayWebhook({ status, delay: 30 })

    beforeAll(async () => {
      m = await startMenuApp(adapter.layer())
      await syncDeliverect(m)
      await setDeliverectWebhookSecret(m, secret)
      const products = await availableProducts(m, deliverectOutlet)
      steak = products.find((p) => p.posCode === "STK-01")!.productId
      burger = products.find((p) => p.posCode === "BRG-01")!.productId
      e = editor(m)
      draftId = await e.create("Lunch")
      sectionId = await e.addSection(draftId, "Mains")
      e.expectOk(
        await e.putItems(draftId, sectionId, [
          { productId: steak, position: 1 },
          { productId: burger, position: 2 }
        ])
      )
      e.expectOk(await e.putHours(draftId, hours))
      e.expectOk(await e.putStores(draftId, [deliverectOutlet]))
      e.expectOk(await e.publish(draftId), 201)
    }, 120_000)
    afterAll(() => m?.app.close())

    it("keeps the rendered answer, and serves the same bytes to a later instant while nothing changes", async () => {
      const first = await menuAt(noon)
      expect(effectiveMenuAnswers.size).toBeGreaterThan(0)
      expect(item(first, steak)).toMatchObject({ available: true, price: { amount: 2450 } })
      const later = await read("2026-06-01T04:30:00.000Z")
      expect(later.etag).toBe(first.etag)
    })

    it("shows a price synced by the POS at once", async () => {
      const before = await menuAt(noon)
      const repriced = structuredClone(menuSync) as Array<{ products: Record<string, { plu: string; price: number }> }>
      for (const menu of repriced) for (const p of Object.values(menu.products)) if (p.plu === "STK-01") p.price = 2600
      expect((await pushDeliverectMenus(m, repriced)).status).toBe(200)
      const after = await menuAt(noon)
      expect(item(after, steak).price?.amount).toBe(2600)
      expect(after.etag).not.toBe(before.etag)
    })

    it("shows a snooze delivered by webhook at once, ends it at its own instant, and shows the unsnooze", async () => {
      const until = "2026-06-01T05:00:00.000Z"
      await menuAt(noon)
      expect((await signed(snooze("BRG-01", until))).status).toBe(200)
      expect(item(await menuAt(noon), burger)).toMatchObject({
        available: false,
        reason: "snoozed",
        snoozedUntil: until
      })
      // At its end instant the product is back; a millisecond before, it is not, in whatever order asked.
      expect(item(await menuAt(until), burger)).toMatchObject({ available: true, reason: null })
      expect(item(await menuAt("2026-06-01T04:59:59.999Z"), burger)).toMatchObject({ reason: "snoozed" })
      expect(item(await menuAt(until), burger)).toMatchObject({ available: true, reason: null })
      expect((await signed(snooze("BRG-01"))).status).toBe(200)
      expect(item(await menuAt(noon), burger)).toMatchObject({ available: true, reason: null })
    })

    it("shows the busy mode at once", async () => {
      await menuAt(noon)
      expect((await signed(busy("PAUSED"))).status).toBe(200)
      const paused = await menuAt(noon)
      expect(paused.busyMode).toBe("PAUSED")
      expect(item(paused, steak)).toMatchObject({ available: false, reason: "paused" })
      expect((await signed(busy("ONLINE"))).status).toBe(200)
      const online = await menuAt(noon)
      expect(online.busyMode).toBe("ONLINE")
      expect(item(online, steak)).toMatchObject({ available: true, reason: null })
    })

    it("serves a re-published version at once", async () => {
      const before = await menuAt(noon)
      e.expectOk(
        await e.putItems(draftId, sectionId, [
          { productId: steak, position: 1, specialPrice: 1999 },
          { productId: burger, position: 2 }
        ])
      )
      const published = e.expectOk(await e.publish(draftId), 201)
      const after = await menuAt(noon)
      expect(after.menus[0]!.version).toBe(published.version)
      expect(after.menus[0]!.version).toBe(before.menus[0]!.version + 1)
      expect(item(after, steak).price?.amount).toBe(1999)
    })

    it("opens and closes the menu at its hours: the instants either side answer differently", async () => {
      const closing = "2026-06-01T09:00:00.000Z"
      const open = await menuAt("2026-06-01T08:59:59.999Z")
      expect(open.menus[0]).toMatchObject({ open: true, nextChange: closing })
      expect(item(open, steak)).toMatchObject({ available: true })
      const closed = await menuAt(closing)
      expect(closed.menus[0]).toMatchObject({ open: false, nextChange: "2026-06-02T01:00:00.000Z" })
      expect(item(closed, steak)).toMatchObject({ available: false, reason: "closed" })
      expect((await menuAt("2026-06-01T08:59:59.999Z")).menus[0]!.open).toBe(true)
      // Between two changes the menu's own answer is the same: the next change it names is the same.
      expect((await read("2026-06-01T01:00:00.000Z")).etag).toBe((await read("2026-06-01T08:00:00.000Z")).etag)
    })
  })
}
