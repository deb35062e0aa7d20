import { conformanceSuite, type PullFixture } from "@pos-integration/plugin-conformance"
import { startFakeAtlas } from "./fake-atlas.ts"
import { accountCredentials, fixtures, outletCredentials, pullFixtures } from "./fixtures/index.ts"
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

conformanceSuite(plugin, { ...fixtures, webhookAuth: "token", pull })
