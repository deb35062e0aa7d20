import { storageAdapters } from "../support/storage-adapters.ts"
import { credentialsContract } from "./credentials-contract.ts"
import { oauthContract, sealedSigningKeysContract } from "./oauth-contract.ts"
import { sealedWebhookSecretsContract, webhookEndpointsContract } from "./webhook-endpoints-contract.ts"

// The stores that keep secrets (POS credentials, OAuth clients and signing keys, webhook endpoints),
// on every storage adapter (PostgreSQL when DATABASE_URL is set; contract-postgres.test.ts reports a skip).
for (const adapter of storageAdapters()) {
  if (!adapter.available) continue
  credentialsContract(adapter.name, adapter.layer)
  oauthContract(adapter.name, adapter.layer)
  webhookEndpointsContract(adapter.name, adapter.layer)
  if (adapter.name !== "memory") {
    sealedSigningKeysContract(adapter.name)
    sealedWebhookSecretsContract(adapter.name)
  }
}
