import { Clock, Effect } from "effect"
import { AlreadyExists } from "../../domain/errors.ts"
import { type TenantId, tenantSchemaName } from "../../domain/tenant.ts"
import { TenantDirectory } from "../ports/tenant-directory.ts"
import { TenantStorage } from "../ports/tenant-storage.ts"

export interface CreateTenantInput {
  readonly id: TenantId
  readonly name?: string | undefined
  readonly country?: string | undefined
  readonly timezone?: string | undefined
  readonly currency?: string | undefined
  /** The tenant's own database; without one, a schema `tenant_<id>` of the control database. */
  readonly databaseUrl?: string | undefined
}

/**
 * Provisions the tenant's database before it enters the directory, so a tenant that can be
 * resolved always has its tables. The directory's unique insert decides a race between two creators.
 */
export const createTenant = Effect.fnUntraced(function* (input: CreateTenantInput) {
  const directory = yield* TenantDirectory
  const storage = yield* TenantStorage
  if ((yield* directory.find(input.id)) !== undefined) {
    return yield* new AlreadyExists({ resource: "tenant", id: input.id })
  }
  const tenant = {
    id: input.id,
    name: input.name ?? input.id,
    status: "active" as const,
    country: input.country ?? "SG",
    timezone: input.timezone ?? "Asia/Singapore",
    currency: input.currency ?? "SGD",
    // Always the tenant's own schema, in its own database too: two tenants given one URL by
    // mistake (or the control database's) still never share a table.
    locator: { databaseUrl: input.databaseUrl ?? null, schema: tenantSchemaName(input.id) },
    createdAt: new Date(yield* Clock.currentTimeMillis)
  }
  yield* storage.provision({
    ...tenant,
    loyaltyUrl: null,
    loyaltyCredential: null,
    taxInclusive: true,
    taxRatePpm: null,
    rateLimits: {}
  })
  return yield* directory.create(tenant)
})
