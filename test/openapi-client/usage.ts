/**
 * A partner's client, generated from the served OpenAPI document with openapi-typescript and used
 * through openapi-fetch: every operation once, as a partner would call it. Never run, only
 * typechecked (test/contract/generated-client.test.ts maps `#openapi` to freshly generated types),
 * so a document that declares a type wrongly breaks this file. The `@ts-expect-error` lines are
 * calls the document must refuse: if one compiled, tsc would report the directive as unused.
 */
import createClient from "openapi-fetch"
import type { components, paths } from "#openapi"

type Outlet = components["schemas"]["Outlet"]
type Product = components["schemas"]["Product"]

const api = createClient<paths>({
  baseUrl: "https://acme.pos.example.org/service/pos-integration",
  headers: { "X-Api-Key": "posk_12_abcdefghijklmnopqrstuvwxyz012345" }
})
const pos = createClient<paths>({ baseUrl: "https://acme.pos.example.org", headers: { "X-Api-Key": "posk_13_x" } })

export const health = async (): Promise<string> => {
  const live = await api.GET("/healthz")
  const ready = await api.GET("/readyz")
  return `${live.data?.status} ${ready.data?.status ?? ready.error?.error.message}`
}

export const whoami = async (): Promise<number | undefined> => {
  const { data, error } = await api.GET("/api/v1/auth/whoami")
  if (error !== undefined) return error.error.code
  const scopes: ReadonlyArray<"outlets:read" | (string & {})> = data.scopes
  const scheme: "apiKey" | "bearer" = data.scheme
  return data.authenticated && data.expiresAt !== "" && scopes.length > 0 && scheme === "apiKey"
    ? (data.apiKeyId ?? undefined)
    : undefined
}

/** The same call with an OAuth 2.0 access token instead of a key: the client it was issued to. */
export const whoamiWithToken = async (accessToken: string): Promise<string | null | undefined> => {
  const client = createClient<paths>({
    baseUrl: "https://acme.pos.example.org",
    headers: { Authorization: `Bearer ${accessToken}` }
  })
  const { data } = await client.GET("/api/v1/auth/whoami")
  return data?.clientId
}

export const providers = async (): Promise<ReadonlyArray<string>> => {
  const { data } = await api.GET("/api/v1/providers")
  return (data?.data ?? []).filter((p) => p.capabilities.includes("catalog")).map((p) => p.id)
}

/** Every page of outlets, 100 at a time: `limit` is a number, `cursor` the previous `nextCursor`. */
export const allOutlets = async (): Promise<ReadonlyArray<Outlet>> => {
  const outlets: Array<Outlet> = []
  let cursor: string | null = null
  do {
    const query: { limit: number; includeInactive: "true"; cursor?: string } = { limit: 100, includeInactive: "true" }
    if (cursor !== null) query.cursor = cursor
    const { data, error } = await api.GET("/api/v1/outlets", { params: { query } })
    if (error !== undefined) throw new Error(`${error.error.code} ${error.error.message}: ${error.error.details}`)
    outlets.push(...data.data)
    cursor = data.nextCursor
  } while (cursor !== null)
  return outlets
}

export const outletAndMenu = async (outletId: string) => {
  const outlet = await api.GET("/api/v1/outlets/{outletId}", { params: { path: { outletId } } })
  const menu = await api.GET("/api/v1/outlets/{outletId}/menu", {
    params: { path: { outletId }, query: { at: new Date().toISOString() } }
  })
  const source: "pos" | "menu-v2" | undefined = menu.data?.source
  const hours = outlet.data?.serviceHours.filter((w) => w.fulfilment === "DELIVERY" && w.dayOfWeek === 1)
  // The two shapes tell themselves apart by `source`.
  if (menu.data?.source === "pos") {
    const firstSection = menu.data.menus[0]?.sections[0]
    const nested = firstSection?.subSections[0]?.products.map((p) => p.name)
    return { source, hours, nested, currency: outlet.data?.currency }
  }
  const composed = menu.data?.menus[0]
  const reasons = composed?.sections.flatMap((s) =>
    s.items.map((i): "not-sold-here" | "inactive" | "snoozed" | "paused" | "closed" | null => i.reason)
  )
  const prices = composed?.sections[0]?.items.map((i) => i.price?.amount ?? 0)
  const display: "LIST" | "GRID" | "HIGHLIGHT" | "SWIMLANE" | undefined = composed?.sections[0]?.displayType
  return { source, hours, reasons, prices, display, open: composed?.open, version: composed?.version }
}

/**
 * A menu editor composes a Menu V2 menu, publishes it and rolls it back: every write names the
 * draft's version in If-Match (the ETag of the previous answer).
 */
