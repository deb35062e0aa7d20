import { describe, it } from "vitest"
import { storageAdapters } from "../support/storage-adapters.ts"
import { envelopeSuite } from "./support/envelope-suite.ts"

for (const adapter of storageAdapters()) {
  if (adapter.available) envelopeSuite(adapter.name, adapter.layer)
  else describe(`envelopeSuite (${adapter.name})`, () => it.skip("SKIPPED: DATABASE_URL is not set", () => {}))
}
