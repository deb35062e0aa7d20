/**
 * The Lightspeed Restaurant (K-Series) POS plugin: business locations as outlets, menu loads as
 * catalogs, order notifications as webhooks. Orders are not implemented yet (see the manifest).
 */
import { PluginManifest, type PosPlugin, UnsupportedOperation } from "@pos-integration/sdk"
import { Effect, Schema } from "effect"
import pkg from "./package.json" with { type: "json" }
import { decodeCatalog } from "./src/catalog.ts"
import { type Credentials, Credentials as CredentialsSchema } from "./src/credentials.ts"
import { decodeOutlets } from "./src/outlets.ts"
import { verifyWebhook } from "./src/webhook-auth.ts"
import { decodeWebhook, webhookOutlet } from "./src/webhooks.ts"

export type { Credentials } from "./src/credentials.ts"

const plugin: PosPlugin<Credentials> = {
  // Read from package.json so the manifest the runtime validates and the one the code declares never differ.
  manifest: Schema.decodeUnknownSync(PluginManifest)(pkg.manifest),
  credentials: CredentialsSchema,
  decodeOutlets,
  decodeCatalog,
  // Lightspeed's menu load is pulled, not pushed: there is no sync callback to answer.
  acknowledgeCatalog: () => Effect.fail(new UnsupportedOperation({ operation: "acknowledgeCatalog" })),
  submitOrder: () => Effect.fail(new UnsupportedOperation({ operation: "submitOrder" })),
  cancelOrder: () => Effect.fail(new UnsupportedOperation({ operation: "cancelOrder" })),
  webhookOutlet,
  verifyWebhook,
  decodeWebhook
}

export default plugin
