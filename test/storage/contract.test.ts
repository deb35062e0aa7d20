import { describe, it } from "vitest"
import { storageAdapters } from "../support/storage-adapters.ts"
import { adminContract, tenantStatusMigration } from "./admin-contract.ts"
import { storageContract } from "./contract.ts"
import { credentialsContract } from "./credentials-contract.ts"
import { oauthContract, sealedSigningKeysContract } from "./oauth-contract.ts"
import { ordersContract } from "./orders-contract.ts"
import { sealedWebhookSecretsContract, webhookEndpointsContract } from "./webhook-endpoints-contract.ts"

for (const adapter of storageAdapters()) {
  if (adapter.available) storageContract(adapter.name, adapter.layer)
  else {
    describe(`storage contract: ${adapter.name}`, () => {
      it.skip("SKIPPED: DATABASE_URL is not set, so this adapter was not tested", () => {})
    })
    console.warn(`storage contract: ${adapter.name} SKIPPED (DATABASE_URL is not set)`)
  }
}

for (const adapter of storageAdapters()) if (adapter.available) credentialsContract(adapter.name, adapter.layer)

for (const adapter of storageAdapters()) if (adapter.available) ordersContract(adapter.name, adapter.layer)

for (const adapter of storageAdapters()) if (adapter.available) adminContract(adapter.name, adapter.layer)

for (const adapter of storageAdapters()) {
  if (!adapter.available) continue
  oauthContract(adapter.name, adapter.layer)
  if (adapter.name !== "memory") sealedSigningKeysContract(adapter.name)
}

for (const adapter of storageAdapters()) {
  if (!adapter.available) continue
  webhookEndpointsContract(adapter.name, adapter.layer)
  if (adapter.name !== "memory") sealedWebhookSecretsContract(adapter.name)
}

tenantStatusMigration()
