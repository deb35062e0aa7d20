/**
 * The Menu V2 endpoints over HTTP, on every storage adapter: drafts under their version (ETag on every
 * read and write, If-Match on every write: 428 without, 409 stale, 400 malformed), sections, items,
 * hours and outlets, publish refusing with every problem listed, published menus, versions and
 * restore, scopes and unknown ids; and the reasons the effective menu gives for what cannot be ordered.
 */
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Catalog } from "../../application/ports/catalog.ts"
import { PosInbox } from "../../application/ports/pos-inbox.ts"
import { storageAdapters } from "../support/storage-adapters.ts"
import {
  availableProducts,
  deliverectOutlet,
  type Editor,
  editor,
  effectiveMenu,
  lightspeedOutlet,
  type MenuApp,
  type OutletProduct,
  startMenuApp,
  syncDeliverect,
  syncLightspeed,
  tenant
} from "./support.ts"

interface Envelope {
  readonly error: { readonly code: number; readonly message: string; readonly details: string }
}
interface DraftBody {
  readonly draftId: string
  readonly menuId: string | null
  readonly version: number
  readonly name: string
  readonly description: string | null
  readonly sections: ReadonlyArray<{
    readonly sectionId: string
    readonly name: string
    readonly displayType: string
    readonly position: number
    readonly items: ReadonlyArray<{ productId: string; position: number; basePrice: number | null }>
  }>
  readonly hours: unknown
  readonly outletIds: ReadonlyArray<string>
}

const drafts = "/api/v2/menus/drafts"

const expectError = (answer: { status: number; body: unknown; text: string }, status: number, message?: string) => {
  expect(answer.status, answer.text).toBe(status)
  const envelope = answer.body as Envelope
  expect(envelope.error.code).toBe(status)
  if (message !== undefined) expect(envelope.error.message).toBe(message)
  return envelope.error.details
}

