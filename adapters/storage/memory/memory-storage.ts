import { Context, Effect, Layer } from "effect"
import { AdminKeys, AuditLog } from "../../../application/ports/admin.ts"
import { ApiKeys } from "../../../application/ports/api-keys.ts"
import { Catalog, Outlets, SyncHistory } from "../../../application/ports/catalog.ts"
import { Customers } from "../../../application/ports/customers.ts"
import { Idempotency } from "../../../application/ports/idempotency.ts"
import { LoyaltyLedger } from "../../../application/ports/loyalty-ledger.ts"
import { Menus } from "../../../application/ports/menus.ts"
import { OAuthClients, SigningKeys } from "../../../application/ports/oauth.ts"
import { OrderDueIndex } from "../../../application/ports/order-due-index.ts"
import { Orders } from "../../../application/ports/orders.ts"
import { PosCredentialStore } from "../../../application/ports/pos-credentials.ts"
import { PosInbox } from "../../../application/ports/pos-inbox.ts"
import { PullSchedules } from "../../../application/ports/pull-schedules.ts"
import { DatabaseUsage } from "../../../application/ports/database-usage.ts"
import { RateLimitBuckets } from "../../../application/ports/rate-limit-buckets.ts"
import type { StorageServices } from "../../../application/ports/storage-services.ts"
import { TenantDirectory } from "../../../application/ports/tenant-directory.ts"
import { TenantStorage } from "../../../application/ports/tenant-storage.ts"
import { WebhookDeliveries } from "../../../application/ports/webhook-deliveries.ts"
import { WebhookEndpoints } from "../../../application/ports/webhook-endpoints.ts"
import type { ApiKeyRecord } from "../../../domain/api-key.ts"
import { AlreadyExists, NotFound } from "../../../domain/errors.ts"
import { noRateLimits } from "../../../domain/rate-limit.ts"
import type { Tenant, TenantId } from "../../../domain/tenant.ts"
import { ephemeralKeyRing, makeCredentialSealer } from "../../crypto/credential-sealer.ts"
import { makeMemoryAdminKeys, makeMemoryAuditLog } from "./memory-admin.ts"
import {
  type CatalogTables,
  makeCatalogTables,
  makeMemoryCatalog,
  makeMemoryOutlets,
  makeMemorySyncHistory,
  type TenantEventSink
} from "./memory-catalog.ts"
import { type CustomerTable, makeCustomerTable, makeMemoryCustomers } from "./memory-customers.ts"
import {
  type LoyaltyTables,
  makeLoyaltyTables,
  makeMemoryIdempotency,
  makeMemoryLoyaltyLedger
} from "./memory-loyalty.ts"
import { type MenuTables, makeMemoryMenus, makeMenuTables } from "./memory-menus.ts"
import {
  makeMemoryOAuthClients,
  makeMemorySigningKeys,
  makeOAuthClientTable,
  type OAuthClientTable
} from "./memory-oauth.ts"
import { makeMemoryOrderDueIndex } from "./memory-order-due-index.ts"
import { makeMemoryOrders, makeOrderTables, type OrderTables } from "./memory-orders.ts"
import { type CredentialTables, makeCredentialTables, makeMemoryPosCredentials } from "./memory-pos-credentials.ts"
import { type InboxTables, makeInboxTables, makeMemoryPosInbox } from "./memory-pos-inbox.ts"
import { makeMemoryPullSchedules } from "./memory-pull-schedules.ts"
import { makeMemoryRateLimitBuckets } from "./memory-rate-limit-buckets.ts"
import {
  emitMemoryEvent,
  makeMemoryWebhookDeliveries,
  makeWebhookDeliveryTables,
  type WebhookDeliveryTables
} from "./memory-webhook-deliveries.ts"
import {
  makeMemoryWebhookEndpoints,
  makeWebhookEndpointTable,
  type WebhookEndpointTable
} from "./memory-webhook-endpoints.ts"

