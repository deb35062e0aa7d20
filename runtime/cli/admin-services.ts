import { Context, Effect, type Scope } from "effect"
import { Argument } from "effect/cli"
import type { AdminCaller } from "../../application/admin/audit.ts"
import type { AdminKeys, AuditLog } from "../../application/ports/admin.ts"
import { ApiKeys } from "../../application/ports/api-keys.ts"
import type { KeySecrets } from "../../application/ports/key-secrets.ts"
import { LoyaltyLedger } from "../../application/ports/loyalty-ledger.ts"
import type { PullSchedules } from "../../application/ports/pull-schedules.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import type { TenantStorage } from "../../application/ports/tenant-storage.ts"
import { isTenantId } from "../../domain/tenant.ts"
import type { AppConfig } from "../config.ts"
import type { OAuthTokens } from "../oauth/token-service.ts"
import type { PluginRegistry } from "../plugins/plugin-registry.ts"
import { TenantDatabases } from "../tenancy/tenant-databases.ts"
import { AdminError, type CommandFailed } from "./admin-errors.ts"

/** What the admin commands use; main.ts builds it from the configuration, tests from a storage adapter. */
export type AdminServices =
  | AdminKeys
  | AuditLog
  | TenantDirectory
  | TenantStorage
  | TenantDatabases
  | KeySecrets
  | PluginRegistry
  | PullSchedules
  | OAuthTokens
  | AppConfig

/**
 * Runs a command's body: opens the services for it (only now, so `--help` and argument errors
 * never open or lock the storage), closes them after, and reports any failure as `error: ...`.
 */
export type Handle = <A, E>(body: Effect.Effect<A, E, AdminServices | Scope.Scope>) => Effect.Effect<A, CommandFailed>

export const tenantArgument = Argument.String("tenant").pipe(Argument.withDescription("The tenant's id"))

/** Any tenant in the directory, whatever its status: an operator may administer a suspended one. */
export const requireTenant = Effect.fnUntraced(function* (raw: string) {
  const directory = yield* TenantDirectory
  const tenant = isTenantId(raw) ? yield* directory.find(raw) : undefined
  if (tenant === undefined) return yield* new AdminError({ message: `no tenant '${raw}'` })
  return tenant
})

/** The tenant's repositories, open for the rest of the command's scope. */
export const tenantRepositories = Effect.fnUntraced(function* (raw: string) {
  const tenant = yield* requireTenant(raw)
  const databases = yield* TenantDatabases
  return { tenant, repositories: yield* databases.repositories(tenant.id) }
})

export const tenantKeys = Effect.fnUntraced(function* (raw: string) {
  const { tenant, repositories } = yield* tenantRepositories(raw)
  return { tenant, keys: Context.get(repositories, ApiKeys) }
})

export const tenantLedger = Effect.fnUntraced(function* (raw: string) {
  const { tenant, repositories } = yield* tenantRepositories(raw)
  return { tenant, ledger: Context.get(repositories, LoyaltyLedger) }
})

/** The CLI as the audit log names it: on the service's machine, no client address. */
export const cliCaller: AdminCaller = { actor: { keyId: null, name: "admin CLI" }, address: null }
