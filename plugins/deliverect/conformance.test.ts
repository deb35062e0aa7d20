import { type ConformanceFixtures, conformanceSuite } from "@pos-integration/plugin-conformance"
import { startFakeDeliverect } from "./fake-deliverect.ts"
import { fixtures, marinaBay, marinaBayAccount, marinaBayOrder, outletCredentials } from "./fixtures/index.ts"
import plugin from "./index.ts"
import type { AccountCredentials, OutletCredentials } from "./src/credentials.ts"

type OrderFixture = NonNullable<ConformanceFixtures<OutletCredentials, AccountCredentials>["orders"]>

/**
 * Orders against the fake Deliverect Channel API: a token from its /oauth/token, then the order
 * (or its cancellation) to /{channelName}/order/{channelLinkId}, answered as the kit asks.
 * Deliverect answers an order with `201 {}`, without its own order id (that comes with the order
 * status webhooks), and a channelOrderId it already has the same way.
 */
const orders: OrderFixture = {
  start: async (answer) => {
    const deliverect = await startFakeDeliverect({ orders: answer })
    return {
      url: deliverect.url,
      close: deliverect.close,
      orderRequests: deliverect.orderRequests,
      orderBodies: deliverect.orderBodies
    }
  },
  credentials: (url) => ({ outlet: { ...outletCredentials, baseUrl: url }, account: null }),
  outlet: { externalId: marinaBay, identifiers: { channelLinkId: marinaBay } },
  accountId: marinaBayAccount,
  order: marinaBayOrder,
  posOrderId: null,
  duplicateAnswer: "like-success"
}

conformanceSuite(plugin, { ...fixtures, webhookAuth: "signature", orders })
