/**
 * What the Menu V2 suites share: a tenant with outlets and catalogs synced over HTTP from real POS
 * fixtures, keys of each kind, and a menu editor's client that carries the draft's ETag from each
 * answer to the next write's If-Match, as an editor's client would.
 */
import { createHmac } from "node:crypto"
import { Effect, type Layer } from "effect"
import { expect } from "vitest"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { outletId } from "../../domain/ids.ts"
import type { TenantId } from "../../domain/tenant.ts"
import deliverectMenu from "../../plugins/deliverect/fixtures/menu-sync.json" with { type: "json" }
import deliverectOutlets from "../../plugins/deliverect/fixtures/outlets-batch.json" with { type: "json" }
import { fixtures as lightspeedFixtures } from "../../plugins/lightspeed/fixtures/index.ts"
import type { StorageServices } from "../../runtime/app-layer.ts"
import { call, makeTestApp, type TestApp } from "../support/app.ts"

export const host = "acme.localhost"
export const tenant = "acme" as TenantId

/** Marina Bay, the Deliverect outlet of menu-sync.json. */
export const deliverectOutlet = outletId("deliverect", "649ad021949cfa36470f9ea9")
const lightspeedCatalog = lightspeedFixtures.catalogs[0]!
export const lightspeedExternal = lightspeedCatalog.context.externalOutletId!
export const lightspeedOutlet = outletId("lightspeed", lightspeedExternal)

export const bundledDeliverect = "@pos-integration/plugin-deliverect"

export interface MenuApp {
  readonly app: TestApp
  readonly posKey: string
  readonly partnerKey: string
  readonly editorKey: string
}

export const json = (body: unknown) => JSON.stringify(body)

/** An app over the storage with the tenant, its keys, and the plugins named (Deliverect as asked). */
export const startMenuApp = async (
  storage: Layer.Layer<StorageServices, unknown>,
  deliverect: string = bundledDeliverect
): Promise<MenuApp> => {
  const app = await makeTestApp(storage, {
    settings: { posPlugins: [deliverect, "@pos-integration/plugin-lightspeed"], syncLockWaitMs: 10_000 }
  })
  await app.createTenant({ id: tenant, currency: "SGD", timezone: "Asia/Singapore", country: "SG" })
  const posKey = (await app.issueKey(tenant, { kind: "pos" })).plaintext
  const partnerKey = (await app.issueKey(tenant, { kind: "partner" })).plaintext
  const editorKey = (await app.issueKey(tenant, { kind: "editor" })).plaintext
  return { app, posKey, partnerKey, editorKey }
}

const posPost = async (m: MenuApp, path: string, provider: string, body: unknown) => {
  const response = await call(m.app, path, {
    method: "POST",
    host,
    key: m.posKey,
    headers: { "content-type": "application/json", "x-provider": provider },
    body: json(body)
  })
  if (response.status !== 200) expect.fail(`${path}: ${response.status} ${await response.text()}`)
}

/** Marina Bay's outlets and menu, pushed as Deliverect pushes them. */
export const syncDeliverect = async (m: MenuApp) => {
  await posPost(m, "/api/v1/outlets/sync", "deliverect", deliverectOutlets)
  await posPost(m, "/api/v1/products/sync", "deliverect", deliverectMenu)
}

/** Deliverect menus (the fixture's shape, changed by a test) pushed with the POS key. */
export const pushDeliverectMenus = (m: MenuApp, menus: unknown) =>
  call(m.app, "/api/v1/products/sync", {
    method: "POST",
    host,
    key: m.posKey,
    headers: { "content-type": "application/json", "x-provider": "deliverect" },
    body: json(menus)
  })

/** Marina Bay's Deliverect credentials, with the secret its webhooks are signed with. */
export const setDeliverectWebhookSecret = (m: MenuApp, secret: string) =>
  m.app.inTenant(
    tenant,
    Effect.flatMap(PosCredentialStore, (credentials) =>
      credentials.setOutlet(
        deliverectOutlet,
        JSON.stringify({ channelName: "acme", clientId: "c", clientSecret: "s", webhookSecret: secret })
      )
    )
  )

