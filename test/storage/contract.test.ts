import { describe, it } from "vitest"
import { storageAdapters } from "../support/storage-adapters.ts"
import { tenantStatusMigration } from "./admin-contract.ts"
import { storageContract } from "./contract.ts"

// The repositories' contract on every storage adapter. It is spread over three files (this one,
// contract-secrets.test.ts and contract-orders-admin.test.ts) so the two workers share it.
for (const adapter of storageAdapters()) {
  if (adapter.available) storageContract(adapter.name, adapter.layer)
  else {
    describe(`storage contract: ${adapter.name}`, () => {
      it.skip("SKIPPED: DATABASE_URL is not set, so this adapter was not tested", () => {})
    })
    console.warn(`storage contract: ${adapter.name} SKIPPED (DATABASE_URL is not set)`)
  }
}

tenantStatusMigration()
