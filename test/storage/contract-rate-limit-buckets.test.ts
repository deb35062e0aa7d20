import { Layer } from "effect"
import { layerMemoryRateLimitBuckets } from "../../adapters/storage/memory/memory-rate-limit-buckets.ts"
import { layerPgliteStorage } from "../../adapters/storage/pglite/pglite-storage.ts"
import { pgliteTemplate } from "../support/pglite-template.ts"
import { layerScratchPostgres } from "../support/storage-adapters.ts"
import { rateLimitBucketsContract } from "./rate-limit-buckets-contract.ts"

// The rate limits' buckets: in memory (the embedded default), and in the control database's table,
// on PGlite and on PostgreSQL (when DATABASE_URL is set; contract-postgres.test.ts reports a skip).
rateLimitBucketsContract("memory", () => layerMemoryRateLimitBuckets, { shared: false })
rateLimitBucketsContract(
  "PGlite (the table)",
  () =>
    Layer.fresh(
      layerPgliteStorage({
        dataDir: undefined,
        tenantPoolSize: 1,
        rateLimitBuckets: "shared",
        template: pgliteTemplate()
      })
    ),
  { shared: true }
)
const url = process.env["DATABASE_URL"]
if (url !== undefined && url !== "") {
  rateLimitBucketsContract("PostgreSQL", () => layerScratchPostgres(url), { shared: true })
}
