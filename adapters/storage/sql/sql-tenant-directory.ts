import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { TenantDirectory } from "../../../application/ports/tenant-directory.ts"
import { AlreadyExists, NotFound } from "../../../domain/errors.ts"
import type { Tenant, TenantId, TenantStatus } from "../../../domain/tenant.ts"
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
  readonly created_at: unknown
}

const toTenant = (row: TenantRow): Tenant => ({
  id: row.id as TenantId,
  name: row.name,
  status: row.status as TenantStatus,
  country: row.country,
  timezone: row.timezone,
  currency: row.currency,
  locator: { databaseUrl: row.database_url, schema: row.schema_name },
  loyaltyUrl: row.loyalty_url,
  loyaltyCredential: row.loyalty_credential === null ? null : Redacted.make(row.loyalty_credential),
  createdAt: toDate(row.created_at)
})

/** The tenant directory on the control database's SqlClient. */
export const layerSqlTenantDirectory = Layer.effect(
  TenantDirectory,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const find = (id: TenantId) =>
      sql<TenantRow>`SELECT * FROM tenants WHERE id = ${id}`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : toTenant(rows[0]))),
        storageFailure("find tenant")
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
              : Effect.succeed(toTenant(rows[0]))
          )
        ),
      find,
      list: sql<TenantRow>`SELECT * FROM tenants ORDER BY id COLLATE "C"`.pipe(
        Effect.map((rows) => rows.map(toTenant)),
        storageFailure("list tenants")
      ),
      activeIds: sql<{ readonly id: string }>`SELECT id FROM tenants WHERE status = 'active'`.pipe(
        Effect.map((rows) => new Set(rows.map((row) => row.id as TenantId))),
        storageFailure("list active tenant ids")
      ),
      setLoyalty: (id, settings) =>
        sql<TenantRow>`
          UPDATE tenants SET loyalty_url = ${settings.url}, loyalty_credential = ${Redacted.value(settings.credential)}
          WHERE id = ${id} RETURNING *`.pipe(
          storageFailure("set loyalty"),
          Effect.flatMap((rows) =>
            rows[0] === undefined
              ? Effect.fail(new NotFound({ resource: "tenant", id }))
              : Effect.succeed(toTenant(rows[0]))
          )
        ),
      ping: sql`SELECT 1`.pipe(Effect.asVoid, storageFailure("ping control database"))
    })
  })
)
