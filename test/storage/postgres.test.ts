import { Redacted } from "effect"
import { describe, it } from "vitest"
import { layerPostgresStorage } from "../../adapters/storage/postgres/postgres-storage.ts"
import { storageContract } from "./contract.ts"

const url = process.env["DATABASE_URL"]

if (url === undefined || url === "") {
  describe("storage contract: PostgreSQL", () => {
    it.skip("SKIPPED: DATABASE_URL is not set, so the PostgreSQL adapter was not tested", () => {})
  })
  console.warn("storage contract: PostgreSQL SKIPPED (DATABASE_URL is not set)")
} else {
  // Each tenant pool capped at one connection: the suite must pass without more.
  storageContract("PostgreSQL", () => layerPostgresStorage({ url: Redacted.make(url), tenantPoolSize: 1 }))
}