/** A Deliverect webhook to `app`, signed with the outlet's webhook secret. */
export const signedDeliverectWebhook = (app: TestApp, secret: string, body: string) =>
  call(app, "/api/v1/pos/deliverect/webhooks", {
    method: "POST",
    host,
    headers: {
      "content-type": "application/json",
      "x-deliverect-signature": createHmac("sha256", secret).update(body).digest("hex")
    },
    body
  })

/** A Deliverect webhook body about Marina Bay's channel link (its account and location, then `body`). */
export const marinaBayWebhook = (body: Record<string, unknown>) =>
  JSON.stringify({
    accountId: "5b1f3e71c6489f0029a1b2d4",
    locationId: "61c30761e41eefadd03072af",
    channelLinkId: "649ad021949cfa36470f9ea9",
    ...body
  })

/** Deliverect's snooze of one PLU at Marina Bay until `snoozeEnd`, or its unsnooze without one. */
export const snoozeWebhook = (plu: string, snoozeEnd?: string) =>
  marinaBayWebhook({
    operations: [
      {
        action: snoozeEnd === undefined ? "unsnooze" : "snooze",
        data: { items: [{ plu, snoozeStart: "2026-01-01T00:00:00Z", ...(snoozeEnd ? { snoozeEnd } : {}) }] }
      }
    ]
  })

export interface ConditionalRead {
  readonly status: number
  readonly etag: string | null
  readonly text: string
}

/** A conditional read made twice: the same bytes under the same tag, and a 304 for that tag. */
export const readTwice = async (read: (ifNoneMatch?: string) => Promise<ConditionalRead>) => {
  const first = await read()
  expect(first.status).toBe(200)
  const second = await read()
  expect(second.text).toBe(first.text)
  expect(second.etag).toBe(first.etag)
  expect((await read(first.etag!)).status).toBe(304)
  return first
}

/** A Lightspeed business's locations, and one location's menu. */
export const syncLightspeed = async (m: MenuApp) => {
  const outlets = lightspeedFixtures.outlets.find((o) => o.expectedExternalIds.includes(lightspeedExternal))!
  await posPost(m, "/api/v1/outlets/sync", "lightspeed", outlets.payload)
  await posPost(
    m,
    `/api/v1/products/sync?externalOutletId=${lightspeedExternal}`,
    "lightspeed",
    lightspeedCatalog.payload
  )
}

export interface OutletProduct {
  readonly productId: string
  readonly posCode: string
  readonly name: string
  readonly price: { readonly amount: number; readonly currency: string }
  readonly available: boolean
}

/** The products an outlet sells and can sell now, as a partner reads them. */
export const availableProducts = async (m: MenuApp, outlet: string): Promise<ReadonlyArray<OutletProduct>> => {
  const response = await call(m.app, `/api/v1/products?outletId=${outlet}&limit=500`, { host, key: m.partnerKey })
  expect(response.status).toBe(200)
  return ((await response.json()) as { data: Array<OutletProduct> }).data.filter((p) => p.available)
}

export interface EffectiveItem {
  readonly productId: string
  readonly position: number
  readonly price: { readonly amount: number; readonly currency: string } | null
  readonly basePrice: { readonly amount: number } | null
  readonly specialPrice: { readonly amount: number } | null
  readonly available: boolean
  readonly reason: string | null
  readonly snoozedUntil: string | null
}

export interface EffectiveMenuAnswer {
  readonly outletId: string
  readonly source: "menu-v2" | "pos"
  readonly currency: string
  readonly busyMode: string
  readonly menus: ReadonlyArray<{
    readonly menuId: string
    readonly version: number
    readonly name: string
    readonly open: boolean
    readonly nextChange: string | null
    readonly sections: ReadonlyArray<{
      readonly sectionId: string
      readonly name: string
      readonly displayType: string
      readonly items: ReadonlyArray<EffectiveItem>
    }>
  }>
}

