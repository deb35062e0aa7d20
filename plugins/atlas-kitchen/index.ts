import { type PluginManifest, type PosPlugin, UnsupportedOperation } from "@pos-integration/sdk"
import { Effect } from "effect"
import pkg from "./package.json" with { type: "json" }
import { decodeCatalog } from "./src/catalog.ts"
import { Credentials } from "./src/credentials.ts"
import { decodeOutlets } from "./src/outlets.ts"
import { decodeWebhook, verifyWebhook, webhookOutlet } from "./src/webhooks.ts"

export type { Credentials } from "./src/credentials.ts"

/**
 * Read from package.json, so the manifest the runtime validates and the package never differ. JSON
 * imports type `capabilities` as string[]: the runtime's validation (and plugin.test.ts) checks it.
 */
const manifest: PluginManifest = pkg.manifest as PluginManifest

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
  acknowledgeCatalog: () => Effect.fail(new UnsupportedOperation({ operation: "acknowledgeCatalog" })),
  submitOrder: () => Effect.fail(new UnsupportedOperation({ operation: "submitOrder" })),
  cancelOrder: () => Effect.fail(new UnsupportedOperation({ operation: "cancelOrder" })),
  webhookOutlet,
  verifyWebhook,
  decodeWebhook
}

export default plugin
