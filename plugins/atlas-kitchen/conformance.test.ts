import { conformanceSuite, type OrderFixture, type PullFixture } from "@pos-integration/plugin-conformance"
import { startFakeAtlas } from "./fake-atlas.ts"
import { accountCredentials, fixtures, outletCredentials, pullFixtures } from "./fixtures/index.ts"
import { deliveryOrder } from "./fixtures/orders.ts"
import plugin from "./index.ts"
import type { AccountCredentials, OutletCredentials } from "./src/credentials.ts"

/**
 * Pull from the fake Atlas (Admin API under /admin/v1, storefront under /storefronts/v1), whose
 * menus are on sale around the real today: the kit runs on the real clock.
 */
const pull: PullFixture<OutletCredentials, AccountCredentials> = {
  start: async () => {
    const atlas = await startFakeAtlas()
    return { url: atlas.url, close: atlas.close }
  },
  credentials: (url) => ({
    outlet: outletCredentials,
    account: { ...accountCredentials, adminBaseUrl: `${url}/admin/v1`, storefrontBaseUrl: `${url}/storefronts/v1` }
  }),
  accountId: accountCredentials.merchantId,
  expectedOutletIds: pullFixtures.expectedOutletIds,
  catalogOutlet: { externalId: "1", identifiers: { outletId: "1" } },
  expected: {
    products: pullFixtures.expected.products,
    modifierGroups: pullFixtures.expected.modifierGroups,
    modifierOptions: pullFixtures.expected.modifierOptions,
    menus: pullFixtures.expected.menus
  }
}

/**
 * Orders against the fake Atlas forced to answer each order request one way: its first order id
 * (85) is what it answers for a created order and for the one it already has.
 */
const orders: OrderFixture<OutletCredentials, AccountCredentials> = {
  start: async (answer) => {
    const atlas = await startFakeAtlas({ orderAnswer: answer })
    return { url: atlas.url, close: atlas.close, orderRequests: atlas.orderRequests, orderBodies: atlas.orderBodies }
  },
  credentials: (url) => ({
    outlet: outletCredentials,
    account: { ...accountCredentials, adminBaseUrl: `${url}/admin/v1`, storefrontBaseUrl: `${url}/storefronts/v1` }
  }),
  outlet: { externalId: "1", identifiers: { outletId: "1" } },
  accountId: accountCredentials.merchantId,
  order: deliveryOrder,
  posOrderId: "85"
}

conformanceSuite(plugin, { ...fixtures, webhookAuth: "token", pull, orders })
