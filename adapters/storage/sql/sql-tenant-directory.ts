import { Effect, Layer, Option, Redacted, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { TenantDirectory } from "../../../application/ports/tenant-directory.ts"
import { AlreadyExists, NotFound, StorageError } from "../../../domain/errors.ts"
import { noRateLimits, RateLimits } from "../../../domain/rate-limit.ts"
import type { Tenant, TenantId, TenantStatus } from "../../../domain/tenant.ts"
import { type CredentialSealer, purposes } from "../../crypto/credential-sealer.ts"
import { storageFailure, toDate } from "./sql-errors.ts"

interface TenantRow {
  readonly id: string
  readonly name: string
  readonly status: string
  readonly country: string
  readonly timezone: string
  readonly currency: string
  readonly database_url: string | null
  readonly schema_name: string
  readonly loyalty_url: string | null
  readonly loyalty_credential: string | null
  readonly tax_inclusive: boolean
  readonly tax_rate_ppm: unknown
  readonly rate_limits: unknown
  readonly created_at: unknown
}

/** The stored limits, as written by `setRateLimits` (already checked); anything unreadable is none. */
const decodeRateLimits = Schema.decodeUnknownOption(RateLimits)
const rateLimitsOf = (value: unknown): RateLimits => {
  const parsed = typeof value === "string" ? JSON.parse(value) : value
  return Option.getOrElse(decodeRateLimits(parsed ?? {}), () => noRateLimits)
}

const tenantOf = (row: TenantRow, loyaltyCredential: Redacted.Redacted<string> | null): Tenant => ({
  id: row.id as TenantId,
  name: row.name,
  status: row.status as TenantStatus,
  country: row.country,
  timezone: row.timezone,
  currency: row.currency,
  locator: { databaseUrl: row.database_url, schema: row.schema_name },
  loyaltyUrl: row.loyalty_url,
  loyaltyCredential,
  taxInclusive: row.tax_inclusive,
  taxRatePpm: row.tax_rate_ppm === null ? null : Number(row.tax_rate_ppm),
  rateLimits: rateLimitsOf(row.rate_limits),
  createdAt: toDate(row.created_at)
})

/**
 * The tenant directory on the control database's SqlClient. The loyalty credential is sealed at
 * rest; one that cannot be opened (its key left the ring, or it was altered) is logged and read as
 * absent, so the tenant's loyalty calls answer "not configured" while its other requests still work.
 */
export const layerSqlTenantDirectory = (sealer: CredentialSealer) =>
  Layer.effect(
    TenantDirectory,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const toTenant = (row: TenantRow): Effect.Effect<Tenant> =>
        row.loyalty_credential === null
          ? Effect.succeed(tenantOf(row, null))
          : sealer.open(row.loyalty_credential, purposes.loyalty(row.id)).pipe(
              Effect.map((plain) => tenantOf(row, Redacted.make(plain))),
              Effect.catch((error) =>
                Effect.as(
                  Effect.logWarning(`tenant '${row.id}' has no usable loyalty credential: ${error.message}`),
                  tenantOf(row, null)
                )
              )
            )
      const find = (id: TenantId) =>
        sql<TenantRow>`SELECT * FROM tenants WHERE id = ${id}`.pipe(
          storageFailure("find tenant"),
          Effect.flatMap((rows) => (rows[0] === undefined ? Effect.succeed(undefined) : toTenant(rows[0])))
        )
      return TenantDirectory.of({
        create: (tenant) =>
          sql<TenantRow>`
          INSERT INTO tenants (id, name, status, country, timezone, currency, database_url, schema_name, created_at)
          VALUES (${tenant.id}, ${tenant.name}, ${tenant.status}, ${tenant.country}, ${tenant.timezone},
                  ${tenant.currency}, ${tenant.locator.databaseUrl}, ${tenant.locator.schema}, ${tenant.createdAt})
          ON CONFLICT (id) DO NOTHING
          RETURNING *`.pipe(
            storageFailure("create tenant"),
            Effect.flatMap((rows) =>
              rows[0] === undefined
                ? Effect.fail(new AlreadyExists({ resource: "tenant", id: tenant.id }))
                : toTenant(rows[0])
            )
          ),
        find,
        list: sql<TenantRow>`SELECT * FROM tenants ORDER BY id COLLATE "C"`.pipe(
          storageFailure("list tenants"),
          Effect.flatMap((rows) => Effect.forEach(rows, toTenant))
        ),
        activeIds: sql<{ readonly id: string }>`SELECT id FROM tenants WHERE status = 'active'`.pipe(
          Effect.map((rows) => new Set(rows.map((row) => row.id as TenantId))),
          storageFailure("list active tenant ids")
        ),
        setLoyalty: (id, settings) =>
          Effect.gen(function* () {
            const sealed = yield* sealer
              .seal(Redacted.value(settings.credential), purposes.loyalty(id))
              .pipe(Effect.mapError((cause) => new StorageError({ operation: "seal the loyalty credential", cause })))
            const rows = yield* sql<TenantRow>`
            UPDATE tenants SET loyalty_url = ${settings.url}, loyalty_credential = ${sealed}
            WHERE id = ${id} RETURNING *`.pipe(storageFailure("set loyalty"))
            return rows[0] === undefined ? yield* new NotFound({ resource: "tenant", id }) : yield* toTenant(rows[0])
          }),
        setTax: (id, settings) =>
          Effect.gen(function* () {
            const rows = yield* sql<TenantRow>`
            UPDATE tenants SET tax_inclusive = ${settings.taxInclusive}, tax_rate_ppm = ${settings.taxRatePpm}
            WHERE id = ${id} RETURNING *`.pipe(storageFailure("set tax defaults"))
            return rows[0] === undefined ? yield* new NotFound({ resource: "tenant", id }) : yield* toTenant(rows[0])
          }),
        setRateLimits: (id, limits) =>
          Effect.gen(function* () {
            const rows = yield* sql<TenantRow>`
            UPDATE tenants SET rate_limits = ${JSON.stringify(limits)}::jsonb
            WHERE id = ${id} RETURNING *`.pipe(storageFailure("set rate limits"))
            return rows[0] === undefined ? yield* new NotFound({ resource: "tenant", id }) : yield* toTenant(rows[0])
          }),
        setStatus: (id, status) =>
          Effect.gen(function* () {
            const rows = yield* sql<TenantRow>`
            UPDATE tenants SET status = ${status} WHERE id = ${id} RETURNING *`.pipe(
              storageFailure("set tenant status")
            )
            return rows[0] === undefined ? yield* new NotFound({ resource: "tenant", id }) : yield* toTenant(rows[0])
          }),
        ping: sql`SELECT 1`.pipe(Effect.asVoid, storageFailure("ping control database"))
      })
    })
  )
