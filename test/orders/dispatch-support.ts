/**
 * What the dispatcher and status webhook suites share: an in-process app whose tenant has two
 * Deliverect outlets (Marina Bay with its menu and credentials reaching a fake Deliverect on
 * loopback, Tanjong Pagar with the same menu and no credentials), a partner key, and helpers to
 * place orders, read them, wait for their status and sign Deliverect webhooks.
 */
import { createHash, createHmac } from "node:crypto"
import { format } from "node:util"
import { Effect, type Layer } from "effect"
import { expect, vi } from "vitest"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { outletId } from "../../domain/ids.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { type FakeDeliverect, startFakeDeliverect } from "../../plugins/deliverect/fake-deliverect.ts"
import deliverectMenu from "../../plugins/deliverect/fixtures/menu-sync.json" with { type: "json" }
import deliverectOutlets from "../../plugins/deliverect/fixtures/outlets-batch.json" with { type: "json" }
import { type FakeLightspeed, startFakeLightspeed } from "../../plugins/lightspeed/fake-lightspeed.ts"
import { payloads as lightspeedPayloads } from "../../plugins/lightspeed/fixtures/index.ts"
import type { StorageServices } from "../../runtime/app-layer.ts"
import type { AppSettings } from "../../runtime/config.ts"
import { call, makeTestApp, type TestApp } from "../support/app.ts"

export const tenant = "acme" as TenantId

/** Marina Bay: menu-sync.json's channel link; its credentials reach the fake. */
export const marinaBayLink = "649ad021949cfa36470f9ea9"
export const marinaBay = outletId("deliverect", marinaBayLink)
/** Tanjong Pagar: registered by outlets-batch.json, given Marina Bay's menu here. */
export const tanjongPagarLink = "65ddbe003110fd505a9e7be4"
export const tanjongPagar = outletId("deliverect", tanjongPagarLink)

/** Raffles Place, a location of the Lightspeed business Kopi & Co (businesses.json). */
export const kopiBusiness = "454335871"
export const rafflesPlaceLocation = "45454565682155"
export const rafflesPlace = outletId("lightspeed", rafflesPlaceLocation)
export const lightspeedWebhookToken = "whk-kopi-orders-6c0f1e93b2"
const lightspeedClient = {
  clientId: "pos-integration-test",
  clientSecret: "cs-kopi-2f7e1a9d",
  accessToken: "at-kopi-0c4d77f1"
}

export const marinaBaySecret = "whsec-marina-bay-0d7c51e2"
export const tanjongPagarSecret = "whsec-tanjong-pagar-44ab19f0"

/** Short retries and deadlines, so that every path of the dispatcher ends within a second or two. */
export const quickSettings: Partial<AppSettings> = {
  orderRetryBaseMs: 10,
  orderRetryMaxMs: 50,
  posCallTimeoutMs: 300,
  orderMaxAttempts: 3,
  orderLeaseMs: 1000
}

export interface Rig {
  readonly app: TestApp
  /** The tenant the helpers act for, and the host that names it. */
  readonly tenant: TenantId
  readonly host: string
  readonly partnerKey: string
  /** The fake the tenant's Deliverect outlets reach. */
  readonly deliverect: FakeDeliverect
  /** Present when the tenant was set up with `lightspeed: true`. */
  readonly lightspeed: FakeLightspeed | undefined
  /** Closes the fakes this tenant was given (and, for the rig `startRig` answers, the app). */
  readonly close: () => Promise<void>
}

export interface TenantOptions {
  readonly tanjongPagarCredentials?: boolean
  /** Also Kopi & Co's locations, Raffles Place's menu, and the business's credentials reaching a fake Lightspeed. */
  readonly lightspeed?: boolean
}

const json = (body: unknown) => JSON.stringify(body)

/**
 * A tenant of the app with its outlets and menus synced as Deliverect pushes them, Marina Bay's
 * credentials pointing at a fresh fake Deliverect (Tanjong Pagar's only when
 * `tanjongPagarCredentials` is set: they then reach the same fake, with their own webhook secret).
 */
