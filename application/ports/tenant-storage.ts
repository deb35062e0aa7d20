import { Context, type Effect, type Layer } from "effect"
import type { StorageError } from "../../domain/errors.ts"
import type { Tenant } from "../../domain/tenant.ts"
import type { ApiKeys } from "./api-keys.ts"
import type { Catalog, Outlets, SyncHistory } from "./catalog.ts"
import type { Customers } from "./customers.ts"
import type { Idempotency } from "./idempotency.ts"
import type { LoyaltyLedger } from "./loyalty-ledger.ts"
import type { Menus } from "./menus.ts"
import type { OAuthClients } from "./oauth.ts"
import type { Orders } from "./orders.ts"
import type { PosCredentialStore } from "./pos-credentials.ts"
import type { PosInbox } from "./pos-inbox.ts"
import type { WebhookDeliveries } from "./webhook-deliveries.ts"
import type { WebhookEndpoints } from "./webhook-endpoints.ts"

/** Everything a request may use of one tenant's own database. */
export type TenantRepositories =
  | ApiKeys
  | OAuthClients
  | Outlets
  | Catalog
  | SyncHistory
  | Customers
  | Idempotency
  | LoyaltyLedger
  | PosCredentialStore
  | PosInbox
  | Menus
  | Orders
  | WebhookEndpoints
  | WebhookDeliveries

/**
 * Opens tenants' databases. `provision` creates and migrates a new tenant's database or schema;
 * `open` builds the tenant's repositories (lazily connected; the runtime caches the layer per tenant).
 */
export class TenantStorage extends Context.Service<
  TenantStorage,
  {
    readonly provision: (tenant: Tenant) => Effect.Effect<void, StorageError>
    readonly open: (tenant: Tenant) => Layer.Layer<TenantRepositories, StorageError>
  }
>()("pos/application/TenantStorage") {}
