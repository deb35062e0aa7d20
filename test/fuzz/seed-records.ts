/**
 * One record of each kind the partner API makes, made through the API as a partner and an editor
 * would: a webhook endpoint (at `webhookUrl`), a customer, an order of a product on an outlet's menu, a loyalty earn, and a published
 * Menu V2 menu. `call` sends a request for an operation (method and path template as the OpenAPI
 * document names it) and fails on anything but a 2xx.
 */
export type SeedCall = (
  method: string,
  template: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>
) => Promise<{ readonly json: unknown; readonly etag: string | null }>

interface Outlet {
  readonly outletId: string
  readonly provider: string
}

interface Product {
  readonly productId: string
  readonly available: boolean
  readonly price: { readonly amount: number }
  readonly modifierGroups: ReadonlyArray<{ readonly min: number }>
}

export const seedRecords = async (call: SeedCall, webhookUrl: string) => {
  await call("post", "/api/v1/webhook-endpoints", "/api/v1/webhook-endpoints", {
    url: webhookUrl,
    description: "the partner's receiver"
  })

  const customer = (await call("post", "/api/v1/customers", "/api/v1/customers", {
    name: "Mei Ling",
    phone: "+6591234567",
    email: "mei.ling@example.org"
  })) as { json: { customerId: string } }
  const customerId = customer.json.customerId

  const outlets = ((await call("get", "/api/v1/outlets", "/api/v1/outlets")).json as { data: Array<Outlet> }).data
  const outlet = outlets.find((o) => o.provider === "deliverect") ?? outlets[0]!
  const products = (
    (await call("get", "/api/v1/products", `/api/v1/products?outletId=${outlet.outletId}&limit=500`)).json as {
      data: Array<Product>
    }
  ).data
  const simple = products.filter((p) => p.available && p.modifierGroups.every((g) => g.min === 0))
  const product = simple[0]
  if (product === undefined) throw new Error(`seeding: no product without required choices on ${outlet.outletId}`)

  await call("post", "/api/v1/orders", "/api/v1/orders", {
    refCode: "FUZZ-SEED-1",
    outletId: outlet.outletId,
    fulfilment: { type: "PICKUP", asap: true },
    customer: { name: "Mei Ling", phone: "+6591234567" },
    items: [{ productId: product.productId, quantity: 2 }],
    payment: { status: "PAID", amount: product.price.amount * 2, method: "card", reference: "pi_seed" }
  })

  await call("post", "/api/v1/loyalty/earn", "/api/v1/loyalty/earn", {
    customerId,
    amount: 4590,
    refCode: "fuzz-earn-1"
  })

  const drafts = "/api/v2/menus/drafts"
  const draft = (await call("post", drafts, drafts, { name: "Lunch", description: "Weekdays" })) as {
    json: { draftId: string }
    etag: string | null
  }
  const draftPath = `${drafts}/${draft.json.draftId}`
  const section = (await call(
    "post",
    `${drafts}/{draftId}/sections`,
    `${draftPath}/sections`,
    { name: "Mains", displayType: "LIST", position: 1 },
    { "if-match": draft.etag ?? "*" }
  )) as { json: { sectionId: string }; etag: string | null }
  const items = await call(
    "put",
    `${drafts}/{draftId}/sections/{sectionId}/items`,
    `${draftPath}/sections/${section.json.sectionId}/items`,
    simple.slice(0, 3).map((p, i) => ({ productId: p.productId, position: i + 1 })),
    { "if-match": section.etag ?? "*" }
  )
  const stores = await call(
    "put",
    `${drafts}/{draftId}/stores`,
    `${draftPath}/stores`,
    { outletIds: [outlet.outletId] },
    { "if-match": items.etag ?? "*" }
  )
  await call("post", `${drafts}/{draftId}/publish`, `${draftPath}/publish`, undefined, {
    "if-match": stores.etag ?? "*"
  })
}
