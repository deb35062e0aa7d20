/**
 * Readers never see half a publish: 50 partners read one outlet's effective menu over and over while
 * its menu is re-published 20 times. Each version prices every item from its own number (version v
 * sells item j at 1000 v + j), so an answer mixing two versions, or naming one version with another's
 * prices, shows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { storageAdapters } from "../support/storage-adapters.ts"
import {
  availableProducts,
  deliverectOutlet,
  type Editor,
  editor,
  effectiveMenu,
  type MenuApp,
  startMenuApp,
  syncDeliverect
} from "./support.ts"

const readers = 50
const republishes = 20

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`concurrent readers during publishes (${adapter.name})`, () => {
    let m: MenuApp
    let e: Editor
    let productIds: ReadonlyArray<string>
    beforeAll(async () => {
      m = await startMenuApp(adapter.layer())
      await syncDeliverect(m)
      productIds = (await availableProducts(m, deliverectOutlet)).map((p) => p.productId)
      expect(productIds.length).toBeGreaterThanOrEqual(3)
      e = editor(m)
    }, 120_000)
    afterAll(() => m?.app.close())

    it(`${readers} readers while the menu is published ${republishes + 1} times: every answer is one whole version`, async () => {
      const draftId = await e.create("Prices by version")
      const sectionId = await e.addSection(draftId, "All")
      e.expectOk(await e.putStores(draftId, [deliverectOutlet]))
      const priceAt = (version: number, index: number) => 1000 * version + index
      const publishVersion = async (version: number) => {
        const items = productIds.map((productId, j) => ({ productId, position: j, basePrice: priceAt(version, j) }))
        e.expectOk(await e.putItems(draftId, sectionId, items))
        expect(e.expectOk(await e.publish(draftId), 201).version).toBe(version)
      }
      await publishVersion(1)

      let publishing = true
      const seen: Array<Array<number>> = []
      const problems: Array<string> = []
      const read = async () => {
        const mine: Array<number> = []
        seen.push(mine)
        do {
          const menu = await effectiveMenu(m, deliverectOutlet)
          const served = menu.menus[0]!
          mine.push(served.version)
          const items = served.sections[0]!.items
          if (items.length !== productIds.length) problems.push(`version ${served.version}: ${items.length} items`)
          items.forEach((item, j) => {
            if (item.price?.amount !== priceAt(served.version, j)) {
              problems.push(`version ${served.version}, item ${j}: ${item.price?.amount}`)
            }
          })
        } while (publishing)
      }
      const writer = async () => {
        try {
          for (let version = 2; version <= republishes + 1; version++) await publishVersion(version)
        } finally {
          publishing = false
        }
      }
      await Promise.all([writer(), ...Array.from({ length: readers }, read)])

      expect(problems).toEqual([])
      const answers = seen.flat()
      expect(answers.length).toBeGreaterThanOrEqual(readers)
      expect(new Set(answers).size).toBeGreaterThan(1)
      // A reader who reads again never goes back to an older version; the last one is served at the end.
      for (const mine of seen) expect(mine).toEqual([...mine].sort((a, b) => a - b))
      expect((await effectiveMenu(m, deliverectOutlet)).menus[0]!.version).toBe(republishes + 1)
    }, 120_000)
  })
}
