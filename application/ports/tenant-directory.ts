import { Context, type Effect, type Redacted } from "effect"
import type { AlreadyExists, NotFound, StorageError } from "../../domain/errors.ts"
import type { RateLimits } from "../../domain/rate-limit.ts"
import type { Tenant, TenantId, TenantLocator, TenantStatus } from "../../domain/tenant.ts"

export interface NewTenant {
  readonly id: TenantId
  readonly name: string
  readonly status: TenantStatus
  readonly country: string
  readonly timezone: string
  readonly currency: string
  readonly locator: TenantLocator
  readonly createdAt: Date
}

/** A tenant's tax defaults (see Tenant). */
export interface TaxSettings {
  readonly taxInclusive: boolean
  readonly taxRatePpm: number | null
}

export interface LoyaltySettings {
  readonly url: string | null
  readonly credential: Redacted.Redacted<string>
}

/** The tenant directory, kept in the control database. */
export class TenantDirectory extends Context.Service<
  TenantDirectory,
  {
    readonly create: (tenant: NewTenant) => Effect.Effect<Tenant, AlreadyExists | StorageError>
    readonly find: (id: TenantId) => Effect.Effect<Tenant | undefined, StorageError>
    readonly list: Effect.Effect<ReadonlyArray<Tenant>, StorageError>
    /**
     * The ids of the active tenants: small enough to read in full, so the runtime keeps it in memory
     * and refuses a host naming no such tenant without a lookup.
     */
    readonly activeIds: Effect.Effect<ReadonlySet<TenantId>, StorageError>
    readonly setLoyalty: (id: TenantId, settings: LoyaltySettings) => Effect.Effect<Tenant, NotFound | StorageError>
    readonly setTax: (id: TenantId, settings: TaxSettings) => Effect.Effect<Tenant, NotFound | StorageError>
    /** Replaces the tenant's rate limits (an empty object: none). */
    readonly setRateLimits: (id: TenantId, limits: RateLimits) => Effect.Effect<Tenant, NotFound | StorageError>
    /** Suspends (its partners get the unknown tenant's 401; its data stays) or reactivates a tenant. */
    readonly setStatus: (id: TenantId, status: TenantStatus) => Effect.Effect<Tenant, NotFound | StorageError>
    /** Checks the control database answers (readiness). */
    readonly ping: Effect.Effect<void, StorageError>
  }
>()("pos/application/TenantDirectory") {}
