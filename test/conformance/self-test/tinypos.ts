/**
 * Fixtures of TinyPOS, the example plugin (test/fixtures/example-plugin): its vendor formats, an
 * authentic webhook, sample credentials and a fake of its API on loopback. The outside-plugin test
 * runs the kit on TinyPOS with them; the kit's own tests break TinyPOS on purpose and expect the
 * kit to notice.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { makeWebhookRequest } from "@pos-integration/sdk"
import type plugin from "../../fixtures/example-plugin/index.ts"
import type { ConformanceFixtures, FakeServer } from "../fixtures.ts"

export type TinyPosCredentials = Parameters<typeof plugin.verifyWebhook>[1]
type Outlet = NonNullable<TinyPosCredentials["outlet"]>
type Account = NonNullable<TinyPosCredentials["account"]>

export const catalog = {
  shop: "S1",
  items: [
    { code: "A1", title: "Espresso", cents: 250, taxPercent: 9, extras: ["X1", "X2"] },
    { code: "A2", title: "Croissant", cents: 320, taxPercent: 8.875, soldOut: true }
  ],
  extras: [
    { code: "X1", title: "Oat milk", cents: 40 },
    { code: "X2", title: "Extra shot", cents: 60, soldOut: true }
  ],
  groups: [
    { title: "Coffee", items: ["A1"] },
    { title: "Bakery", items: ["A2"] }
  ]
}
export const shops = { merchant: "M1", shops: [{ code: "S1", title: "Canal Street", currency: "EUR" }] }
export const webhookToken = "tinypos-token-1"
export const apiToken = "tinypos-api-token-1"
export const credentials: TinyPosCredentials = {
  outlet: { webhookToken },
  account: { apiUrl: "https://api.tinypos.example/v1", apiToken }
}
export const webhook = (payload: unknown, token = webhookToken) =>
  makeWebhookRequest({
    url: "https://acme.pos.example/api/v1/pos/tinypos/webhooks",
    headers: { "content-type": "application/json", "x-tinypos-token": token },
    body: JSON.stringify(payload)
  })

/**
 * A fake TinyPOS API on loopback: GET /v1/shops and GET /v1/shops/S1/menu with the right bearer
 * token; 401 without it, 404 for anything else. `menu` may be replaced to answer another body.
 */
export const fakeTinyPos = (answers: { readonly shops?: string; readonly menu?: string } = {}): Promise<FakeServer> =>
  new Promise((resolveServer) => {
    const server = createServer((request, response) => {
      const answer = (status: number, body: string) => {
        response.writeHead(status, { "content-type": "application/json" })
        response.end(body)
      }
      if (request.headers.authorization !== `Bearer ${apiToken}`) return answer(401, '{"error":"unauthorized"}')
      if (request.method === "GET" && request.url === "/v1/shops")
        return answer(200, answers.shops ?? JSON.stringify(shops))
      if (request.method === "GET" && request.url === "/v1/shops/S1/menu") {
        return answer(200, answers.menu ?? JSON.stringify(catalog))
      }
      answer(404, '{"error":"not found"}')
    })
    server.listen(0, "127.0.0.1", () => {
      resolveServer({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })

/** The kit's fixtures for TinyPOS. */
export const tinyPosFixtures: ConformanceFixtures<Outlet, Account> = {
  outlets: [{ name: "one shop of merchant M1", payload: shops, expectedExternalIds: ["S1"] }],
  catalogs: [
    {
      name: "two items with extras, some sold out",
      payload: catalog,
      context: { externalOutletId: null, currency: null },
      expected: { outletIds: ["S1"], products: 2, modifierGroups: 1, modifierOptions: 2, menus: 1 }
    }
  ],
  foreignCatalogs: [{ name: "a Lightspeed-like menu", payload: { menuName: "x", menuEntryGroups: [] } }],
  webhooks: [
    {
      name: "sold out",
      request: webhook({ shop: "S1", event: "sold-out", items: ["A1"] }),
      credentials,
      expectedEvents: 1,
      subject: { _tag: "Outlet", externalOutletId: "S1" }
    },
    {
      name: "menu changed, with the shop's token only",
      request: webhook({ shop: "S1", event: "menu-changed", items: [] }),
      credentials: { outlet: { webhookToken }, account: null },
      expectedEvents: 1
    }
  ],
  credentials,
  webhookAuth: "token",
  pull: {
    start: () => fakeTinyPos(),
    credentials: (url) => ({ outlet: { webhookToken }, account: { apiUrl: `${url}/v1`, apiToken } }),
    accountId: "M1",
    expectedOutletIds: ["S1"],
    catalogOutlet: { externalId: "S1", identifiers: { shop: "S1" } },
    expected: { products: 2, modifierGroups: 1, modifierOptions: 2, menus: 1 }
  }
}
