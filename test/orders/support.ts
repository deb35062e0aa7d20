/**
 * What the order suites share: the Menu V2 suites' tenant (a Deliverect outlet and a Lightspeed
 * location, their catalogs synced over HTTP from real POS fixtures), fake Deliverect and Lightspeed
 * APIs on loopback set as those outlets' credentials, keys with and without the order scopes, the
 * dispatcher on short timings, and helpers to place, read and cancel orders and to move them by the
 * POS's own webhooks.
 */
import { Effect, type Layer } from "effect"
import { expect } from "vitest"
import { Outlets } from "../../application/ports/catalog.ts"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { type FakeDeliverect, startFakeDeliverect } from "../../plugins/deliverect/fake-deliverect.ts"
import { type FakeLightspeed, startFakeLightspeed } from "../../plugins/lightspeed/fake-lightspeed.ts"
import { fixtures as lightspeedFixtures } from "../../plugins/lightspeed/fixtures/index.ts"
import type { StorageServices } from "../../runtime/app-layer.ts"
import type { AppSettings } from "../../runtime/config.ts"
import { OrderDispatch } from "../../runtime/orders/order-dispatch.ts"
import {
  bundledDeliverect,
  deliverectOutlet,
  editor,
  host,
  json,
  lightspeedExternal,
  lightspeedOutlet,
  type MenuApp,
  signedDeliverectWebhook,
  syncDeliverect,
  syncLightspeed,
  tenant
} from "../menus/support.ts"
import { call, makeTestApp } from "../support/app.ts"

export { deliverectOutlet, host, lightspeedExternal, lightspeedOutlet, tenant } from "../menus/support.ts"

/** The dispatcher on short timings: retries within tens of milliseconds, a call's deadline one second. */
export const orderSettings: Partial<AppSettings> = {
  orderRetryBaseMs: 10,
  orderRetryMaxMs: 50,
  orderLeaseMs: 2000,
  posCallTimeoutMs: 1000
}

/** The Deliverect outlet's webhook secret (Marina Bay's channel link signs with it). */
export const deliverectWebhookSecret = "whsec-orders-marina-bay-5c1e"

/** The Lightspeed business's OAuth client and tokens, as an operator sets them. */
const lightspeedClient = {
  clientId: "pos-integration-orders",
  clientSecret: "cs-orders-9d8c7b6a5f",
  refreshToken: "rt-orders-first-1a2b3c",
  accessToken: "at-orders-standing-4d5e6f",
  webhookToken: "whk-orders-0f1e2d3c4b5a",
  endpointId: "POS-INTEGRATION-ORDERS"
}

export interface OrderApp extends MenuApp {
  /** Keys with only some of the order scopes. */
  readonly readOnlyKey: string
  readonly writeOnlyKey: string
  readonly deliverect: FakeDeliverect
  readonly lightspeed: FakeLightspeed
  /** Every credential value the outlets hold: none may ever appear in an answer. */
  readonly secrets: ReadonlyArray<string>
  readonly close: () => Promise<void>
}

/**
 * An app over the storage with the tenant (SGD, Singapore), both outlets synced, the fakes started
 * and set as the outlets' credentials, and the dispatcher on `orderSettings` (overridden by `settings`).
 */