/** The outlet's effective menu, as a partner reads it (at `at` when given). */
export const effectiveMenu = async (m: MenuApp, outlet: string, at?: string): Promise<EffectiveMenuAnswer> => {
  const query = at === undefined ? "" : `?at=${encodeURIComponent(at)}`
  const response = await call(m.app, `/api/v1/outlets/${outlet}/menu${query}`, { host, key: m.partnerKey })
  if (response.status !== 200) expect.fail(`menu of ${outlet}: ${response.status} ${await response.text()}`)
  return (await response.json()) as EffectiveMenuAnswer
}

export interface Answer<A = unknown> {
  readonly status: number
  readonly etag: string | null
  readonly body: A
  readonly text: string
}

/**
 * A menu editor's client: `send` answers status, ETag and body; the write helpers send the ETag of
 * the draft's last answer as If-Match (unless `ifMatch` overrides it, null for none) and keep the new one.
 */
export const editor = (m: MenuApp, key = m.editorKey) => {
  const etags = new Map<string, string>()
  const send = async <A = Record<string, unknown>>(
    method: string,
    path: string,
    options: { readonly body?: unknown; readonly ifMatch?: string | null; readonly key?: string } = {}
  ): Promise<Answer<A>> => {
    const headers: Record<string, string> = {}
    if (options.body !== undefined) headers["content-type"] = "application/json"
    if (options.ifMatch !== undefined && options.ifMatch !== null) headers["if-match"] = options.ifMatch
    const response = await call(m.app, path, {
      method,
      host,
      key: options.key ?? key,
      headers,
      ...(options.body === undefined ? {} : { body: json(options.body) })
    })
    const text = await response.text()
    return {
      status: response.status,
      etag: response.headers.get("etag"),
      body: (text === "" ? undefined : JSON.parse(text)) as A,
      text
    }
  }
  /** A write to a draft under its last known ETag; the answer's ETag becomes the known one. */
  const write = async <A = Record<string, unknown>>(
    draftId: string,
    method: string,
    path: string,
    body?: unknown,
    ifMatch?: string | null
  ): Promise<Answer<A>> => {
    const answer = await send<A>(method, path, {
      ...(body === undefined ? {} : { body }),
      ifMatch: ifMatch === undefined ? (etags.get(draftId) ?? null) : ifMatch
    })
    if (answer.status < 300 && answer.etag !== null) etags.set(draftId, answer.etag)
    return answer
  }
  const expectOk = <A>(answer: Answer<A>, status = 200): A => {
    if (answer.status !== status) expect.fail(`expected ${status}, got ${answer.status}: ${answer.text}`)
    return answer.body
  }
  const drafts = "/api/v2/menus/drafts"
  return {
    send,
    write,
    expectOk,
    etagOf: (draftId: string) => etags.get(draftId),
    remember: (draftId: string, etag: string) => etags.set(draftId, etag),
    /** A new draft (201): its id, its ETag remembered. */
    create: async (name: string) => {
      const answer = await send<{ draftId: string; version: number }>("POST", drafts, { body: { name } })
      const draft = expectOk(answer, 201)
      etags.set(draft.draftId, answer.etag!)
      return draft.draftId
    },
    addSection: async (draftId: string, name: string, displayType = "LIST", position = 0) =>
      expectOk(
        await write<{ sectionId: string }>(draftId, "POST", `${drafts}/${draftId}/sections`, {
          name,
          displayType,
          position
        }),
        201
      ).sectionId,
    putItems: (draftId: string, sectionId: string, items: ReadonlyArray<Record<string, unknown>>) =>
      write(draftId, "PUT", `${drafts}/${draftId}/sections/${sectionId}/items`, items),
    putStores: (draftId: string, outletIds: ReadonlyArray<string>) =>
      write(draftId, "PUT", `${drafts}/${draftId}/stores`, { outletIds }),
    putHours: (draftId: string, hours: Record<string, unknown>) =>
      write(draftId, "PUT", `${drafts}/${draftId}/hours`, hours),
    publish: (draftId: string) =>
      write<{ menuId: string; version: number; publishedAt: string; created: boolean }>(
        draftId,
        "POST",
        `${drafts}/${draftId}/publish`
      )
  }
}

export type Editor = ReturnType<typeof editor>
