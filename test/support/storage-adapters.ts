import { Redacted } from "effect"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import { layerPgliteStorage } from "../../adapters/storage/pglite/pglite-storage.ts"
import { layerPostgresStorage } from "../../adapters/storage/postgres/postgres-storage.ts"

/**
 * Every storage adapter a cross-cutting suite runs against. PostgreSQL needs DATABASE_URL (set by
 * .ci/run); without it that adapter is reported as skipped, never silently dropped. Tenant pools are
 * capped at one connection, so a suite also proves nothing needs a second one.
 */
export const storageAdapters = () => {
  const url = process.env["DATABASE_URL"]
  return [
    { name: "memory", layer: () => layerMemoryStorage, available: true },
    { name: "PGlite", layer: () => layerPgliteStorage({ dataDir: undefined, tenantPoolSize: 1 }), available: true },
    {
      name: "PostgreSQL",
      layer: () => layerPostgresStorage({ url: Redacted.make(url ?? ""), tenantPoolSize: 1 }),
      available: url !== undefined && url !== ""
    }
  ] as const
}