export const addTenant = async (app: TestApp, id: TenantId, options: TenantOptions = {}): Promise<Rig> => {
  const tenantHost = `${id}.localhost`
  const deliverect = await startFakeDeliverect()
  const lightspeed =
    options.lightspeed === true
      ? await startFakeLightspeed({
          clientId: lightspeedClient.clientId,
          clientSecret: lightspeedClient.clientSecret,
          refreshToken: "rt-kopi-6b1e90aa",
          accessTokens: [lightspeedClient.accessToken],
          businesses: lightspeedPayloads.businesses,
          orderLocations: [rafflesPlaceLocation]
        })
      : undefined
  const close = async () => {
    await deliverect.close()
    await lightspeed?.close()
  }
  try {
    await app.createTenant({ id, currency: "SGD", timezone: "Asia/Singapore", country: "SG" })
    const posKey = (await app.issueKey(id, { kind: "pos" })).plaintext
    const partnerKey = (await app.issueKey(id, { kind: "partner" })).plaintext
    const sync = async (path: string, body: unknown, provider = "deliverect") => {
      const response = await call(app, path, {
        method: "POST",
        host: tenantHost,
        key: posKey,
        headers: { "content-type": "application/json", "x-provider": provider },
        body: json(body)
      })
      if (response.status !== 200) expect.fail(`${path}: ${response.status} ${await response.text()}`)
    }
    const credentials = (effect: Effect.Effect<void, unknown, PosCredentialStore>) => app.inTenant(id, effect)
    await sync("/api/v1/outlets/sync", deliverectOutlets)
    await sync("/api/v1/products/sync", deliverectMenu)
    // Tanjong Pagar sells what Marina Bay sells.
    await sync(
      "/api/v1/products/sync",
      deliverectMenu.map((menu) => ({ ...menu, channelLinkId: tanjongPagarLink }))
    )
    const outlet = (store: string, secret: string) =>
      credentials(
        Effect.flatMap(PosCredentialStore, (vault) =>
          vault.setOutlet(store, json({ ...deliverect.credentials, webhookSecret: secret }))
        )
      )
    await outlet(marinaBay, marinaBaySecret)
    if (options.tanjongPagarCredentials === true) await outlet(tanjongPagar, tanjongPagarSecret)
    if (lightspeed !== undefined) {
      await sync("/api/v1/outlets/sync", lightspeedPayloads.businesses, "lightspeed")
      await sync(
        `/api/v1/products/sync?externalOutletId=${rafflesPlaceLocation}`,
        lightspeedPayloads.menuAllDay,
        "lightspeed"
      )
      await credentials(
        Effect.flatMap(PosCredentialStore, (vault) =>
          vault.setAccount(
            "lightspeed",
            kopiBusiness,
            json({
              apiBaseUrl: lightspeed.url,
              clientId: lightspeedClient.clientId,
              clientSecret: lightspeedClient.clientSecret,
              refreshToken: "rt-kopi-6b1e90aa",
              accessToken: lightspeedClient.accessToken,
              webhookToken: lightspeedWebhookToken,
              endpointId: "POS-INTEGRATION-ORDERS"
            })
          )
        )
      )
    }
    return { app, tenant: id, host: tenantHost, partnerKey, deliverect, lightspeed, close }
  } catch (error) {
    await close()
    throw error
  }
}

/** The app over `storage` (with short dispatcher settings) and its tenant `acme` (see `addTenant`). */
export const startRig = async (
  storage: Layer.Layer<StorageServices, unknown>,
  options: TenantOptions & { readonly settings?: Partial<AppSettings> } = {}
): Promise<Rig> => {
  const app = await makeTestApp(storage, {
    settings: {
      posPlugins: ["@pos-integration/plugin-deliverect", "@pos-integration/plugin-lightspeed"],
      ...quickSettings,
      ...options.settings
    }
  })
  try {
    const rig = await addTenant(app, tenant, options)
    return {
      ...rig,
      close: async () => {
        await app.close()
        await rig.close()
      }
    }
  } catch (error) {
    await app.close()
    throw error
  }
}

/**
 * An instant within the coming week when both fixture menus' "All Day" menu is open: 12:00 in
 * Singapore on the next Monday to Saturday at least a day ahead (the menu opens 11:00 to 15:00).
 */