/** What the POS's next sync would do to one link: (de)activate the product at the outlet. */
const setLinkActive = (outlet: string, productId: string, active: boolean) =>
  Effect.gen(function* () {
    const catalog = yield* Catalog
    const [link] = yield* catalog.storeLinks(outlet, [productId])
    yield* catalog.apply({
      items: [],
      groups: [],
      options: [],
      menus: [],
      itemStores: [{ ...link!, active, updatedAt: new Date() }]
    })
  })

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`Menu V2 endpoints (${adapter.name})`, () => {
    let m: MenuApp
    let e: Editor
    let d1: OutletProduct
    let d2: OutletProduct
    let d3: OutletProduct
    let l1: OutletProduct
    let l2: OutletProduct
    beforeAll(async () => {
      m = await startMenuApp(adapter.layer())
      await syncDeliverect(m)
      await syncLightspeed(m)
      e = editor(m)
      const atDeliverect = await availableProducts(m, deliverectOutlet)
      const atLightspeed = await availableProducts(m, lightspeedOutlet)
      expect(Math.min(atDeliverect.length - 2, atLightspeed.length - 1)).toBeGreaterThan(0)
      ;[d1, d2, d3] = [atDeliverect[0]!, atDeliverect[1]!, atDeliverect[2]!]
      ;[l1, l2] = [atLightspeed[0]!, atLightspeed[1]!]
    }, 120_000)
    afterAll(() => m?.app.close())

    it("creates a draft (201) with its version as ETag, reads it with the same ETag, lists drafts page by page", async () => {
      const created = await e.send<DraftBody>("POST", drafts, { body: { name: "Lunch", description: "Weekdays" } })
      const draft = e.expectOk(created, 201)
      expect(draft).toMatchObject({
        menuId: null,
        version: 1,
        name: "Lunch",
        description: "Weekdays",
        sections: [],
        hours: null,
        outletIds: []
      })
      expect(draft.draftId).toMatch(/^drf_[0-9a-f]{32}$/)
      expect(created.etag).toBe('"1"')
      const read = await e.send<DraftBody>("GET", `${drafts}/${draft.draftId}`)
      expect([read.status, read.etag]).toEqual([200, '"1"'])
      expect(read.body).toEqual(draft)

      const ids = [draft.draftId, await e.create("Dinner"), await e.create("Brunch")]
      const listed: Array<string> = []
      let cursor: string | null = null
      do {
        const page: { data: Array<DraftBody>; nextCursor: string | null } = e.expectOk(
          await e.send("GET", `${drafts}?limit=2${cursor === null ? "" : `&cursor=${cursor}`}`)
        )
        expect(page.data.length).toBeLessThanOrEqual(2)
        listed.push(...page.data.map((d) => d.draftId))
        cursor = page.nextCursor
      } while (cursor !== null)
      expect(listed).toEqual(expect.arrayContaining(ids))
      expect(listed).toEqual([...listed].sort())
      expect(expectError(await e.send("GET", `${drafts}?cursor=bm9wZQ`), 400)).toContain("query.cursor")
      expect(expectError(await e.send("GET", `${drafts}?limit=0`), 400)).toContain("query.limit")
    })

    it("refuses a write without If-Match (428), with an older version (409 naming the current one), with a malformed one (400); nothing is written", async () => {
      const draftId = await e.create("Guarded")
      const path = `${drafts}/${draftId}/sections`
      const section = { name: "Soups", displayType: "LIST", position: 1 }
      const missing = await e.write(draftId, "POST", path, section, null)
      expect(expectError(missing, 428, "precondition required")).toContain(draftId)
      const stale = await e.write(draftId, "POST", path, section, '"7"')
      const details = expectError(stale, 409, "stale version")
      expect(details).toContain("version 1")
      expect(details).toContain("version 7")
      for (const malformed of ["abc", "*", '"1", "2"', '"-1"']) {
        expect(expectError(await e.write(draftId, "POST", path, section, malformed), 400)).toMatch(
          /^header\.if-match: /
        )
      }
      // Validation comes first: a bad body without If-Match is a 400, not a 428.
      expect(
        expectError(await e.write(draftId, "POST", path, { ...section, displayType: "CAROUSEL" }, null), 400)
      ).toContain("body.displayType")
      const unchanged = await e.send<DraftBody>("GET", `${drafts}/${draftId}`)
      expect([unchanged.etag, unchanged.body.sections]).toEqual(['"1"', []])
      // A weak tag and a bare number name the same version.
      expect((await e.write(draftId, "POST", path, section, 'W/"1"')).status).toBe(201)
      expect((await e.write(draftId, "POST", path, section, "2")).status).toBe(201)
      expect((await e.send("GET", `${drafts}/${draftId}`)).etag).toBe('"3"')
    })

    it("edits sections and their items in display order; each write answers the draft's next version", async () => {
      const draftId = await e.create("Sections")
      const later = await e.addSection(draftId, "Desserts", "GRID", 20)
      const first = await e.addSection(draftId, "Mains", "LIST", 10)
      expect(later).toMatch(/^sec_[0-9a-f]{32}$/)
      const renamed = await e.write<{ name: string; displayType: string }>(
        draftId,
        "PATCH",
        `${drafts}/${draftId}/sections/${later}`,
        { name: "Sweets", displayType: "SWIMLANE" }
      )
      expect(e.expectOk(renamed)).toMatchObject({ sectionId: later, name: "Sweets", displayType: "SWIMLANE" })
      expect(renamed.etag).toBe('"4"')
      expect(
        expectError(
          await e.write(draftId, "PATCH", `${drafts}/${draftId}/sections/sec_nope`, { name: "x" }),
          404,
          "section not found"
        )
      ).toContain("sec_nope")

      const refused = await e.putItems(draftId, first, [
        { productId: d1.productId, position: 1 },
        { productId: d1.productId, position: 2 },
        { productId: d2.productId, position: 3, basePrice: 500, specialPrice: 600 }
      ])
      const details = expectError(refused, 400, "invalid request")
      expect(details).toContain("body[1].productId: is listed twice")
      expect(details).toContain("body[2].specialPrice: must be at most basePrice (500), got 600")
      expect(expectError(await e.putItems(draftId, first, [{ productId: d1.productId, position: -1 }]), 400)).toContain(
        "body[0].position"
      )
      expect(
        expectError(await e.putItems(draftId, first, [{ productId: d1.productId, position: 1, price: 5 }]), 400)
      ).toContain("body[0].price")

      const items = await e.putItems(draftId, first, [
        { productId: d2.productId, position: 2, basePrice: 700 },
        { productId: d1.productId, position: 1, specialPrice: null }
      ])
      expect(e.expectOk(items)).toMatchObject({
        sectionId: first,
        items: [
          { productId: d1.productId, position: 1, basePrice: null, specialPrice: null },
          { productId: d2.productId, position: 2, basePrice: 700, specialPrice: null }
        ]
      })
      expect(items.etag).toBe('"5"')
      const read = e.expectOk(await e.send<DraftBody>("GET", `${drafts}/${draftId}`))
      expect(read.sections.map((s) => [s.name, s.position, s.items.length])).toEqual([
        ["Mains", 10, 2],
        ["Sweets", 20, 0]
      ])

      // Moving a section reorders; deleting one answers 204 with the next ETag.
      e.expectOk(await e.write(draftId, "PATCH", `${drafts}/${draftId}/sections/${later}`, { position: 0 }))
      const deleted = await e.write(draftId, "DELETE", `${drafts}/${draftId}/sections/${first}`)
      expect([deleted.status, deleted.etag, deleted.text]).toEqual([204, '"7"', ""])
      const after = e.expectOk(await e.send<DraftBody>("GET", `${drafts}/${draftId}`))
      expect(after.sections.map((s) => s.sectionId)).toEqual([later])
      expect(
        expectError(
          await e.write(draftId, "DELETE", `${drafts}/${draftId}/sections/${first}`),
          404,
          "section not found"
        )
      ).toContain(first)

      // A change that changes nothing writes nothing: the same version.
      const same = await e.write<DraftBody>(draftId, "PATCH", `${drafts}/${draftId}`, { name: "Sections" })
      expect([same.status, same.etag, same.body.version]).toEqual([200, '"7"', 7])
      const renamedDraft = await e.write<DraftBody>(draftId, "PATCH", `${drafts}/${draftId}`, {
        description: "All day"
      })
      expect([renamedDraft.etag, renamedDraft.body.description]).toEqual(['"8"', "All day"])
    })

    it("sets and removes hours, assigns outlets (each once)", async () => {
      const draftId = await e.create("Hours")
      const hours = {
        timezone: "Europe/Amsterdam",
        weekly: [{ dayOfWeek: 1, opens: "09:00", closes: "17:00" }],
        exceptions: [{ date: "2026-12-25", closed: true }]
      }
      expect(e.expectOk(await e.putHours(draftId, hours)).hours).toEqual({
        ...hours,
        exceptions: [{ date: "2026-12-25", closed: true, ranges: [] }]
      })
      for (const [bad, field] of [
        [{ ...hours, weekly: [{ dayOfWeek: 8, opens: "09:00", closes: "17:00" }] }, "body.weekly[0].dayOfWeek"],
        [{ ...hours, weekly: [{ dayOfWeek: 1, opens: "9:00", closes: "17:00" }] }, "body.weekly[0].opens"],
        [{ ...hours, weekly: [{ dayOfWeek: 1, opens: "09:00", closes: "24:01" }] }, "body.weekly[0].closes"],
        [{ ...hours, exceptions: [{ date: "25-12-2026", closed: true }] }, "body.exceptions[0].date"],
        [{ weekly: [] }, "body.timezone"]
      ] as const) {
        expect(expectError(await e.putHours(draftId, bad), 400)).toContain(field)
      }
      expect(e.expectOk(await e.write(draftId, "DELETE", `${drafts}/${draftId}/hours`)).hours).toBeNull()
      expect(
        expectError(await e.putStores(draftId, [deliverectOutlet, lightspeedOutlet, deliverectOutlet]), 400)
      ).toContain("body.outletIds[2]: is listed twice (also body.outletIds[0])")
      expect(e.expectOk(await e.putStores(draftId, [lightspeedOutlet, deliverectOutlet])).outletIds).toEqual([
        lightspeedOutlet,
        deliverectOutlet
      ])
    })

    it("lets an editor key write and read, a partner key only read, a pos key neither", async () => {
      const draftId = await e.create("Scopes")
      const partner = await e.send("POST", drafts, { body: { name: "Nope" }, key: m.partnerKey })
      expect(expectError(partner, 403, "forbidden")).toContain("menus:write")
      const partnerWrite = await e.send("PATCH", `${drafts}/${draftId}`, {
        body: { name: "Nope" },
        ifMatch: '"1"',
        key: m.partnerKey
      })
      expect(partnerWrite.status).toBe(403)
      expect((await e.send("GET", `${drafts}/${draftId}`, { key: m.partnerKey })).status).toBe(200)
      expect((await e.send("GET", "/api/v2/menus", { key: m.partnerKey })).status).toBe(200)
      expect(expectError(await e.send("GET", drafts, { key: m.posKey }), 403)).toContain("menus:read")
      expect((await e.send("GET", drafts, { key: "posk_1_nope" })).status).toBe(401)
    })

    it("answers 404 for unknown drafts, sections, menus and versions, and 400 for a new draft without a name", async () => {
      for (const id of ["drf_nope", "drf_0123456789abcdef0123456789abcdef", "mnu2_0123456789abcdef0123456789abcdef"]) {
        expect(expectError(await e.send("GET", `${drafts}/${id}`), 404, "draft not found")).toContain(id)
      }
      expect(
        (
          await e.send("PATCH", `${drafts}/drf_0123456789abcdef0123456789abcdef`, {
            body: { name: "x" },
            ifMatch: '"1"'
          })
        ).status
      ).toBe(404)
      expect((await e.send("POST", `${drafts}/drf_nope/publish`, { ifMatch: '"1"' })).status).toBe(404)
      for (const path of ["/api/v2/menus/mnu2_nope", "/api/v2/menus/mnu2_0123456789abcdef0123456789abcdef/versions"]) {
        expectError(await e.send("GET", path), 404, "menu not found")
      }
      expectError(await e.send("POST", "/api/v2/menus/mnu2_nope/versions/1/restore"), 404, "menu not found")
      expectError(await e.send("POST", drafts, { body: { menuId: "mnu2_nope" } }), 404, "menu not found")
      expect(expectError(await e.send("POST", drafts, { body: {} }), 400)).toMatch(/^body\.name: is required/)
      expect(expectError(await e.send("POST", drafts, { body: { name: "  " } }), 400)).toContain("body.name")
      expect(expectError(await e.send("POST", drafts, { body: { name: "x", nmae: "y" } }), 400)).toContain(
        "body.nmae: is not a known field"
      )
    })

    it("refuses to publish, listing every problem with its path in the draft", async () => {
      // A product no outlet sells any more.
      await m.app.inTenant(tenant, setLinkActive(lightspeedOutlet, l2.productId, false))
      const draftId = await e.create("Broken")
      const first = await e.addSection(draftId, "First")
      const second = await e.addSection(draftId, "Second", "LIST", 1)
      e.expectOk(
        await e.putItems(draftId, first, [
          { productId: l1.productId, position: 1, basePrice: l1.price.amount + 100 },
          { productId: "prd_0123456789abcdef0123456789abcdef", position: 2 },
          // Deliverect takes the prices an order carries (linePrices): a menu price of its own is fine there.
          { productId: d1.productId, position: 3, basePrice: d1.price.amount + 100 }
        ])
      )
      e.expectOk(
        await e.putItems(draftId, second, [
          { productId: l1.productId, position: 1, specialPrice: l1.price.amount + 1 },
          { productId: l2.productId, position: 2 }
        ])
      )
      e.expectOk(
        await e.putHours(draftId, {
          timezone: "Mars/Olympus",
          weekly: [
            { dayOfWeek: 1, opens: "09:00", closes: "17:00" },
            { dayOfWeek: 1, opens: "16:00", closes: "18:00" }
          ]
        })
      )
      e.expectOk(
        await e.putStores(draftId, [deliverectOutlet, lightspeedOutlet, "out_0123456789abcdef0123456789abcdef"])
      )
      const before = e.etagOf(draftId)
      const details = expectError(await e.publish(draftId), 400, "invalid request")
      const problems = details.split("; ")
      for (const expected of [
        // Lightspeed prices orders itself (no linePrices): the menu's price must be its own.
        `draft.sections[0].items[0].basePrice: outlet '${lightspeedOutlet}' is priced by its POS (lightspeed prices orders itself), at ${l1.price.amount}, got ${l1.price.amount + 100}`,
        'draft.sections[0].items[1].productId: is not a product of this tenant, got "prd_0123456789abcdef0123456789abcdef"',
        `draft.sections[1].items[0].specialPrice: must be at most the base price, which is the POS price at outlet '${lightspeedOutlet}' (${l1.price.amount}), got ${l1.price.amount + 1}`,
        `draft.sections[1].items[1].productId: is inactive: no outlet's POS sells it any more, got "${l2.productId}"`,
        "draft.hours.timezone:",
        "draft.hours.weekly[1]: overlaps draft.hours.weekly[0]",
        'draft.outletIds[2]: is not an outlet of this tenant, got "out_0123456789abcdef0123456789abcdef"'
      ]) {
        expect(
          problems.some((p) => p.startsWith(expected)),
          `${expected}\nin\n${details}`
        ).toBe(true)
      }
      expect(problems.every((p) => /^draft\.[A-Za-z0-9_.[\]]+: /.test(p))).toBe(true)
      expect(
        problems.filter((p) => p.startsWith("draft.sections[0].items[2]")),
        "a menu price at a linePrices POS"
      ).toEqual([])
      // Nothing was published and the draft is as it was.
      expect((await e.send("GET", `${drafts}/${draftId}`)).etag).toBe(before)
      expect((await e.send<{ data: Array<unknown> }>("GET", "/api/v2/menus")).body.data).toEqual([])

      const empty = await e.create("Nowhere")
      expect(expectError(await e.publish(empty), 400)).toBe(
        "draft.outletIds: names no outlet: a menu is published to at least one"
      )
    })

    it("publishes, serves and lists the menu; re-publishing without a change creates no version; drafts of a menu and restores", async () => {
      const draftId = await e.create("Published")
      const sectionId = await e.addSection(draftId, "Everything", "HIGHLIGHT")
      e.expectOk(
        await e.putItems(draftId, sectionId, [
          { productId: d1.productId, position: 1, basePrice: d1.price.amount, specialPrice: d1.price.amount },
          { productId: d2.productId, position: 2 }
        ])
      )
      e.expectOk(await e.putStores(draftId, [deliverectOutlet]))
      const staleTag = e.etagOf(draftId)!
      const published = await e.publish(draftId)
      const result = e.expectOk(published, 201)
      expect(result).toMatchObject({ version: 1, created: true })
      expect(result.menuId).toMatch(/^mnu2_[0-9a-f]{32}$/)
      expect(published.etag).not.toBe(staleTag)
      const menuId = result.menuId
      expectError(
        await e.write(draftId, "POST", `${drafts}/${draftId}/publish`, undefined, staleTag),
        409,
        "stale version"
      )
      expect(e.expectOk(await e.publish(draftId), 200)).toMatchObject({ menuId, version: 1, created: false })

      const listed = e.expectOk(
        await e.send<{ data: Array<{ menuId: string; items: number }> }>("GET", "/api/v2/menus")
      )
      expect(listed.data.find((x) => x.menuId === menuId)).toMatchObject({ items: 2 })
      const menu = e.expectOk(await e.send<DraftBody & { draftId: string }>("GET", `/api/v2/menus/${menuId}`))
      expect(menu).toMatchObject({ menuId, version: 1, name: "Published", draftId, outletIds: [deliverectOutlet] })
      const draft = e.expectOk(await e.send<DraftBody>("GET", `${drafts}/${draftId}`))
      expect(draft.menuId).toBe(menuId)

      // One draft per menu.
      const second = await e.send("POST", drafts, { body: { menuId } })
      expect(expectError(second, 409, "conflict")).toContain(draftId)
      // Restoring into an existing draft is a draft write: If-Match is required.
      expectError(await e.write(draftId, "POST", `/api/v2/menus/${menuId}/versions/1/restore`, undefined, null), 428)
      for (const version of ["2", "0", "abc", "1.0"]) {
        expectError(
          await e.send("POST", `/api/v2/menus/${menuId}/versions/${version}/restore`),
          404,
          "version not found"
        )
      }
      // Deleting the draft keeps the menu served; a draft of the menu can then be made from it.
      expect((await e.write(draftId, "DELETE", `${drafts}/${draftId}`)).status).toBe(204)
      expect((await e.send("GET", `${drafts}/${draftId}`)).status).toBe(404)
      expect((await effectiveMenu(m, deliverectOutlet)).menus.map((x) => x.menuId)).toContain(menuId)
      const copy = e.expectOk(
        await e.send<DraftBody>("POST", drafts, { body: { menuId, name: "Published, renamed" } }),
        201
      )
      expect(copy).toMatchObject({ menuId, version: 1, name: "Published, renamed", outletIds: [deliverectOutlet] })
      expect(copy.sections[0]!.items.map((i) => i.productId)).toEqual([d1.productId, d2.productId])
      e.remember(copy.draftId, '"1"')
      expect((await e.write(copy.draftId, "DELETE", `${drafts}/${copy.draftId}`)).status).toBe(204)
      // Without a draft, a restore creates one (201), no If-Match needed.
      const restored = await e.send<DraftBody>("POST", `/api/v2/menus/${menuId}/versions/1/restore`)
      expect([restored.status, restored.etag]).toEqual([201, '"1"'])
      expect(restored.body).toMatchObject({ menuId, name: "Published" })
    })

    it("says why an item cannot be ordered: snoozed, paused, inactive, closed, not sold here; an outlet without V2 menus keeps its POS's menus", async () => {
      const posMenu = await effectiveMenu(m, lightspeedOutlet)
      expect(posMenu.source).toBe("pos")
      const shape = ["outletId", "source", "currency", "busyMode", "menus"]
      expect(Object.keys(posMenu)).toEqual(shape)

      const draftId = await e.create("Reasons")
      const sectionId = await e.addSection(draftId, "All")
      e.expectOk(
        await e.putItems(draftId, sectionId, [
          { productId: d1.productId, position: 1 },
          { productId: d2.productId, position: 2 },
          { productId: d3.productId, position: 3 },
          { productId: l1.productId, position: 4 }
        ])
      )
      e.expectOk(await e.putStores(draftId, [deliverectOutlet]))
      const { menuId } = e.expectOk(await e.publish(draftId), 201)
      const reasons = async (at?: string) => {
        const menu = await effectiveMenu(m, deliverectOutlet, at)
        const mine = menu.menus.find((x) => x.menuId === menuId)!
        return mine.sections[0]!.items.map((i) => [i.reason, i.available, i.snoozedUntil])
      }
      expect(await reasons()).toEqual([
        [null, true, null],
        [null, true, null],
        [null, true, null],
        ["not-sold-here", false, null]
      ])
      // The newest publish comes first among the outlet's menus; the answer keeps its shape.
      const composed = await effectiveMenu(m, deliverectOutlet)
      expect(composed.menus[0]!.menuId).toBe(menuId)
      expect(Object.keys(composed)).toEqual(shape)

      const until = new Date(Date.now() + 3_600_000)
      await m.app.inTenant(
        tenant,
        Effect.flatMap(PosInbox, (inbox) =>
          inbox.accept({
            provider: "deliverect",
            dedupeKey: `menu-reasons-${adapter.name}`,
            receivedAt: new Date(),
            snoozes: [
              {
                storeId: deliverectOutlet,
                items: [
                  { posCode: d1.posCode, until },
                  { posCode: d2.posCode, until: new Date(8.64e15) }
                ]
              }
            ],
            busyModes: [{ storeId: deliverectOutlet, mode: "PAUSED" }],
            orderEvents: [],
            jobs: []
          })
        )
      )
      await m.app.inTenant(tenant, setLinkActive(deliverectOutlet, d3.productId, false))
      expect(await reasons()).toEqual([
        ["snoozed", false, until.toISOString()],
        ["snoozed", false, null],
        ["inactive", false, null],
        ["not-sold-here", false, null]
      ])
      // After the snooze, the paused kitchen is the reason.
      expect((await reasons(new Date(until.getTime() + 60_000).toISOString()))[0]).toEqual(["paused", false, null])

      // Closed: hours that are never open now.
      e.expectOk(await e.putHours(draftId, { timezone: "Asia/Singapore", weekly: [] }))
      await m.app.inTenant(
        tenant,
        Effect.flatMap(PosInbox, (inbox) =>
          inbox.accept({
            provider: "deliverect",
            dedupeKey: `menu-reasons-online-${adapter.name}`,
            receivedAt: new Date(),
            snoozes: [{ storeId: deliverectOutlet, items: [{ posCode: d1.posCode, until: null }] }],
            busyModes: [{ storeId: deliverectOutlet, mode: "ONLINE" }],
            orderEvents: [],
            jobs: []
          })
        )
      )
      expect((await reasons())[0]).toEqual([null, true, null])
      // A product no outlet sells is refused at publish: sold again, published, then deactivated.
      await m.app.inTenant(tenant, setLinkActive(deliverectOutlet, d3.productId, true))
      e.expectOk(await e.publish(draftId), 201)
      await m.app.inTenant(tenant, setLinkActive(deliverectOutlet, d3.productId, false))
      const closed = await effectiveMenu(m, deliverectOutlet)
      const served = closed.menus.find((x) => x.menuId === menuId)!
      expect([served.open, served.nextChange, served.version]).toEqual([false, null, 2])
      expect(served.sections[0]!.items.map((i) => i.reason)).toEqual(["closed", "snoozed", "inactive", "not-sold-here"])
    })
  })
}
