import { describe, it } from "vitest"
import { layerScratchPostgres } from "../support/storage-adapters.ts"
import { storageHelpers } from "./contract.ts"
import { concurrencyContract } from "./customer-loyalty-contract.ts"

/**
 * The contract suites run with one connection per tenant, so their races run one at a time. Here
 * the same races run on PostgreSQL with eight connections per tenant, where they are real: the
 * advisory locks, row locks and unique inserts are what keep them right.
 */
const url = process.env["DATABASE_URL"]
if (url !== undefined && url !== "") {
  describe("races on PostgreSQL with a pool of 8", () => {
    concurrencyContract(storageHelpers("PostgreSQL (pool 8)", () => layerScratchPostgres(url, 8)))
  })
} else {
  describe("races on PostgreSQL with a pool of 8", () => {
    it.skip("SKIPPED: DATABASE_URL is not set", () => {})
  })
}