export const openSlot = (now = new Date()): string => {
  for (let days = 1; days <= 3; days++) {
    const day = new Date(now.getTime() + days * 86_400_000)
    // 04:00Z is 12:00 in Singapore (UTC+8, no daylight saving), on the same calendar day.
    const slot = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 4, 0, 0))
    if (slot.getUTCDay() !== 0 && slot.getTime() > now.getTime() + 3_600_000) return slot.toISOString()
  }
  throw new Error("no open slot in the coming days")
}

interface Product {
  readonly productId: string
  readonly posCode: string
  readonly price: { readonly amount: number }
  readonly modifierGroups: ReadonlyArray<{
    readonly options: ReadonlyArray<{
      readonly optionId: string
      readonly posCode: string
      readonly price: { readonly amount: number }
    }>
  }>
}

/** The product's modifier option with this POS code. */
const optionOf = (product: Product, posCode: string) => {
  const found = product.modifierGroups.flatMap((g) => g.options).find((o) => o.posCode === posCode)
  if (found === undefined) expect.fail(`product ${product.posCode} has no option ${posCode}`)
  return found
}

const productCache = new WeakMap<Rig, Map<string, Map<string, Product>>>()

/** The outlet's product with this POS code, as the partner API lists it. */
export const productOf = async (rig: Rig, outlet: string, posCode: string): Promise<Product> => {
  let byOutlet = productCache.get(rig)
  if (byOutlet === undefined) {
    byOutlet = new Map()
    productCache.set(rig, byOutlet)
  }
  let products = byOutlet.get(outlet)
  if (products === undefined) {
    const response = await call(rig.app, `/api/v1/products?outletId=${outlet}&limit=500`, {
      host: rig.host,
      key: rig.partnerKey
    })
    expect(response.status).toBe(200)
    const page = (await response.json()) as { data: Array<Product> }
    products = new Map(page.data.map((p) => [p.posCode, p]))
    byOutlet.set(outlet, products)
  }
  const found = products.get(posCode)
  if (found === undefined) expect.fail(`outlet ${outlet} has no product ${posCode}`)
  return found
}

/** A line of an order to place, by POS codes. */
export interface LineSpec {
  readonly posCode: string
  readonly quantity: number
  readonly options?: ReadonlyArray<string>
  readonly note?: string
}

/** Two Coca-Colas and a Steak Frites (medium, with fries): Marina Bay's and Tanjong Pagar's menu. */
export const deliverectLines: ReadonlyArray<LineSpec> = [
  { posCode: "DRK-COLA", quantity: 2 },
  { posCode: "STK-01", quantity: 1, options: ["COOK-M", "SIDE-FR"], note: "no pepper" }
]

/** Two Apple Juices and a Chocolate Lava Cake: Raffles Place's menu. */
export const lightspeedLines: ReadonlyArray<LineSpec> = [
  { posCode: "58", quantity: 2 },
  { posCode: "70", quantity: 1 }
]

/** An order body for pickup at an open slot, paid, with the server's total as the amount paid. */
export const orderBody = async (rig: Rig, refCode: string, outlet: string, lines: ReadonlyArray<LineSpec>) => {
  let amount = 0
  const items = []
  for (const line of lines) {
    const product = await productOf(rig, outlet, line.posCode)
    const options = (line.options ?? []).map((posCode) => optionOf(product, posCode))
    amount += line.quantity * (product.price.amount + options.reduce((sum, o) => sum + o.price.amount, 0))
    items.push({
      productId: product.productId,
      quantity: line.quantity,
      ...(line.note === undefined ? {} : { note: line.note }),
      ...(options.length === 0 ? {} : { modifiers: options.map((o) => ({ optionId: o.optionId })) })
    })
  }
  return {
    refCode,
    outletId: outlet,
    fulfilment: { type: "PICKUP", scheduledFor: openSlot() },
    customer: { name: "Mei Ling", phone: "+6591234567" },
    items,
    payment: { status: "PAID", amount, method: "card" }
  }
}

export interface OrderView {
  readonly orderId: string
  readonly refCode: string
  readonly status: string
  readonly posOrderId?: string | null
  readonly timeline: ReadonlyArray<{
    readonly at: string
    readonly status: string | null
    readonly source: string
    readonly vendorStatus: string | null
    readonly reason: string | null
  }>
  readonly deliveries: ReadonlyArray<{
    readonly kind: string
    readonly attempt: number
    readonly startedAt: string
    readonly finishedAt: string
    readonly outcome: string
    readonly reason: string | null
  }>
  readonly createdAt: string
}

