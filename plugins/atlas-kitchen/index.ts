import { manifestFrom, type PluginManifest, type PosPlugin, unsupported } from "@pos-integration/sdk"
import pkg from "./package.json" with { type: "json" }
import { decodeCatalog } from "./src/catalog.ts"
import { Credentials } from "./src/credentials.ts"
import { decodeOutlets } from "./src/outlets.ts"
import { decodeWebhook, verifyWebhook, webhookOutlet } from "./src/webhooks.ts"

export type { Credentials } from "./src/credentials.ts"

/**
 * Read from package.json, so the manifest the runtime validates and the package never differ, and
 * checked when the module loads.
 */
const manifest: PluginManifest = manifestFrom(pkg.manifest)

/**
 * Atlas Kitchen: outlets from the storefront `GET /channel`, the catalog from the Admin API's
 * `GET /menus/{menu_id}`, and Atlas's outgoing webhooks authenticated by a per-outlet token.
 */
const plugin: PosPlugin<Credentials> = {
  manifest,
  credentials: Credentials,
  decodeOutlets,
  decodeCatalog,
  // Atlas menus are pulled, not pushed with a callback: there is nothing to acknowledge.
  acknowledgeCatalog: () => unsupported("acknowledgeCatalog"),
  submitOrder: () => unsupported("submitOrder"),
  cancelOrder: () => unsupported("cancelOrder"),
  webhookOutlet,
  verifyWebhook,
  decodeWebhook
}

export default plugin
