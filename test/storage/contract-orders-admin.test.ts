import { storageAdapters } from "../support/storage-adapters.ts"
import { adminContract } from "./admin-contract.ts"
import { ordersContract } from "./orders-contract.ts"

// Orders and the control database's admin stores, on every storage adapter (PostgreSQL when
// DATABASE_URL is set; contract-postgres.test.ts reports a skip).
for (const adapter of storageAdapters()) {
  if (!adapter.available) continue
  ordersContract(adapter.name, adapter.layer)
  adminContract(adapter.name, adapter.layer)
}
