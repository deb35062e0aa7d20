/**
 * Two service instances share only their PostgreSQL database. An effective menu kept rendered by one
 * must never hide a change written through the other: a price synced, a snooze delivered by webhook
 * and a re-publish through the second instance all show in the first's very next read.
 */
import { Effect, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerPostgresStorage } from "../../adapters/storage/postgres/postgres-storage.ts"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import menuSync from "../../plugins/deliverect/fixtures/menu-sync.json" with { type: "json" }
import { makeScratchDatabases } from "../support/admin-cli.ts"
import { call, makeTestApp, type TestApp } from "../support/app.ts"
import {
  availableProducts,
  bundledDeliverect,
  deliverectOutlet,
  type Editor,
  type EffectiveMenuAnswer,
  editor,
  host,
  json,
  type MenuApp,
  signedDeliverectWebhook,
  startMenuApp,
  syncDeliverect,
  tenant
} from "./support.ts"

const serverUrl = process.env["DATABASE_URL"]
const available = serverUrl !== undefined && serverUrl !== ""
const suite = available ? describe : describe.skip
const secret = "whsec-two-instances-9c2e"
const noon = "2026-06-01T04:00:00.000Z"

suite(`the effective menu across two service instances${available ? "" : " (SKIPPED: DATABASE_URL is not set)"}`, () => {
  const databases = makeScratchDatabases(serverUrl ?? "")
  let first: MenuApp
  let second: TestApp
  let e: Editor
  let draftId: string
  let sectionId: string
  let steak: string
  let burger: string

  const storage = (url: string) => layerPostgresStorage({ url: Redacted.make(url), tenantPoolSize: 2 })
  const read = async (app: TestApp) => {
    const response = await call(app, `/api/v1/outlets/${deliverectOutlet}/menu?at=${encodeURIComponent(noon)}`, {
      host,
      key: first.partnerKey
    })
    expect(response.status).toBe(200)
    return { ...((await response.json()) as EffectiveMenuAnswer), etag: response.headers.get("etag")! }
  }
  /** Read through the first instance twice: the second read is the kept answer. */
  const readFirst = async () => {
    const once = await read(first.app)
    const again = await read(first.app)
    expect(again.etag).toBe(once.etag)
    return again
  }
  const item = (menu: EffectiveMenuAnswer, productId: string) =>
    menu.menus[0]!.sections.flatMap((s) => s.items).find((i) => i.productId === productId)!

  beforeAll(async () => {
    const database = await databases.create()
    first = await startMenuApp(storage(database.url))
    second = await makeTestApp(storage(database.url), {
      settings: { posPlugins: [bundledDeliverect], syncLockWaitMs: 10_000 }
    })
    await syncDeliverect(first)
    // The webhook is delivered to the second instance, which seals and opens its own credentials.
    await second.inTenant(
      tenant,
      Effect.flatMap(PosCredentialStore, (credentials) =>
        credentials.setOutlet(
          deliverectOutlet,
          JSON.stringify({ channelName: "acme", clientId: "c", clientSecret: "s", webhookSecret: secret })
        )
      )
    )
    const products = await availableProducts(first, deliverectOutlet)
    steak = products.find((p) => p.posCode === "STK-01")!.productId
    burger = products.find((p) => p.posCode === "BRG-01")!.productId
    e = editor(first)
    draftId = await e.create("Lunch")
    sectionId = await e.addSection(draftId, "Mains")
    e.expectOk(
      await e.putItems(draftId, sectionId, [
        { productId: steak, position: 1 },
        { productId: burger, position: 2 }
      ])
    )
    e.expectOk(await e.putStores(draftId, [deliverectOutlet]))
    e.expectOk(await e.publish(draftId), 201)
  }, 120_000)
  afterAll(async () => {
    await first?.app.close()
    await second?.close()
    await databases.close()
  })

  it("shows a price synced through the other instance in the next read", async () => {
    const before = await readFirst()
    expect(item(before, steak).price?.amount).toBe(2450)
    const repriced = structuredClone(menuSync) as Array<{ products: Record<string, { plu: string; price: number }> }>
    for (const menu of repriced) for (const p of Object.values(menu.products)) if (p.plu === "STK-01") p.price = 2700
    const response = await call(second, "/api/v1/products/sync", {
      method: "POST",
      host,
      key: first.posKey,
      headers: { "content-type": "application/json", "x-provider": "deliverect" },
      body: json(repriced)
    })
    expect(response.status).toBe(200)
    const after = await read(first.app)
    expect(item(after, steak).price?.amount).toBe(2700)
    expect(after.etag).not.toBe(before.etag)
  })

  it("shows a snooze delivered to the other instance in the next read, and its unsnooze", async () => {
    const deliver = async (action: "snooze" | "unsnooze") => {
      const body = JSON.stringify({
        accountId: "5b1f3e71c6489f0029a1b2d4",
        locationId: "61c30761e41eefadd03072af",
        channelLinkId: "649ad021949cfa36470f9ea9",
        operations: [
          {
            action,
            data: {
              items: [
                {
                  plu: "BRG-01",
                  snoozeStart: "2026-05-01T00:00:00Z",
                  ...(action === "snooze" ? { snoozeEnd: "2026-06-01T05:00:00.000Z" } : {})
                }
              ]
            }
          }
        ]
      })
      const response = await signedDeliverectWebhook(second, secret, body)
      expect(response.status).toBe(200)
    }
    expect(item(await readFirst(), burger)).toMatchObject({ available: true })
    await deliver("snooze")
    expect(item(await read(first.app), burger)).toMatchObject({ available: false, reason: "snoozed" })
    expect(item(await readFirst(), burger)).toMatchObject({ available: false, reason: "snoozed" })
    await deliver("unsnooze")
    expect(item(await read(first.app), burger)).toMatchObject({ available: true, reason: null })
  })

  it("serves a version published through the other instance in the next read", async () => {
    const before = await readFirst()
    const other = editor({ ...first, app: second })
    other.remember(draftId, e.etagOf(draftId)!)
    e.expectOk(
      await other.putItems(draftId, sectionId, [
        { productId: steak, position: 1, specialPrice: 1999 },
        { productId: burger, position: 2 }
      ])
    )
    e.expectOk(await other.publish(draftId), 201)
    const after = await read(first.app)
    expect(after.menus[0]!.version).toBe(before.menus[0]!.version + 1)
    expect(item(after, steak).price?.amount).toBe(1999)
  })
})
