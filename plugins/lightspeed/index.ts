/**
 * The Lightspeed Restaurant (K-Series) POS plugin: business locations as outlets, menu loads as
 * catalogs, both pushed or pulled from the API with the business's OAuth tokens, orders submitted as
 * K-Series local or to-go orders, and order notifications as webhooks. K-Series offers no way to
 * cancel an order placed through its API: cancelling is not supported (see the manifest).
 */
import { manifestFrom, type PosPlugin, unsupported } from "@pos-integration/sdk"
import pkg from "./package.json" with { type: "json" }
import { decodeCatalog } from "./src/catalog.ts"
import { AccountCredentials, OutletCredentials } from "./src/credentials.ts"
import { makeSubmitOrder } from "./src/orders.ts"
import { decodeOutlets } from "./src/outlets.ts"
import { makePull } from "./src/pull.ts"
import { verifyWebhook } from "./src/webhook-auth.ts"
import { decodeWebhook, webhookOutlet } from "./src/webhooks.ts"

export type { AccountCredentials, OutletCredentials } from "./src/credentials.ts"
export { defaultOrderOptions, makeSubmitOrder, type OrderOptions } from "./src/orders.ts"
export { makePull } from "./src/pull.ts"

const plugin: PosPlugin<OutletCredentials, AccountCredentials> = {
  // Read from package.json so the manifest the runtime validates and the one the code declares never differ.
  manifest: manifestFrom(pkg.manifest),
  // The business holds the OAuth client, the tokens and the webhook token; a location holds nothing secret.
  credentials: { outlet: OutletCredentials, account: AccountCredentials },
  decodeOutlets,
  decodeCatalog,
  // Lightspeed's menu load is pulled, not pushed: there is no sync callback to answer.
  acknowledgeCatalog: () => unsupported("acknowledgeCatalog"),
  submitOrder: makeSubmitOrder(),
  // The Order and Pay API has no cancel, void or refund operation: a merchant cancels at the POS,
  // and the CANCELLED notification reports it.
  cancelOrder: () => unsupported("cancelOrder"),
  webhookOutlet,
  verifyWebhook,
  decodeWebhook,
  pull: makePull()
}

export default plugin
