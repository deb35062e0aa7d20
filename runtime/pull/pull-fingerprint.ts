import { createHash } from "node:crypto"
import { type PluginManifest, SDK_VERSION } from "@pos-integration/sdk"
import { canonicalJson } from "../../domain/canonical-json.ts"
import type { CatalogSnapshot } from "../../domain/catalog.ts"
import packageJson from "../../package.json" with { type: "json" }

/**
 * What identifies a pulled catalog exactly: the plugin and its version (a new version may map the
 * same vendor answer differently), the SDK and service versions, the outlet, and the snapshot's
 * canonical JSON (so that the order of the vendor's fields makes no difference). Marked as a pull,
 * it never equals a push's fingerprint (those hash the received bytes).
 */
export const pullFingerprint = (
  manifest: PluginManifest,
  externalOutletId: string,
  snapshot: CatalogSnapshot
): string =>
  createHash("sha256")
    .update(`pull|${manifest.id}@${manifest.version}|sdk${SDK_VERSION}|${packageJson.version}|${externalOutletId}|`)
    .update(canonicalJson(snapshot))
    .digest("hex")