/** One tenant's data in memory: what its own database would hold. */
interface TenantState {
  readonly keys: Map<number, ApiKeyRecord>
  nextKeyId: number
  readonly oauthClients: OAuthClientTable
  readonly catalog: CatalogTables
  readonly inbox: InboxTables
  readonly customers: CustomerTable
  readonly loyalty: LoyaltyTables
  readonly credentials: CredentialTables
  readonly menus: MenuTables
  readonly orders: OrderTables
  readonly webhookEndpoints: WebhookEndpointTable
  readonly webhookDeliveries: WebhookDeliveryTables
}

/** A tenant-wide webhook event, recorded in the step of the change that raised it. */
const tenantEvent =
  (state: TenantState): TenantEventSink =>
  (event, at) =>
    emitMemoryEvent(state.webhookDeliveries, { ...event, owners: null, at })

const makeApiKeys = (state: TenantState) =>
  ApiKeys.of({
    insert: (key) =>
      Effect.sync(() => {
        const record: ApiKeyRecord = { ...key, id: state.nextKeyId++, revokedAt: null, lastUsedAt: null }
        state.keys.set(record.id, record)
        return record
      }),
    findById: (id) => Effect.sync(() => state.keys.get(id)),
    list: Effect.sync(() => [...state.keys.values()].sort((a, b) => a.id - b.id)),
    liveIds: (at) =>
      Effect.sync(
        () =>
          new Set(
            [...state.keys.values()]
              .filter((key) => key.revokedAt === null && (key.expiresAt === null || key.expiresAt > at))
              .map((key) => key.id)
          )
      ),
    revoke: (id, at) =>
      Effect.sync(() => {
        const key = state.keys.get(id)
        if (key === undefined || key.revokedAt !== null) return key
        const revoked = { ...key, revokedAt: at }
        state.keys.set(id, revoked)
        return revoked
      }),
    expireBy: (id, at) =>
      Effect.sync(() => {
        const key = state.keys.get(id)
        if (key === undefined) return undefined
        const expired = { ...key, expiresAt: key.expiresAt === null || at < key.expiresAt ? at : key.expiresAt }
        state.keys.set(id, expired)
        return expired
      }),
    touch: (id, at) =>
      Effect.sync(() => {
        const key = state.keys.get(id)
        if (key !== undefined) state.keys.set(id, { ...key, lastUsedAt: at })
      })
  })

type MemoryStorage = StorageServices

