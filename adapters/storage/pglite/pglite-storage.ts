import { join } from "node:path"
import { Effect, Layer, Redacted } from "effect"
import { DatabaseUsage } from "../../../application/ports/database-usage.ts"
import type { StorageServices } from "../../../application/ports/storage-services.ts"
import { StorageError } from "../../../domain/errors.ts"
import { ephemeralKeyRing, joinKeyRings, type KeyRing } from "../../crypto/credential-sealer.ts"
import { layerPostgresPool } from "../postgres/postgres-storage.ts"
import { layerStorageFailure } from "../sql/sql-errors.ts"
import { layerSqlStorage } from "../sql/sql-storage.ts"
import { dataDirKeyRing } from "./credentials-key-file.ts"
import { lockDataDir } from "./data-dir-lock.ts"
import { initialiseDataDir } from "./initialise-data-dir.ts"
import { layerPglite, openPglite } from "./pglite-client.ts"
import { pristineDump } from "./pristine-cluster.ts"

export interface PgliteStorageOptions {
  /** Where the data lives; undefined keeps everything in memory (tests). */
  readonly dataDir: string | undefined
  /** Pool size for tenants that have a PostgreSQL database of their own. */
  readonly tenantPoolSize: number
  /**
   * The configured key ring (CREDENTIALS_KEYS). Without one, the data directory's key file seals
   * (made on first start); with one, a key file left from before still opens. In memory, without
   * either, a key of this process.
   */
  readonly credentialKeys?: KeyRing | undefined
  /** Where rate limit buckets live: in this process (the default), or in the database (contract tests). */
  readonly rateLimitBuckets?: "shared" | "in-process"
  /**
   * Told once when the embedded database can no longer be used (a write that failed for want of
   * space or on I/O: see `breaks` in pglite-client.ts). Statements then fail as unreachable; the
   * service stops, so that a restart recovers from the WAL.
   */
  readonly onBroken?: (reason: string) => void
  /** PostgreSQL's shared_buffers for the embedded database, in MB (see OpenPgliteOptions). */
  readonly sharedBuffersMb?: number | undefined
  /**
   * Where a pristine cluster is kept (pristine-cluster.ts): a new data directory is its copy, a
   * database in memory is loaded from its dump; undefined: each runs initdb.
   */
  readonly template?: string | undefined
}

/**
 * Embedded storage: ONE PGlite instance (each costs about 400 MB) with the control schema and a
 * schema per tenant; every lease sets the leasing tenant's search_path. A tenant created with a
 * database URL of its own is still reached over PostgreSQL.
 */
export const layerPgliteStorage = (options: PgliteStorageOptions): Layer.Layer<StorageServices, StorageError> =>
  Layer.unwrap(
    Effect.gen(function* () {
      const pgliteDir = options.dataDir === undefined ? undefined : join(options.dataDir, "pglite")
      if (options.dataDir !== undefined) yield* lockDataDir(options.dataDir)
      if (pgliteDir !== undefined) yield* initialiseDataDir(pgliteDir, options.template)
      const configured = options.credentialKeys
      const keyFile =
        options.dataDir === undefined ? undefined : yield* dataDirKeyRing(options.dataDir, configured === undefined)
      const keys =
        configured === undefined
          ? (keyFile ?? ephemeralKeyRing())
          : keyFile === undefined
            ? configured
            : joinKeyRings(configured, keyFile)
      const loadDataDir =
        pgliteDir === undefined && options.template !== undefined ? yield* pristineDump(options.template) : undefined
      const session = yield* openPglite(pgliteDir, { sharedBuffersMb: options.sharedBuffersMb, loadDataDir }).pipe(
        Effect.mapError((cause) => new StorageError({ operation: "open PGlite", cause }))
      )
      session.onBroken = options.onBroken
      const schemaClient = (schema: string) =>
        layerPglite(session, { searchPath: schema }).pipe(layerStorageFailure(`open schema ${schema}`))
      return layerSqlStorage(
        (tenant) =>
          tenant.locator.databaseUrl === null
            ? schemaClient(tenant.locator.schema)
            : layerPostgresPool(
                Redacted.make(tenant.locator.databaseUrl),
                options.tenantPoolSize,
                tenant.locator.schema
              ),
        keys,
        // One process owns the data directory: its buckets stay in memory (the contract suite asks
        // for the shared ones, to run their SQL here too).
        options.rateLimitBuckets ?? "in-process"
      ).pipe(
        Layer.merge(
          Layer.succeed(DatabaseUsage, {
            // The one session: in use or not, and the statements and transactions queued for it.
            usage: Effect.sync(() => ({
              connections: { active: session.usage.busy > 0 ? 1 : 0, idle: session.usage.busy > 0 ? 0 : 1 },
              waiting: session.usage.waiting
            }))
          })
        ),
        Layer.provide(schemaClient("public"))
      )
    })
  )
