/**
 * One Menu V2 menu composed from the products two POS systems synced (Deliverect and Lightspeed),
 * assigned to an outlet of each, published, changed, re-published, rolled back: each outlet sells its
 * own POS's products at the menu's prices and lists the others as not sold here, and the versions
 * follow every publish.
 *
 * Deliverect declares `linePrices` (its POS takes the prices an order carries): the menu prices its
 * items there as it likes. Lightspeed prices orders itself: a menu price differing from
 * its price is refused at publish, and its items are served at its own prices.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { storageAdapters } from "../support/storage-adapters.ts"
import {
  availableProducts,
  deliverectOutlet,
  type EffectiveMenuAnswer,
  type Editor,
  editor,
  effectiveMenu,
  lightspeedOutlet,
  type MenuApp,
  type OutletProduct,
  startMenuApp,
  syncDeliverect,
  syncLightspeed
} from "./support.ts"

const itemsOf = (menu: EffectiveMenuAnswer) =>
  new Map(menu.menus[0]!.sections.flatMap((s) => s.items.map((i) => [i.productId, i] as const)))

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`one menu over two POS systems (${adapter.name})`, () => {
    let m: MenuApp
    let e: Editor
    let d1: OutletProduct
    let d2: OutletProduct
    let l1: OutletProduct
    let l2: OutletProduct
    beforeAll(async () => {
      m = await startMenuApp(adapter.layer())
      await syncDeliverect(m)
      await syncLightspeed(m)
      e = editor(m)
      const atDeliverect = await availableProducts(m, deliverectOutlet)
      const atLightspeed = await availableProducts(m, lightspeedOutlet)
      expect(Math.min(atDeliverect.length, atLightspeed.length)).toBeGreaterThanOrEqual(2)
      ;[d1, d2] = [atDeliverect[0]!, atDeliverect[1]!]
      ;[l1, l2] = [atLightspeed[0]!, atLightspeed[1]!]
    }, 120_000)
    afterAll(() => m?.app.close())

    it("composes, publishes, changes, re-publishes and rolls back, each outlet selling its own POS's products", async () => {
      const draftId = await e.create("All day")
      const sectionId = await e.addSection(draftId, "Favourites", "GRID", 1)
      const dealPrice = d1.price.amount + 150
      const items = (deliverectBase: number) => [
        // Deliverect takes line prices: the menu's own base and special prices.
        { productId: d1.productId, position: 1, basePrice: deliverectBase, specialPrice: d1.price.amount },
        { productId: d2.productId, position: 2, basePrice: d2.price.amount + 50 },
        // Lightspeed prices orders itself: its own price, or none (then its price is the base).
        { productId: l1.productId, position: 3 },
        { productId: l2.productId, position: 4, basePrice: l2.price.amount }
      ]
      e.expectOk(await e.putStores(draftId, [deliverectOutlet, lightspeedOutlet]))

      // A Lightspeed item priced apart from Lightspeed's own price is refused, naming it.
      const wrong = items(dealPrice)
      wrong[3] = { ...wrong[3]!, basePrice: l2.price.amount + 10 }
      e.expectOk(await e.putItems(draftId, sectionId, wrong))
      const refused = await e.publish(draftId)
      expect(refused.status).toBe(400)
      const details = (refused.body as unknown as { error: { details: string } }).error.details
      expect(details).toContain("draft.sections[0].items[3].basePrice")
      expect(details).toContain("lightspeed prices orders itself")
      expect(details).not.toContain("items[0]")

      e.expectOk(await e.putItems(draftId, sectionId, items(dealPrice)))
      const first = e.expectOk(await e.publish(draftId), 201)
      expect(first).toMatchObject({ version: 1, created: true })
      const menuId = first.menuId

      const atDeliverect = await effectiveMenu(m, deliverectOutlet)
      expect(atDeliverect.source).toBe("menu-v2")
      expect(atDeliverect.menus.map((x) => [x.menuId, x.version, x.open])).toEqual([[menuId, 1, true]])
      expect(atDeliverect.menus[0]!.sections.map((s) => [s.name, s.displayType])).toEqual([["Favourites", "GRID"]])
      let served = itemsOf(atDeliverect)
      expect([...served.keys()]).toEqual([d1.productId, d2.productId, l1.productId, l2.productId])
      expect(served.get(d1.productId)).toMatchObject({
        available: true,
        reason: null,
        price: { amount: d1.price.amount },
        basePrice: { amount: dealPrice },
        specialPrice: { amount: d1.price.amount }
      })
      expect(served.get(d2.productId)).toMatchObject({
        available: true,
        price: { amount: d2.price.amount + 50 },
        specialPrice: null
      })
      for (const other of [l1, l2]) {
        expect(served.get(other.productId)).toMatchObject({ available: false, reason: "not-sold-here" })
      }

      const atLightspeed = await effectiveMenu(m, lightspeedOutlet)
      expect(atLightspeed.menus.map((x) => [x.menuId, x.version])).toEqual([[menuId, 1]])
      served = itemsOf(atLightspeed)
      expect(served.get(l1.productId)).toMatchObject({ available: true, price: { amount: l1.price.amount } })
      expect(served.get(l2.productId)).toMatchObject({ available: true, price: { amount: l2.price.amount } })
      for (const other of [d1, d2]) {
        expect(served.get(other.productId)).toMatchObject({ available: false, reason: "not-sold-here" })
      }

      // A change, re-published: version 2 is served, version 1 is listed.
      const changedPrice = dealPrice + 300
      e.expectOk(await e.putItems(draftId, sectionId, items(changedPrice)))
      expect(e.expectOk(await e.publish(draftId), 201)).toMatchObject({ menuId, version: 2, created: true })
      const second = await effectiveMenu(m, deliverectOutlet)
      expect(second.menus[0]!.version).toBe(2)
      expect(itemsOf(second).get(d1.productId)?.basePrice?.amount).toBe(changedPrice)
      const versions = e.expectOk(
        await e.send<{ data: Array<{ version: number }> }>("GET", `/api/v2/menus/${menuId}/versions`)
      )
      expect(versions.data.map((v) => v.version)).toEqual([2, 1])

      // Restoring version 1 makes it the draft again (the draft exists: a write under its ETag).
      const restored = await e.write<{ version: number; sections: Array<{ items: Array<{ basePrice: number }> }> }>(
        draftId,
        "POST",
        `/api/v2/menus/${menuId}/versions/1/restore`
      )
      expect(e.expectOk(restored).sections[0]!.items[0]!.basePrice).toBe(dealPrice)
      // Restoring is not publishing: version 2 is still served.
      expect((await effectiveMenu(m, deliverectOutlet)).menus[0]!.version).toBe(2)
      expect(e.expectOk(await e.publish(draftId), 201)).toMatchObject({ menuId, version: 3, created: true })
      const third = await effectiveMenu(m, deliverectOutlet)
      expect(third.menus[0]!.version).toBe(3)
      expect(itemsOf(third).get(d1.productId)?.basePrice?.amount).toBe(dealPrice)
      const atLightspeedNow = await effectiveMenu(m, lightspeedOutlet)
      expect(atLightspeedNow.menus[0]!.version).toBe(3)

      // Publishing again without a change creates no version.
      expect(e.expectOk(await e.publish(draftId), 200)).toMatchObject({ menuId, version: 3, created: false })
      const after = e.expectOk(
        await e.send<{ data: Array<{ version: number }> }>("GET", `/api/v2/menus/${menuId}/versions`)
      )
      expect(after.data.map((v) => v.version)).toEqual([3, 2, 1])
    }, 60_000)
  })
}
