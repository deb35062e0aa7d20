import { describe, it } from "vitest"
import { storageAdapters } from "../support/storage-adapters.ts"
import { oauthSuite } from "./oauth-suite.ts"

for (const adapter of storageAdapters()) {
  if (adapter.available) oauthSuite(adapter.name, adapter.layer)
  else describe(`OAuth 2.0 (${adapter.name})`, () => it.skip("SKIPPED: DATABASE_URL is not set", () => {}))
}
