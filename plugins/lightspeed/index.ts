/**
 * The Lightspeed Restaurant (K-Series) POS plugin: business locations as outlets, menu loads as
 * catalogs, order notifications as webhooks. Orders are not implemented yet (see the manifest).
 */
import { manifestFrom, type PosPlugin, unsupported } from "@pos-integration/sdk"
import pkg from "./package.json" with { type: "json" }
import { decodeCatalog } from "./src/catalog.ts"
import { type Credentials, Credentials as CredentialsSchema } from "./src/credentials.ts"
import { decodeOutlets } from "./src/outlets.ts"
import { verifyWebhook } from "./src/webhook-auth.ts"
import { decodeWebhook, webhookOutlet } from "./src/webhooks.ts"

export type { Credentials } from "./src/credentials.ts"

const plugin: PosPlugin<Credentials> = {
  // Read from package.json so the manifest the runtime validates and the one the code declares never differ.
  manifest: manifestFrom(pkg.manifest),
  credentials: CredentialsSchema,
  decodeOutlets,
  decodeCatalog,
  // Lightspeed's menu load is pulled, not pushed: there is no sync callback to answer.
  acknowledgeCatalog: () => unsupported("acknowledgeCatalog"),
  submitOrder: () => unsupported("submitOrder"),
  cancelOrder: () => unsupported("cancelOrder"),
  webhookOutlet,
  verifyWebhook,
  decodeWebhook
}

export default plugin
