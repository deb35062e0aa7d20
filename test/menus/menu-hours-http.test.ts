/**
 * The effective menu around its opening times, served over HTTP from every storage adapter: a minute
 * before and after opening and closing, ranges running past midnight, both daylight-saving change days
 * of Europe/Amsterdam (the menu opens at its local time whatever the UTC offset, and a night spanning
 * the change is an hour shorter or longer), and a date closed all day.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { storageAdapters } from "../support/storage-adapters.ts"
import {
  availableProducts,
  deliverectOutlet,
  editor,
  effectiveMenu,
  type MenuApp,
  startMenuApp,
  syncDeliverect
} from "./support.ts"

/** Europe/Amsterdam: CET (+01:00) in winter, CEST (+02:00) from 2026-03-29 01:00Z to 2026-10-25 01:00Z. */
const hours = {
  timezone: "Europe/Amsterdam",
  weekly: [
    { dayOfWeek: 5, opens: "18:00", closes: "02:00" },
    { dayOfWeek: 6, opens: "22:00", closes: "04:00" },
    { dayOfWeek: 7, opens: "09:00", closes: "17:00" }
  ],
  exceptions: [{ date: "2026-12-25", closed: true }]
}

/** [what, at (UTC), open, next change (UTC)] */
const cases: ReadonlyArray<readonly [string, string, boolean, string]> = [
  ["an ordinary Sunday, a minute before opening at 09:00 CET", "2026-03-22T07:59:00Z", false, "2026-03-22T08:00:00Z"],
  ["an ordinary Sunday, a minute after opening", "2026-03-22T08:01:00Z", true, "2026-03-22T16:00:00Z"],
  ["the spring change day, a minute before 09:00 CEST", "2026-03-29T06:59:00Z", false, "2026-03-29T07:00:00Z"],
  ["the spring change day, a minute after opening", "2026-03-29T07:01:00Z", true, "2026-03-29T15:00:00Z"],
  ["the autumn change day, a minute before 09:00 CET", "2026-10-25T07:59:00Z", false, "2026-10-25T08:00:00Z"],
  ["the autumn change day, a minute after opening", "2026-10-25T08:01:00Z", true, "2026-10-25T16:00:00Z"],
  ["a Friday, a minute before opening at 18:00", "2026-03-27T16:59:00Z", false, "2026-03-27T17:00:00Z"],
  ["a Friday, a minute after opening: it closes past midnight", "2026-03-27T17:01:00Z", true, "2026-03-28T01:00:00Z"],
  [
    "past midnight into Saturday, a minute before closing at 02:00",
    "2026-03-28T00:59:00Z",
    true,
    "2026-03-28T01:00:00Z"
  ],
  ["past midnight, a minute after closing", "2026-03-28T01:01:00Z", false, "2026-03-28T21:00:00Z"],
  [
    "the Saturday before the spring change, a minute before 22:00 CET",
    "2026-03-28T20:59:00Z",
    false,
    "2026-03-28T21:00:00Z"
  ],
  ["that night, open until 04:00 CEST (five hours, not six)", "2026-03-28T21:01:00Z", true, "2026-03-29T02:00:00Z"],
  ["that night, a minute before 04:00 CEST", "2026-03-29T01:59:00Z", true, "2026-03-29T02:00:00Z"],
  ["that night, a minute after 04:00 CEST", "2026-03-29T02:01:00Z", false, "2026-03-29T07:00:00Z"],
  [
    "the Saturday before the autumn change, a minute before 22:00 CEST",
    "2026-10-24T19:59:00Z",
    false,
    "2026-10-24T20:00:00Z"
  ],
  ["that night, open until 04:00 CET (seven hours)", "2026-10-24T20:01:00Z", true, "2026-10-25T03:00:00Z"],
  ["that night, a minute before 04:00 CET", "2026-10-25T02:59:00Z", true, "2026-10-25T03:00:00Z"],
  ["that night, a minute after 04:00 CET", "2026-10-25T03:01:00Z", false, "2026-10-25T08:00:00Z"],
  ["Christmas Day, a Friday closed all day", "2026-12-25T18:00:00Z", false, "2026-12-26T21:00:00Z"]
]

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`the effective menu around its hours (${adapter.name})`, () => {
    let m: MenuApp
    let productId: string
    beforeAll(async () => {
      m = await startMenuApp(adapter.layer())
      await syncDeliverect(m)
      productId = (await availableProducts(m, deliverectOutlet))[0]!.productId
      const e = editor(m)
      const draftId = await e.create("Evenings")
      const sectionId = await e.addSection(draftId, "Bites")
      e.expectOk(await e.putItems(draftId, sectionId, [{ productId, position: 1 }]))
      e.expectOk(await e.putHours(draftId, hours))
      e.expectOk(await e.putStores(draftId, [deliverectOutlet]))
      e.expectOk(await e.publish(draftId), 201)
    }, 120_000)
    afterAll(() => m?.app.close())

    it("reads `at` written with an offset as the same instant", async () => {
      const menu = await effectiveMenu(m, deliverectOutlet, "2026-03-29T09:01:00+02:00")
      expect([menu.menus[0]!.open, menu.menus[0]!.nextChange]).toEqual([true, "2026-03-29T15:00:00.000Z"])
    })

    for (const [what, at, open, nextChange] of cases) {
      it(`${what}: ${open ? "open" : "closed"}, next change ${nextChange}`, async () => {
        const menu = await effectiveMenu(m, deliverectOutlet, at)
        expect(menu.source).toBe("menu-v2")
        const served = menu.menus[0]!
        expect({ open: served.open, nextChange: served.nextChange }).toEqual({
          open,
          nextChange: new Date(nextChange).toISOString()
        })
        expect(served.sections[0]!.items[0]).toMatchObject({
          productId,
          available: open,
          reason: open ? null : "closed"
        })
      })
    }
  })
}
