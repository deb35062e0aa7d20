import { PgClient } from "@effect/sql-pg"
import { Duration, Layer, Redacted } from "effect"
import type { StorageServices } from "../../../application/ports/storage-services.ts"
import type { StorageError } from "../../../domain/errors.ts"
import type { KeyRing } from "../../crypto/credential-sealer.ts"
import { layerStorageFailure } from "../sql/sql-errors.ts"
import { applicationName, layerPostgresDatabaseUsage } from "../sql/sql-database-usage.ts"
import { layerSqlStorage } from "../sql/sql-storage.ts"

export interface PostgresStorageOptions {
  /** The control database: the tenant directory, and the tenants that live in a schema of it. */
  readonly url: Redacted.Redacted<string>
  readonly controlPoolSize?: number
  /** Connections per tenant pool; each pool belongs to one tenant and its search_path. */
  readonly tenantPoolSize: number
  readonly idleTimeout?: Duration.Input
  /** The key ring credentials are sealed with, shared by every instance; left out, a key of this layer only (tests). */
  readonly credentialKeys?: KeyRing | undefined
}

/** A pool on one database whose connections all run in `schema`. */
export const layerPostgresPool = (
  url: Redacted.Redacted<string>,
  size: number,
  schema: string,
  idleTimeout: Duration.Input = Duration.seconds(60)
) =>
  PgClient.layer({
    url,
    maxConnections: size,
    idleTimeout,
    applicationName,
    // Set at connection start-up, so every statement on this pool runs in this schema only.
    startupParameters: { search_path: schema }
  }).pipe(layerStorageFailure(`connect to PostgreSQL (${schema})`))

/**
 * PostgreSQL storage: a pool on the control database, and a pool per tenant (on the tenant's own
 * database, or on the control database with the tenant's schema as its search_path).
 */
export const layerPostgresStorage = (options: PostgresStorageOptions): Layer.Layer<StorageServices, StorageError> =>
  layerSqlStorage(
    (tenant) =>
      layerPostgresPool(
        tenant.locator.databaseUrl === null ? options.url : Redacted.make(tenant.locator.databaseUrl),
        options.tenantPoolSize,
        tenant.locator.schema,
        options.idleTimeout
      ),
    options.credentialKeys
  ).pipe(
    Layer.merge(layerPostgresDatabaseUsage),
    Layer.provide(layerPostgresPool(options.url, options.controlPoolSize ?? 5, "public", options.idleTimeout))
  )
