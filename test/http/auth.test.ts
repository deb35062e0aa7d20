import { describe, it } from "vitest"
import { storageAdapters } from "../support/storage-adapters.ts"
import { authSuite } from "./support/auth-suite.ts"

for (const adapter of storageAdapters()) {
  if (adapter.available) authSuite(adapter.name, adapter.layer)
  else describe(`authSuite (${adapter.name})`, () => it.skip("SKIPPED: DATABASE_URL is not set", () => {}))
}
