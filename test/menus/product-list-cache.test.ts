/**
 * An outlet's product pages are rendered once and served again while their key is unchanged: every
 * change they show must appear in the next read, on every storage adapter. A price synced by the POS,
 * a modifier option's price, a snooze delivered by webhook and its end at its own instant, the
 * outlet's own row. Two reads with nothing changed answer the same bytes and ETag (304 with it).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import menuSync from "../../plugins/deliverect/fixtures/menu-sync.json" with { type: "json" }
import { productListAnswers } from "../../runtime/http/product-list-answer.ts"
import { call } from "../support/app.ts"
import { storageAdapters } from "../support/storage-adapters.ts"
import {
  deliverectOutlet,
  host,
  type MenuApp,
  pushDeliverectMenus,
  readTwice,
  setDeliverectWebhookSecret,
  signedDeliverectWebhook,
  snoozeWebhook,
  startMenuApp,
  syncDeliverect
} from "./support.ts"

const secret = "whsec-list-cache-51c2"

interface Page {
  readonly data: ReadonlyArray<{
    readonly productId: string
    readonly posCode: string
    readonly price: { readonly amount: number; readonly currency: string } | null
    readonly available: boolean | null
    readonly snoozed: boolean | null
    readonly snoozedUntil: string | null
    readonly modifierGroups: ReadonlyArray<{
      readonly options: ReadonlyArray<{ readonly posCode: string; readonly price: { readonly amount: number } }>
    }>
  }>
  readonly nextCursor: string | null
}

type Menus = Array<{
  products: Record<string, { plu: string; price: number }>
  modifiers?: Record<string, { plu: string; price: number }>
}>

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`an outlet's product pages follow every change (${adapter.name})`, () => {
    let m: MenuApp
    const path = `/api/v1/products?outletId=${deliverectOutlet}`

    const read = async (query = "", ifNoneMatch?: string) => {
      const response = await call(m.app, `${path}${query}`, {
        host,
        key: m.partnerKey,
        ...(ifNoneMatch === undefined ? {} : { headers: { "if-none-match": ifNoneMatch } })
      })
      return { status: response.status, etag: response.headers.get("etag"), text: await response.text() }
    }
    /** The page, read twice: the same bytes under the same tag, and a 304 for that tag. */
    const page = async (query = "") => {
      const first = await readTwice((ifNoneMatch) => read(query, ifNoneMatch))
      return { ...(JSON.parse(first.text) as Page), etag: first.etag! }
    }
    const product = (p: Page, posCode: string) => {
      const found = p.data.find((d) => d.posCode === posCode)
      expect(found, posCode).toBeDefined()
      return found!
    }
    const push = async (menus: Menus) => {
      expect((await pushDeliverectMenus(m, menus)).status).toBe(200)
    }
    const signed = (body: string) => signedDeliverectWebhook(m.app, secret, body)
    const snooze = snoozeWebhook

    beforeAll(async () => {
      m = await startMenuApp(adapter.layer())
      await syncDeliverect(m)
      await setDeliverectWebhookSecret(m, secret)
    }, 120_000)
    afterAll(async () => {
      await m?.app.close()
    })

    it("keeps the rendered page and serves it again while nothing changes; each page and query its own", async () => {
      const all = await page()
      expect(productListAnswers.size).toBeGreaterThan(0)
      expect(product(all, "STK-01")).toMatchObject({ available: true, price: { amount: 2450 } })
      const first = await page("&limit=1")
      expect(first.data).toHaveLength(1)
      expect(first.nextCursor).not.toBeNull()
      const second = await page(`&limit=1&cursor=${encodeURIComponent(first.nextCursor!)}`)
      expect(second.data).toHaveLength(1)
      expect(second.data[0]!.productId).not.toBe(first.data[0]!.productId)
      expect((await page()).etag).toBe(all.etag)
    })

    it("shows a product's and a modifier option's price synced by the POS at once", async () => {
      const before = await page()
      const repriced = structuredClone(menuSync) as Menus
      for (const menu of repriced) {
        for (const p of Object.values(menu.products)) if (p.plu === "STK-01") p.price = 2600
      }
      await push(repriced)
      const after = await page()
      expect(product(after, "STK-01").price?.amount).toBe(2600)
      expect(after.etag).not.toBe(before.etag)
      const withOptions = after.data.find((d) => d.modifierGroups.some((g) => g.options.length > 0))
      expect(withOptions, "a product with modifier options").toBeDefined()
      const option = withOptions!.modifierGroups.flatMap((g) => g.options)[0]!
      const optionRepriced = structuredClone(repriced)
      for (const menu of optionRepriced) {
        for (const o of Object.values(menu.modifiers ?? {})) if (o.plu === option.posCode) o.price += 5
      }
      await push(optionRepriced)
      const options = (await page()).data.flatMap((d) => d.modifierGroups.flatMap((g) => g.options))
      expect(options.find((o) => o.posCode === option.posCode)!.price.amount).toBe(option.price.amount + 5)
      await push(menuSync as Menus)
      expect(product(await page(), "STK-01").price?.amount).toBe(2450)
    })

    it("shows a snooze delivered by webhook at once, and its end at its own instant", async () => {
      await page()
      const until = new Date(Date.now() + 1_500).toISOString()
      expect((await signed(snooze("BRG-01", until))).status).toBe(200)
      expect(product(await page(), "BRG-01")).toMatchObject({ available: false, snoozed: true, snoozedUntil: until })
      // Nothing is written when the snooze ends: the kept page must not outlive it.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(until) - Date.now()) + 50))
      expect(product(await page(), "BRG-01")).toMatchObject({ available: true, snoozed: false })
      expect((await signed(snooze("BRG-01", "2030-01-01T00:00:00.000Z"))).status).toBe(200)
      expect(product(await page(), "BRG-01")).toMatchObject({ available: false, snoozed: true })
      expect((await signed(snooze("BRG-01"))).status).toBe(200)
      expect(product(await page(), "BRG-01")).toMatchObject({ available: true, snoozed: false })
    })

    it("answers 404 for an outlet that does not exist, and 400 for a cursor of another query", async () => {
      const missing = await call(m.app, "/api/v1/products?outletId=out_0000000000000000000000", {
        host,
        key: m.partnerKey
      })
      expect([400, 404]).toContain(missing.status)
      const first = await page("&limit=1")
      const foreign = await read(`&limit=1&includeInactive=true&cursor=${encodeURIComponent(first.nextCursor!)}`)
      expect(foreign.status).toBe(400)
    })
  })
}