/** The in-memory storage adapter: the control directory and every tenant's data in one process. */
export const layerMemoryStorage: Layer.Layer<MemoryStorage> = Layer.effectContext(
  Effect.sync(() => {
    const tenants = new Map<TenantId, Tenant>()
    const states = new Map<TenantId, TenantState>()
    // Credentials are sealed under a key of this process: memory storage keeps nothing past it.
    const sealer = makeCredentialSealer(ephemeralKeyRing())
    const stateOf = (id: TenantId) => {
      let state = states.get(id)
      if (state === undefined) {
        const webhookEndpoints = makeWebhookEndpointTable()
        state = {
          keys: new Map(),
          nextKeyId: 1,
          oauthClients: makeOAuthClientTable(),
          catalog: makeCatalogTables(),
          customers: makeCustomerTable(),
          loyalty: makeLoyaltyTables(),
          credentials: makeCredentialTables(),
          inbox: makeInboxTables(),
          menus: makeMenuTables(),
          orders: makeOrderTables(),
          webhookEndpoints,
          webhookDeliveries: makeWebhookDeliveryTables(webhookEndpoints)
        }
        states.set(id, state)
      }
      return state
    }
    const directory = TenantDirectory.of({
      create: (input) =>
        Effect.suspend(() => {
          if (tenants.has(input.id)) return Effect.fail(new AlreadyExists({ resource: "tenant", id: input.id }))
          const tenant: Tenant = {
            ...input,
            loyaltyUrl: null,
            loyaltyCredential: null,
            taxInclusive: true,
            taxRatePpm: null,
            rateLimits: noRateLimits
          }
          tenants.set(input.id, tenant)
          return Effect.succeed(tenant)
        }),
      find: (id) => Effect.sync(() => tenants.get(id)),
      list: Effect.sync(() => [...tenants.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))),
      activeIds: Effect.sync(
        () => new Set([...tenants.values()].filter((tenant) => tenant.status === "active").map((tenant) => tenant.id))
      ),
      setLoyalty: (id, settings) =>
        Effect.suspend(() => {
          const tenant = tenants.get(id)
          if (tenant === undefined) return Effect.fail(new NotFound({ resource: "tenant", id }))
          const updated = { ...tenant, loyaltyUrl: settings.url, loyaltyCredential: settings.credential }
          tenants.set(id, updated)
          return Effect.succeed(updated)
        }),
      setTax: (id, settings) =>
        Effect.suspend(() => {
          const tenant = tenants.get(id)
          if (tenant === undefined) return Effect.fail(new NotFound({ resource: "tenant", id }))
          const updated = { ...tenant, taxInclusive: settings.taxInclusive, taxRatePpm: settings.taxRatePpm }
          tenants.set(id, updated)
          return Effect.succeed(updated)
        }),
      setRateLimits: (id, limits) =>
        Effect.suspend(() => {
          const tenant = tenants.get(id)
          if (tenant === undefined) return Effect.fail(new NotFound({ resource: "tenant", id }))
          const updated = { ...tenant, rateLimits: limits }
          tenants.set(id, updated)
          return Effect.succeed(updated)
        }),
      setStatus: (id, status) =>
        Effect.suspend(() => {
          const tenant = tenants.get(id)
          if (tenant === undefined) return Effect.fail(new NotFound({ resource: "tenant", id }))
          const updated = { ...tenant, status }
          tenants.set(id, updated)
          return Effect.succeed(updated)
        }),
      ping: Effect.void
    })
    const storage = TenantStorage.of({
      provision: (tenant) => Effect.sync(() => void stateOf(tenant.id)),
      open: (tenant) =>
        Layer.succeedContext(
          Effect.runSync(
            Effect.sync(() => {
              const state = stateOf(tenant.id)
              return Context.make(ApiKeys, makeApiKeys(state)).pipe(
                Context.add(OAuthClients, makeMemoryOAuthClients(state.oauthClients)),
                Context.add(Outlets, makeMemoryOutlets(state.catalog)),
                Context.add(Catalog, makeMemoryCatalog(state.catalog)),
                Context.add(SyncHistory, makeMemorySyncHistory(state.catalog, tenantEvent(state))),
                Context.add(Customers, makeMemoryCustomers(state.customers)),
                Context.add(Idempotency, makeMemoryIdempotency(state.loyalty)),
                Context.add(LoyaltyLedger, makeMemoryLoyaltyLedger(state.loyalty)),
                Context.add(PosInbox, makeMemoryPosInbox(state.catalog, state.inbox, tenantEvent(state))),
                Context.add(Menus, makeMemoryMenus(state.menus, state.catalog, tenantEvent(state))),
                Context.add(
                  Orders,
                  makeMemoryOrders(state.orders, (events, owner, at, traceContext) => {
                    for (const event of events) {
                      emitMemoryEvent(state.webhookDeliveries, {
                        ...event,
                        owners: owner === "" ? [] : [owner],
                        at,
                        traceContext
                      })
                    }
                  })
                ),
                Context.add(WebhookEndpoints, makeMemoryWebhookEndpoints(state.webhookEndpoints)),
                Context.add(WebhookDeliveries, makeMemoryWebhookDeliveries(state.webhookDeliveries)),
                Context.add(
                  PosCredentialStore,
                  makeMemoryPosCredentials(state.credentials, sealer, tenant.id, (id) => state.catalog.stores.has(id))
                )
              )
            })
          )
        )
    })
    return Context.make(TenantDirectory, directory).pipe(
      Context.add(TenantStorage, storage),
      Context.add(PullSchedules, makeMemoryPullSchedules()),
      Context.add(OrderDueIndex, makeMemoryOrderDueIndex()),
      Context.add(AdminKeys, makeMemoryAdminKeys()),
      Context.add(AuditLog, makeMemoryAuditLog()),
      Context.add(SigningKeys, makeMemorySigningKeys()),
      Context.add(RateLimitBuckets, makeMemoryRateLimitBuckets()),
      Context.add(DatabaseUsage, { usage: Effect.succeed({ connections: {}, waiting: 0 }) })
    )
  })
)
