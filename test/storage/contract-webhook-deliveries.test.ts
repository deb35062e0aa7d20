import { storageAdapters } from "../support/storage-adapters.ts"
import { webhookDeliveriesContract } from "./webhook-deliveries-contract.ts"

// Partner webhook events and deliveries, on every storage adapter (PostgreSQL when DATABASE_URL is
// set; contract-postgres.test.ts reports a skip).
for (const adapter of storageAdapters()) {
  if (!adapter.available) continue
  webhookDeliveriesContract(adapter.name, adapter.layer)
}
