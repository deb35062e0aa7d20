import { Effect, Layer } from "effect"
import { emptyKeyRing } from "../adapters/crypto/credential-sealer.ts"
import { layerMemoryStorage } from "../adapters/storage/memory/memory-storage.ts"
import { layerPgliteStorage } from "../adapters/storage/pglite/pglite-storage.ts"
import { layerPostgresStorage } from "../adapters/storage/postgres/postgres-storage.ts"
import type { StorageServices } from "../application/ports/storage-services.ts"
import { StorageError } from "../domain/errors.ts"
import type { AppSettings } from "./config.ts"
import { redactUrls } from "./failures.ts"

/**
 * The embedded database can no longer be used (a write failed for want of space or on I/O: see
 * `breaks` in pglite-client.ts). PostgreSQL would restart the backend and recover;
 * here that is the process: one line on standard error, exit 1, and a supervisor (or the operator)
 * starts it again once the cause is gone, recovering from the WAL. Requests meanwhile are 503s.
 */
const stopOnBrokenDatabase = (reason: string) => {
  process.stderr.write(
    `error: the embedded database stopped after: ${redactUrls(reason)}; the service exits so that a restart recovers it from its write-ahead log (free disk space first if it is full)\n`
  )
  // A moment for the requests in flight to be answered 503 (every statement now fails at once).
  setTimeout(() => process.exit(1), 250)
}

/** The storage adapter the configuration selects. */
export const storageLayer = (settings: AppSettings): Layer.Layer<StorageServices, StorageError> => {
  switch (settings.storage) {
    case "memory":
      return layerMemoryStorage
    case "pglite":
      return layerPgliteStorage({
        dataDir: settings.dataDir,
        tenantPoolSize: settings.tenantPoolSize,
        credentialKeys: settings.credentialKeys,
        onBroken: stopOnBrokenDatabase,
        sharedBuffersMb: settings.pgliteSharedBuffersMb,
        template: settings.pgliteTemplate
      })
    case "postgres":
      if (settings.databaseUrl === undefined) {
        return Layer.effectContext(
          Effect.fail(
            new StorageError({ operation: "configure storage", cause: "STORAGE=postgres needs DATABASE_URL" })
          )
        )
      }
      // Every instance must open what another sealed: the keys come from the configuration only.
      return layerPostgresStorage({
        url: settings.databaseUrl,
        tenantPoolSize: settings.tenantPoolSize,
        credentialKeys:
          settings.credentialKeys ??
          emptyKeyRing(
            "CREDENTIALS_KEYS",
            "CREDENTIALS_KEYS is not set; on PostgreSQL credentials are sealed with keys every instance shares (see README.md, Credentials)"
          )
      })
  }
}
