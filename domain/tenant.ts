import { type Redacted, Schema } from "effect"
import type { RateLimits } from "./rate-limit.ts"

/** A tenant's id is its host label: lower-case, at most 56 characters, so `tenant_<id>` fits a PostgreSQL name. */
export const TenantIdPattern = /^[a-z0-9][a-z0-9-]{0,55}$/

export const TenantId = Schema.String.pipe(Schema.check(Schema.isPattern(TenantIdPattern)), Schema.brand("TenantId"))
export type TenantId = typeof TenantId.Type

/** A suspended tenant's partners get the unknown tenant's 401; its data is kept. */
export const TenantStatus = Schema.Literals(["active", "suspended"])
export type TenantStatus = typeof TenantStatus.Type

/** ISO 3166-1 alpha-2 country code: the default region for phone numbers. */
export const CountryCode = Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Z]{2}$/)))

/** ISO 4217 currency code. */
export const CurrencyCode = Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Z]{3}$/)))

export const isCountryCode = Schema.is(CountryCode)
export const isCurrencyCode = Schema.is(CurrencyCode)

/**
 * Where a tenant's data lives: its own database (a URL) or a schema of the control database.
 * The URL may carry a password, so it is never returned by the API.
 */
export interface TenantLocator {
  readonly databaseUrl: string | null
  readonly schema: string
}

export interface Tenant {
  readonly id: TenantId
  readonly name: string
  readonly status: TenantStatus
  readonly country: string
  readonly timezone: string
  readonly currency: string
  readonly locator: TenantLocator
  readonly loyaltyUrl: string | null
  /**
   * The loyalty-service credential: a secret, stored and forwarded, never returned. Redacted, so a
   * tenant printed or logged by mistake does not show it.
   */
  readonly loyaltyCredential: Redacted.Redacted<string> | null
  /**
   * Whether prices include tax where an outlet's POS does not say (operators set it; by default
   * they do, as consumer prices do in most of the world outside North America).
   */
  readonly taxInclusive: boolean
  /** The tax rate an order line takes when neither its product nor its outlet gives one; null: none. */
  readonly taxRatePpm: number | null
  /** The tenant's rate limits, set by operators; none by default. */
  readonly rateLimits: RateLimits
  readonly createdAt: Date
}

/** The schema that holds a tenant's tables when it has no database of its own. */
export const tenantSchemaName = (id: TenantId): string => `tenant_${id.replaceAll("-", "_")}`

export const isTenantId = Schema.is(TenantId)