export const startOrderApp = async (
  storage: Layer.Layer<StorageServices, unknown>,
  options: {
    readonly settings?: Partial<AppSettings>
    /**
     * The tenant's tax defaults, set before its first request (a tenant row read by a request is
     * kept for KEY_CACHE_TTL_MS); by default prices include tax and there is no default rate.
     */
    readonly tenantTax?: { readonly taxInclusive: boolean; readonly taxRatePpm: number | null }
  } = {}
): Promise<OrderApp> => {
  const deliverect = await startFakeDeliverect()
  const lightspeedBusiness = lightspeedFixtures.outlets.find((o) => o.expectedExternalIds.includes(lightspeedExternal))!
  const lightspeedMenu = lightspeedFixtures.catalogs.find((c) => c.context.externalOutletId === lightspeedExternal)!
  const lightspeed = await startFakeLightspeed({
    ...lightspeedClient,
    accessTokens: [lightspeedClient.accessToken],
    businesses: lightspeedBusiness.payload,
    menus: { [lightspeedExternal]: [lightspeedMenu.payload] },
    orderLocations: [lightspeedExternal]
  })
  const app = await makeTestApp(storage, {
    settings: {
      posPlugins: [bundledDeliverect, "@pos-integration/plugin-lightspeed"],
      syncLockWaitMs: 10_000,
      ...orderSettings,
      ...options.settings
    }
  })
  await app.createTenant({ id: tenant, currency: "SGD", timezone: "Asia/Singapore", country: "SG" })
  if (options.tenantTax !== undefined) {
    const tax = options.tenantTax
    await app.runtime.runPromise(Effect.orDie(Effect.flatMap(TenantDirectory, (d) => d.setTax(tenant, tax))))
  }
  const m: MenuApp = {
    app,
    posKey: (await app.issueKey(tenant, { kind: "pos" })).plaintext,
    partnerKey: (await app.issueKey(tenant, { kind: "partner" })).plaintext,
    editorKey: (await app.issueKey(tenant, { kind: "editor" })).plaintext
  }
  await syncDeliverect(m)
  await syncLightspeed(m)
  const readOnlyKey = (await m.app.issueKey(tenant, { kind: "partner", scopes: ["orders:read", "products:read"] }))
    .plaintext
  const writeOnlyKey = (await m.app.issueKey(tenant, { kind: "partner", scopes: ["orders:write"] })).plaintext
  const deliverectCredentials = { ...deliverect.credentials, webhookSecret: deliverectWebhookSecret }
  await m.app.inTenant(
    tenant,
    Effect.gen(function* () {
      const credentials = yield* PosCredentialStore
      yield* credentials.setOutlet(deliverectOutlet, JSON.stringify(deliverectCredentials))
      const location = yield* (yield* Outlets).get(lightspeedOutlet)
      if (location?.accountId === null || location?.accountId === undefined) {
        return yield* Effect.die(new Error(`the Lightspeed location ${lightspeedOutlet} names no business`))
      }
      yield* credentials.setAccount(
        "lightspeed",
        location.accountId,
        JSON.stringify({ apiBaseUrl: lightspeed.url, ...lightspeedClient })
      )
    })
  )
  const secrets = [
    deliverectCredentials.clientSecret,
    deliverectCredentials.webhookSecret,
    lightspeedClient.clientSecret,
    lightspeedClient.refreshToken,
    lightspeedClient.accessToken,
    lightspeedClient.webhookToken
  ]
  return {
    ...m,
    readOnlyKey,
    writeOnlyKey,
    deliverect,
    lightspeed,
    secrets,
    close: async () => {
      await m.app.close()
      await deliverect.close()
      await lightspeed.close()
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Requests

export interface Answer<A = unknown> {
  readonly status: number
  /** The exact bytes answered. */
  readonly text: string
  readonly body: A
}

export interface ErrorBody {
  readonly error: { readonly code: number; readonly message: string; readonly details: string }
}

/** A request as the partner sends it: JSON in, status and exact bytes out. */
export const send = async <A = unknown>(
  o: OrderApp,
  method: string,
  path: string,
  options: {
    readonly body?: unknown
    readonly raw?: string
    readonly key?: string
    readonly headers?: Readonly<Record<string, string>>
  } = {}
): Promise<Answer<A>> => {
  const body = options.raw ?? (options.body === undefined ? undefined : json(options.body))
  const response = await call(o.app, path, {
    method,
    host,
    key: options.key ?? o.partnerKey,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...options.headers },
    ...(body === undefined ? {} : { body })
  })
  const text = await response.text()
  let parsed: unknown
  try {
    parsed = text === "" ? undefined : JSON.parse(text)
  } catch {
    parsed = text
  }
  return { status: response.status, text, body: parsed as A }
}

/** The answer's status must be `status`; its body then. */
export const expectStatus = <A>(answer: Answer<A>, status: number): A => {
  if (answer.status !== status) expect.fail(`expected ${status}, got ${answer.status}: ${answer.text}`)
  return answer.body
}

/** An error envelope with this status (and message, when given): its details. */
export const expectError = (answer: Answer, status: number, message?: string): string => {
  const body = expectStatus(answer as Answer<ErrorBody>, status)
  expect(body.error.code).toBe(status)
  if (message !== undefined) expect(body.error.message).toBe(message)
  return body.error.details
}

let refCounter = 0

/** A refCode no other test uses (within the 48 characters every POS takes). */
export const newRefCode = (prefix = "ORD") =>
  `${prefix}-${process.pid}-${Date.now().toString(36)}-${(refCounter++).toString(36)}`

export interface Money {
  readonly amount: number
  readonly currency: string
}

export interface OrderLineBody {
  readonly lineNo: number
  readonly productId: string
  readonly name: string
  readonly quantity: number
  readonly unitPrice: Money
  readonly note: string | null
  readonly modifiers: ReadonlyArray<{
    readonly optionId: string
    readonly modifierGroupId: string
    readonly name: string
    readonly quantity: number
    readonly unitPrice: Money
  }>
  readonly subtotal: Money
  readonly discount: Money
  readonly tax: { readonly ratePpm: number | null; readonly amount: Money }
  readonly total: Money
}

export interface OrderBody {
  readonly orderId: string
  readonly refCode: string
  readonly outletId: string
  readonly status: string
  readonly createdAt: string
  readonly fulfilment: Record<string, unknown>
  readonly customer: Record<string, unknown>
  readonly lines: ReadonlyArray<OrderLineBody>
  readonly charges: ReadonlyArray<{ readonly kind: string; readonly name: string; readonly amount: Money }>
  readonly discounts: ReadonlyArray<{
    readonly type: string
    readonly name: string
    readonly reference: string | null
    readonly amount: Money
  }>
  readonly totals: {
    readonly subtotal: Money
    readonly charges: Money
    readonly discount: Money
    readonly tax: Money
    readonly total: Money
  }
  readonly currency: string
  readonly taxInclusive: boolean
  readonly payment: Record<string, unknown>
  readonly notes: string | null
  readonly displayId: string | null
  readonly menu: {
    readonly source: "menu-v2" | "pos"
    readonly menus: ReadonlyArray<{ readonly menuId: string; readonly version: number }>
  }
}

export interface OrderView extends OrderBody {
  readonly posOrderId: string | null
  readonly updatedAt: string
  readonly timeline: ReadonlyArray<{
    readonly at: string
    readonly status: string | null
    readonly source: string
    readonly vendorStatus: string | null
    readonly reason: string | null
  }>
  readonly deliveries: ReadonlyArray<{
    readonly kind: "submit" | "cancel"
    readonly attempt: number
    readonly startedAt: string
    readonly finishedAt: string
    readonly outcome: string
    readonly reason: string | null
  }>
}

export interface OrderPage {
  readonly data: ReadonlyArray<OrderView>
  readonly nextCursor: string | null
}

export interface ItemInput {
  readonly productId: string
  readonly quantity: number
  readonly note?: string
  readonly modifiers?: ReadonlyArray<{ readonly optionId: string; readonly quantity?: number }>
}

/** An order body: pickup as soon as possible, a named customer, paid `amount`; `extra` adds or replaces fields. */
export const orderRequest = (
  outletId: string,
  items: ReadonlyArray<ItemInput>,
  amount: number,
  extra: Record<string, unknown> = {}
): Record<string, unknown> => ({
  refCode: newRefCode(),
  outletId,
  fulfilment: { type: "PICKUP", asap: true },
  customer: { name: "Mei Ling", phone: "+6591234567" },
  items,
  payment: { status: "PAID", amount, method: "card", reference: "pi_3Nx" },
  ...extra
})

export const placeOrder = (o: OrderApp, body: unknown, key?: string) =>
  send<OrderBody>(o, "POST", "/api/v1/orders", { body, ...(key === undefined ? {} : { key }) })

export const getOrder = (o: OrderApp, orderId: string, key?: string) =>
  send<OrderView>(o, "GET", `/api/v1/orders/${encodeURIComponent(orderId)}`, key === undefined ? {} : { key })

export const listOrders = (o: OrderApp, query: Record<string, string>, key?: string) =>
  send<OrderPage>(o, "GET", `/api/v1/orders?${new URLSearchParams(query)}`, key === undefined ? {} : { key })

export const cancelOrder = (o: OrderApp, orderId: string, reason?: string, key?: string) =>
  send<OrderView>(o, "POST", `/api/v1/orders/${encodeURIComponent(orderId)}/cancel`, {
    body: reason === undefined ? {} : { reason },
    ...(key === undefined ? {} : { key })
  })

/** Every order holding the refCode, as the listing answers it. */
export const ordersWithRefCode = async (o: OrderApp, refCode: string) =>
  expectStatus(await listOrders(o, { refCode }), 200).data

// ---------------------------------------------------------------------------------------------------
// The catalog as a partner reads it

export interface CatalogOption {
  readonly optionId: string
  readonly posCode: string
  readonly name: string
  readonly price: Money
  readonly available: boolean
}

export interface CatalogGroup {
  readonly modifierGroupId: string
  readonly name: string
  readonly min: number
  readonly max: number
  readonly maxPerOption: number
  readonly options: ReadonlyArray<CatalogOption>
}

export interface CatalogProduct {
  readonly productId: string
  readonly posCode: string
  readonly name: string
  readonly price: Money | null
  readonly available: boolean | null
  readonly modifierGroups: ReadonlyArray<CatalogGroup>
}

/** The outlet's products by POS code, as GET /api/v1/products answers them. */
export const productsOf = async (o: OrderApp, outlet: string): Promise<ReadonlyMap<string, CatalogProduct>> => {
  const page = expectStatus(
    await send<{ data: ReadonlyArray<CatalogProduct> }>(o, "GET", `/api/v1/products?outletId=${outlet}&limit=500`),
    200
  )
  return new Map(page.data.map((p) => [p.posCode, p] as const))
}

/** The product with this POS code at the outlet (fails the test when there is none). */
export const productAt = (products: ReadonlyMap<string, CatalogProduct>, posCode: string): CatalogProduct => {
  const found = products.get(posCode)
  if (found === undefined) expect.fail(`no product ${posCode} at the outlet (${[...products.keys()].join(", ")})`)
  return found
}

// ---------------------------------------------------------------------------------------------------
// Delivery and the POS's webhooks

/** Delivers the tenant's due outbox rows now, in this call: how many deliveries ended. */
export const drain = (o: OrderApp) => o.app.runtime.runPromise(Effect.flatMap(OrderDispatch, (d) => d.drain(tenant)))

/** Reads the order until `until` holds (at most `timeoutMs`): the last read. */
export const waitForOrder = async (
  o: OrderApp,
  orderId: string,
  until: (order: OrderView) => boolean,
  timeoutMs = 10_000
): Promise<OrderView> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const order = expectStatus(await getOrder(o, orderId), 200)
    if (until(order)) return order
    if (Date.now() > deadline) {
      expect.fail(`order ${orderId} did not get there in ${timeoutMs} ms: ${JSON.stringify(order)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** A webhook as Deliverect sends it for Marina Bay: the body signed with the outlet's webhook secret. */
export const deliverectWebhook = async (o: OrderApp, payload: unknown) => {
  const response = await signedDeliverectWebhook(o.app, deliverectWebhookSecret, json(payload))
  const text = await response.text()
  if (response.status !== 200) expect.fail(`Deliverect webhook: ${response.status} ${text}`)
  return JSON.parse(text) as Record<string, unknown>
}

const marinaBay = {
  accountId: "5b1f3e71c6489f0029a1b2d4",
  locationId: "61c30761e41eefadd03072af",
  channelLinkId: "649ad021949cfa36470f9ea9"
}

/** Deliverect's order status update for the order with this channelOrderId (our refCode). */
export const deliverectOrderStatus = (o: OrderApp, refCode: string, status: number, reason = "") =>
  deliverectWebhook(o, {
    orderId: `dlv-${refCode}`,
    channelOrderId: refCode,
    status,
    timeStamp: new Date().toISOString(),
    receiptId: "",
    reason,
    location: marinaBay.locationId,
    channelLink: marinaBay.channelLinkId
  })

/** Deliverect's busy mode update for Marina Bay (ONLINE, BUSY or PAUSED). */
export const deliverectBusyMode = (o: OrderApp, status: "ONLINE" | "BUSY" | "PAUSED") =>
  deliverectWebhook(o, { ...marinaBay, status, delay: status === "BUSY" ? 30 : 0 })

/** Deliverect's snooze (or unsnooze) of products at Marina Bay, by PLU. */
export const deliverectSnooze = (o: OrderApp, plus: ReadonlyArray<string>, until: Date | null) =>
  deliverectWebhook(o, {
    ...marinaBay,
    operations: [
      {
        action: until === null ? "unsnooze" : "snooze",
        data: {
          items: plus.map((plu) => ({
            plu,
            snoozeStart: new Date(Date.now() - 60_000).toISOString(),
            ...(until === null ? {} : { snoozeEnd: until.toISOString() })
          }))
        }
      }
    ]
  })

/**
 * The Lightspeed location's menu pushed again, as its fixture with `edit` applied to the JSON text
 * (a price changed at the POS); the fake Lightspeed serves the same menu from then on.
 */
export const syncLightspeedMenu = async (o: OrderApp, edit: (text: string) => string) => {
  const fixture = lightspeedFixtures.catalogs.find((c) => c.context.externalOutletId === lightspeedExternal)!
  const payload = JSON.parse(edit(json(fixture.payload))) as unknown
  o.lightspeed.setMenus(lightspeedExternal, [payload])
  const response = await call(o.app, `/api/v1/products/sync?externalOutletId=${lightspeedExternal}`, {
    method: "POST",
    host,
    key: o.posKey,
    headers: { "content-type": "application/json", "x-provider": "lightspeed" },
    body: json(payload)
  })
  if (response.status !== 200) expect.fail(`Lightspeed menu sync: ${response.status} ${await response.text()}`)
}

// ---------------------------------------------------------------------------------------------------
// Tax settings

/** Whether the outlet's prices include tax, as its POS's outlet sync records it (null: not said). */
export const setOutletTaxInclusive = (o: OrderApp, outlet: string, taxInclusive: boolean | null) =>
  o.app.inTenant(
    tenant,
    Effect.gen(function* () {
      const outlets = yield* Outlets
      const store = yield* outlets.get(outlet)
      if (store === undefined) return yield* Effect.die(new Error(`no outlet ${outlet}`))
      yield* outlets.save([{ ...store, taxInclusive, updatedAt: new Date() }])
    })
  )

/** The answer holds none of the outlets' credential values. */
export const expectNoSecrets = (o: OrderApp, text: string) => {
  for (const secret of o.secrets) expect(text).not.toContain(secret)
}

// ---------------------------------------------------------------------------------------------------
// Menu V2

export interface MenuItemInput {
  readonly productId: string
  readonly basePrice?: number
  readonly specialPrice?: number
}

export type MenuHoursInput = {
  readonly timezone: string
  readonly weekly: ReadonlyArray<{ readonly dayOfWeek: number; readonly opens: string; readonly closes: string }>
  readonly exceptions: ReadonlyArray<{ readonly date: string; readonly closed: true }>
}

/**
 * A Menu V2 menu published to `outlets` with one section of `items`, as an editor publishes it; its
 * handle republishes it with other hours or outlets (a new version).
 */
export const publishMenu = async (
  o: OrderApp,
  name: string,
  outlets: ReadonlyArray<string>,
  items: ReadonlyArray<MenuItemInput>,
  hours: MenuHoursInput | null = null
) => {
  const e = editor(o)
  const draftId = await e.create(name)
  const sectionId = await e.addSection(draftId, name)
  e.expectOk(
    await e.putItems(
      draftId,
      sectionId,
      items.map((item, i) => ({ position: i + 1, ...item }))
    )
  )
  if (hours !== null) e.expectOk(await e.putHours(draftId, hours))
  e.expectOk(await e.putStores(draftId, outlets))
  const { menuId, version } = e.expectOk(await e.publish(draftId), 201)
  const republish = async () => e.expectOk(await e.publish(draftId), 201).version
  return {
    menuId,
    version,
    /** Publishes the menu again with these hours: the new version. */
    withHours: async (next: MenuHoursInput) => {
      e.expectOk(await e.putHours(draftId, next))
      return republish()
    },
    /** Publishes the menu again for these outlets: the new version. */
    withOutlets: async (next: ReadonlyArray<string>) => {
      e.expectOk(await e.putStores(draftId, next))
      return republish()
    }
  }
}

/** The UTC calendar date `days` from now, as menu hours name dates. */
export const utcDate = (days: number, from = new Date()) =>
  new Date(from.getTime() + days * 86_400_000).toISOString().slice(0, 10)

/** Noon UTC `days` from today. */
export const utcNoon = (days: number, from = new Date()) => new Date(`${utcDate(days, from)}T12:00:00Z`)

/** Open every day around the clock except on the dates `closedDays` from today (UTC). */
export const closedOn = (...closedDays: ReadonlyArray<number>): MenuHoursInput => {
  const now = new Date()
  return {
    timezone: "UTC",
    weekly: [1, 2, 3, 4, 5, 6, 7].map((dayOfWeek) => ({ dayOfWeek, opens: "00:00", closes: "24:00" })),
    exceptions: closedDays.map((days) => ({ date: utcDate(days, now), closed: true as const }))
  }
}