export const composeMenu = async (productId: string, outletId: string) => {
  const editor = createClient<paths>({ baseUrl: "https://acme.pos.example.org", headers: { "X-Api-Key": "posk_14_x" } })
  const created = await editor.POST("/api/v2/menus/drafts", { body: { name: "Lunch", description: null } })
  if (created.data === undefined) return created.error.error.message
  const draftId = created.data.draftId
  let etag = created.response.headers.get("etag") ?? `"${created.data.version}"`
  const write = { path: { draftId }, header: { "if-match": etag } }
  const section = await editor.POST("/api/v2/menus/drafts/{draftId}/sections", {
    params: write,
    body: { name: "Noodles", displayType: "GRID", position: 1 }
  })
  const sectionId = section.data?.sectionId ?? "sec_0"
  etag = section.response.headers.get("etag") ?? etag
  const inSection = { path: { draftId, sectionId }, header: { "if-match": etag } }
  await editor.PATCH("/api/v2/menus/drafts/{draftId}/sections/{sectionId}", {
    params: inSection,
    body: { displayType: "HIGHLIGHT" }
  })
  const items = await editor.PUT("/api/v2/menus/drafts/{draftId}/sections/{sectionId}/items", {
    params: inSection,
    body: [
      { productId, position: 1, basePrice: 1290, specialPrice: 990 },
      { productId: "prd_2", position: 2 }
    ]
  })
  const special: number | null | undefined = items.data?.items[0]?.specialPrice
  await editor.PUT("/api/v2/menus/drafts/{draftId}/hours", {
    params: write,
    body: {
      timezone: "Europe/Amsterdam",
      weekly: [{ dayOfWeek: 5, opens: "17:00", closes: "01:00" }],
      exceptions: [{ date: "2026-12-25", closed: true }]
    }
  })
  await editor.DELETE("/api/v2/menus/drafts/{draftId}/hours", { params: write })
  await editor.PUT("/api/v2/menus/drafts/{draftId}/stores", { params: write, body: { outletIds: [outletId] } })
  await editor.PATCH("/api/v2/menus/drafts/{draftId}", { params: write, body: { name: "Lunch and dinner" } })
  const published = await editor.POST("/api/v2/menus/drafts/{draftId}/publish", { params: write })
  if (published.error !== undefined && published.response.status === 428) return published.error.error.details
  const menuId = published.data?.menuId ?? "mnu2_0"
  const newVersion: boolean | undefined = published.data?.created
  const drafts = await editor.GET("/api/v2/menus/drafts", { params: { query: { limit: 10 } } })
  const one = await editor.GET("/api/v2/menus/drafts/{draftId}", { params: { path: { draftId } } })
  const menus = await editor.GET("/api/v2/menus", { params: { query: { limit: 10 } } })
  const menu = await editor.GET("/api/v2/menus/{menuId}", { params: { path: { menuId } } })
  const versions = await editor.GET("/api/v2/menus/{menuId}/versions", { params: { path: { menuId } } })
  const restored = await editor.POST("/api/v2/menus/{menuId}/versions/{version}/restore", {
    params: { path: { menuId, version: "1" }, header: { "if-match": one.response.headers.get("etag") ?? etag } }
  })
  await editor.DELETE("/api/v2/menus/drafts/{draftId}/sections/{sectionId}", { params: inSection })
  await editor.DELETE("/api/v2/menus/drafts/{draftId}", { params: write })
  return {
    special,
    newVersion,
    drafts: drafts.data?.data.length,
    menus: menus.data?.data.map((m) => m.items),
    outlets: menu.data?.outletIds,
    versions: versions.data?.data.map((v) => v.version),
    restoredVersion: restored.data?.version
  }
}

export const products = async (outletId: string): Promise<ReadonlyArray<Product>> => {
  const { data } = await api.GET("/api/v1/products", {
    params: { query: { outletId, limit: 10, updatedSince: "2026-03-16T15:05:33+08:00", includeInactive: "false" } }
  })
  const first = data?.data[0]
  if (first !== undefined) {
    const one = await api.GET("/api/v1/products/{productId}", {
      params: { path: { productId: first.productId }, query: { outletId } }
    })
    const cents: number | undefined = one.data?.price?.amount
    const options = one.data?.modifierGroups.flatMap((g) => g.options.map((o) => o.price.amount + g.min))
    void [cents, options]
  }
  return data?.data ?? []
}

