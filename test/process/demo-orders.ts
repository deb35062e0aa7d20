import { send } from "./service-process.ts"

/**
 * Orders on the demo tenant as a partner builds them from what the API shows: the outlet by its
 * Deliverect channel link, and two products of its effective menu (the first available option of
 * each group that needs one) with the amount the partner computes (the demo's prices include tax).
 * `api` sends a request with the demo key and answers its status and JSON.
 */
export type DemoApi = (
  method: string,
  path: string,
  body?: unknown
) => Promise<{ readonly status: number; readonly text: string; readonly json: Record<string, unknown> }>

/**
 * The demo API of the service on `port`, with the demo key `key()` gives (read at each call: it is
 * known once the service has printed it). `json` is `{}` when the answer is not JSON.
 */
export const demoApi =
  (port: () => number, key: () => string): DemoApi =>
  async (method, path, body) => {
    const answer = await send(port(), {
      method,
      path,
      headers: {
        host: `demo.localhost:${port()}`,
        "x-api-key": key(),
        ...(body === undefined ? {} : { "content-type": "application/json" })
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    let json: Record<string, unknown> = {}
    try {
      json = JSON.parse(answer.body) as Record<string, unknown>
    } catch {
      // Not JSON: the caller reports the text.
    }
    return { status: answer.status, text: answer.body, json }
  }

interface Option {
  readonly optionId: string
  readonly price: { readonly amount: number }
  readonly available: boolean
}
interface Product {
  readonly productId: string
  readonly price: { readonly amount: number }
  readonly available: boolean
  readonly modifierGroups: ReadonlyArray<{ readonly min: number; readonly options: ReadonlyArray<Option> }>
}

/** The demo outlet with this Deliverect channel link (`demo-tanjong-pagar`, `demo-orchard`). */
export const demoOutlet = async (api: DemoApi, channelLinkId: string): Promise<string> => {
  const outlets = await api("GET", "/api/v1/outlets")
  if (outlets.status !== 200) throw new Error(`GET /api/v1/outlets answered ${outlets.status}: ${outlets.text}`)
  const found = (outlets.json["data"] as Array<{ outletId: string; externalId: string }>).find(
    (o) => o.externalId === channelLinkId
  )
  if (found === undefined) throw new Error(`no demo outlet ${channelLinkId}: ${outlets.text}`)
  return found.outletId
}

/** An order body for the outlet, priced as the partner prices it. */
export const demoOrder = async (api: DemoApi, outletId: string, refCode: string) => {
  const menu = await api("GET", `/api/v1/outlets/${outletId}/menu`)
  if (menu.status !== 200) throw new Error(`the menu of ${outletId} answered ${menu.status}: ${menu.text}`)
  const products = (menu.json["menus"] as Array<{ sections: Array<{ products: Array<Product> }> }>)
    .flatMap((m) => m.sections.flatMap((s) => s.products))
    .filter((p) => p.available)
  const chosen = [...new Map(products.map((p) => [p.productId, p])).values()].slice(0, 2)
  if (chosen.length < 2) throw new Error(`fewer than two available products on ${outletId}: ${menu.text}`)
  const items = chosen.map((product, index) => {
    const options = product.modifierGroups
      .filter((group) => group.min > 0)
      .map((group) => group.options.find((o) => o.available)!)
    return {
      product,
      options,
      body: {
        productId: product.productId,
        quantity: index + 1,
        ...(options.length === 0 ? {} : { modifiers: options.map((o) => ({ optionId: o.optionId })) })
      }
    }
  })
  const amount = items.reduce(
    (sum, item) =>
      sum + item.body.quantity * (item.product.price.amount + item.options.reduce((s, o) => s + o.price.amount, 0)),
    0
  )
  return {
    refCode,
    outletId,
    fulfilment: { type: "PICKUP" },
    customer: { name: "Mei Ling", phone: "+6591234567" },
    items: items.map((item) => item.body),
    payment: { status: "PAID", amount, method: "card" }
  }
}
