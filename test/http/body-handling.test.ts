import { describe, it } from "vitest"
import { storageAdapters } from "../support/storage-adapters.ts"
import { bodySuite } from "./support/body-suite.ts"

for (const adapter of storageAdapters()) {
  if (adapter.available) bodySuite(adapter.name, adapter.layer)
  else describe(`bodySuite (${adapter.name})`, () => it.skip("SKIPPED: DATABASE_URL is not set", () => {}))
}
