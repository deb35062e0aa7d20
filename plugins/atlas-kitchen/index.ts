import { manifestFrom, type PluginManifest, type PosPlugin, unsupported } from "@pos-integration/sdk"
import pkg from "./package.json" with { type: "json" }
import { decodeCatalog } from "./src/catalog.ts"
import { AccountCredentials, OutletCredentials } from "./src/credentials.ts"
import { submitOrder } from "./src/orders.ts"
import { decodeOutlets } from "./src/outlets.ts"
import { fetchCatalog, fetchOutlets } from "./src/pull.ts"
import { decodeWebhook, verifyWebhook, webhookOutlet } from "./src/webhooks.ts"

export type { AccountCredentials, OutletCredentials } from "./src/credentials.ts"

/**
 * Read from package.json, so the manifest the runtime validates and the package never differ, and
 * checked when the module loads.
 */
const manifest: PluginManifest = manifestFrom(pkg.manifest)

/**
 * Atlas Kitchen: outlets from the storefront `GET /channel`, menus from the Admin API's
 * `GET /menus/{menu_id}` (pushed, or pulled with the merchant's Admin API key), orders created with
 * the Admin API's `POST /outlets/{outlet_id}/channels/{channel_id}/orders` in the channel's prices,
 * and Atlas's outgoing webhooks authenticated by the token of the outlet or of its merchant.
 */
const plugin: PosPlugin<OutletCredentials, AccountCredentials> = {
  manifest,
  credentials: { outlet: OutletCredentials, account: AccountCredentials },
  decodeOutlets,
  decodeCatalog,
  // Atlas menus are pulled, not pushed with a callback: there is nothing to acknowledge.
  acknowledgeCatalog: () => unsupported("acknowledgeCatalog"),
  submitOrder,
  // Atlas documents no way to cancel an order through its API (see the README): cancellations are
  // made at the outlet.
  cancelOrder: () => unsupported("cancelOrder"),
  webhookOutlet,
  verifyWebhook,
  decodeWebhook,
  pull: { fetchOutlets, fetchCatalog }
}

export default plugin