/** A POS pushes its own formats; X-Provider names the plugin that reads them. */
export const syncs = async () => {
  const outlets = await pos.POST("/api/v1/outlets/sync", {
    params: { header: { "x-provider": "deliverect" } },
    body: { accountId: "acc-1", locations: [{ id: "loc-1", name: "Orchard" }] }
  })
  const outcome: "created" | "updated" | "unchanged" | "deactivated" | undefined = outlets.data?.outlets[0]?.outcome
  const catalog = await pos.POST("/api/v1/products/sync", {
    params: {
      header: { "x-provider": "lightspeed" },
      query: { dryRun: "true", force: "false", externalOutletId: "bl-7" }
    },
    body: { menu: { categories: [] } }
  })
  const created = catalog.data?.data[0]?.counts.products.created
  const history = await pos.GET("/api/v1/syncs", { params: { query: { outletId: "out_1", limit: 20 } } })
  const last = history.data?.data[0]
  if (last !== undefined) {
    const one = await pos.GET("/api/v1/syncs/{syncId}", { params: { path: { syncId: last.syncId } } })
    const done: boolean = one.data?.status === "succeeded" && one.data.kind === "products"
    void done
  }
  return { outcome, created, next: history.data?.nextCursor }
}

/** A POS that is asked rather than pushing: a pull is queued (202), then its job is read. */
export const pulls = async () => {
  const queued = await pos.POST("/api/v1/outlets/{outletId}/pull", {
    params: { path: { outletId: "out_5d41402abc4b2a76b9719d911017c592" } }
  })
  const jobId: string | undefined = queued.data?.jobId
  if (jobId === undefined) return { source: undefined }
  const job = await pos.GET("/api/v1/jobs/{jobId}", { params: { path: { jobId } } })
  const status: "pending" | "running" | "done" | "failed" | undefined = job.data?.status
  const failedWith: string | null | undefined = job.data?.lastError
  const history = await pos.GET("/api/v1/syncs", { params: { query: { outletId: "out_1" } } })
  const source: "push" | "pull" | undefined = history.data?.data[0]?.source
  return { status, failedWith, source }
}

export const customers = async () => {
  const upserted = await api.POST("/api/v1/customers", {
    body: { name: "Mei Ling", phone: "9123 4567", email: null, marketingOptIn: true, refCode: "signup-42" }
  })
  const created = upserted.response.status === 201
  const customerId = upserted.data?.customerId ?? "cus_0"
  const one = await api.GET("/api/v1/customers/{customerId}", { params: { path: { customerId } } })
  const found = await api.GET("/api/v1/customers", { params: { query: { phone: "+6591234567" } } })
  const nextCursor: string | null | undefined = found.data?.nextCursor
  return { created, name: one.data?.name, count: found.data?.data.length, nextCursor }
}

export const loyalty = async (customerId: string) => {
  const member = await api.GET("/api/v1/loyalty/members/{customerId}", { params: { path: { customerId } } })
  const tier: string | undefined = member.data?.tier
  const history = await api.GET("/api/v1/loyalty/members/{customerId}/transactions", {
    params: { path: { customerId } }
  })
  const earned = history.data?.data.filter((t) => t.type === "EARN").map((t) => t.amount ?? 0)
  const rewards = await api.GET("/api/v1/loyalty/rewards")
  const rewardId = rewards.data?.data[0]?.rewardId ?? "free-coffee"
  const earn = await api.POST("/api/v1/loyalty/earn", {
    body: { customerId, amount: 4590, currency: "SGD", orderId: null, refCode: "order-1001" }
  })
  const byReward = await api.POST("/api/v1/loyalty/redeem", { body: { customerId, rewardId, refCode: "redeem-77" } })
  const byPoints = await api.POST("/api/v1/loyalty/redeem", { body: { customerId, points: 250, refCode: "redeem-78" } })
  if (byPoints.error !== undefined && byPoints.response.status === 409) return byPoints.error.error.message
  return { tier, earned, balance: earn.data?.balance, left: byReward.data?.balance ?? byPoints.data?.balance }
}

/** What the document must refuse. */
export const refused = async (customerId: string) => {
  // @ts-expect-error `limit` is an integer, not a string
  await api.GET("/api/v1/products", { params: { query: { limit: "10" } } })
  // @ts-expect-error a misspelt required field
  await api.POST("/api/v1/loyalty/earn", { body: { customerId, amout: 4590, refCode: "order-1002" } })
  // @ts-expect-error a redeem names a reward or points
  await api.POST("/api/v1/loyalty/redeem", { body: { customerId, refCode: "redeem-79" } })
  // @ts-expect-error the refCode is required on earn
  await api.POST("/api/v1/loyalty/earn", { body: { customerId, amount: 1 } })
  // @ts-expect-error an outlet's path needs its id
  await api.GET("/api/v1/outlets/{outletId}", {})
  await api.POST("/api/v2/menus/drafts/{draftId}/sections", {
    params: { path: { draftId: "drf_1" } },
    // @ts-expect-error a section's display type is one of four
    body: { name: "Noodles", displayType: "CAROUSEL", position: 1 }
  })
  const history = await api.GET("/api/v1/loyalty/members/{customerId}/transactions", {
    params: { path: { customerId } }
  })
  // @ts-expect-error a transaction's type is EARN or REDEEM
  return history.data?.data.some((t) => t.type === "EARNED")
}