/** Places an order (201 expected): its answer's body. Deliverect's lines unless others are given. */
export const place = async (
  rig: Rig,
  refCode: string,
  outlet = marinaBay,
  lines: ReadonlyArray<LineSpec> = deliverectLines
): Promise<OrderView> => {
  const response = await call(rig.app, "/api/v1/orders", {
    method: "POST",
    host: rig.host,
    key: rig.partnerKey,
    headers: { "content-type": "application/json" },
    body: json(await orderBody(rig, refCode, outlet, lines))
  })
  const text = await response.text()
  if (response.status !== 201) expect.fail(`placing ${refCode}: ${response.status} ${text}`)
  return JSON.parse(text) as OrderView
}

/** GET /api/v1/orders/{id}: the view and its raw text. */
export const getOrder = async (rig: Rig, orderId: string): Promise<{ view: OrderView; text: string }> => {
  const response = await call(rig.app, `/api/v1/orders/${orderId}`, { host: rig.host, key: rig.partnerKey })
  const text = await response.text()
  if (response.status !== 200) expect.fail(`reading ${orderId}: ${response.status} ${text}`)
  return { view: JSON.parse(text) as OrderView, text }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls the order until `done` holds (every 20 ms, failing after `timeoutMs`). */
export const waitForOrder = async (
  rig: Rig,
  orderId: string,
  done: (view: OrderView) => boolean,
  timeoutMs = 5000
): Promise<OrderView> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const { view } = await getOrder(rig, orderId)
    if (done(view)) return view
    if (Date.now() > deadline) expect.fail(`order ${orderId} did not get there in ${timeoutMs} ms: ${json(view)}`)
    await sleep(20)
  }
}

/** Waits until the order has this status and no delivery is pending (its last attempt recorded). */
export const waitForStatus = (rig: Rig, orderId: string, status: string, timeoutMs?: number) =>
  waitForOrder(rig, orderId, (view) => view.status === status, timeoutMs)

/** Deliverect's signature of a raw body: hex HMAC-SHA256 with the channel link's webhook secret. */
export const deliverectSignature = (body: string, secret: string) =>
  createHmac("sha256", secret).update(body).digest("hex")

/** Deliverect's id (a 24-digit hex ObjectId) for the order with this channelOrderId, in these tests. */
export const deliverectOrderId = (refCode: string) => createHash("sha256").update(refCode).digest("hex").slice(0, 24)

/** A Deliverect order status update, as its order status webhook sends it. */
export const statusUpdate = (
  refCode: string,
  status: number,
  options: {
    readonly channelLink?: string
    readonly orderId?: string
    readonly at?: string
    readonly reason?: string
  } = {}
) =>
  json({
    orderId: options.orderId ?? deliverectOrderId(refCode),
    channelOrderId: refCode,
    status,
    timeStamp: options.at ?? new Date().toISOString(),
    receiptId: "",
    reason: options.reason ?? "",
    location: "61c30761e41eefadd03072af",
    channelLink: options.channelLink ?? marinaBayLink
  })

/** POSTs a Deliverect webhook body, signed with `secret` (Marina Bay's by default; null: unsigned). */
export const sendDeliverectWebhook = (rig: Rig, body: string, secret: string | null = marinaBaySecret) =>
  call(rig.app, "/api/v1/pos/deliverect/webhooks", {
    method: "POST",
    host: rig.host,
    headers: {
      "content-type": "application/json",
      ...(secret === null ? {} : { "x-deliverect-signature": deliverectSignature(body, secret) })
    },
    body
  })

/** Captures what the service logs through `console` (its loggers' sink) until restored: one entry per call. */
export const captureConsole = () => {
  const methods = ["log", "error", "warn", "info", "debug"] as const
  const lines: Array<string> = []
  const spies = methods.map((method) =>
    vi.spyOn(console, method).mockImplementation((...args: Array<unknown>) => {
      lines.push(format(...args))
    })
  )
  return {
    entries: (): ReadonlyArray<string> => [...lines],
    restore: () => {
      for (const spy of spies) spy.mockRestore()
    }
  }
}
