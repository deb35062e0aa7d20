import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import { Reactivity } from "effect/reactivity"
import type { KeyRing } from "../../adapters/crypto/credential-sealer.ts"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import { layerPgliteStorage } from "../../adapters/storage/pglite/pglite-storage.ts"
import { layerPostgresStorage } from "../../adapters/storage/postgres/postgres-storage.ts"
import { pgliteTemplate } from "./pglite-template.ts"

let scratchCounter = 0

/** Runs `effect` on a one-connection client of the PostgreSQL server at `serverUrl` (to create and drop databases). */
export const onPostgresServer = <A>(serverUrl: string, effect: Effect.Effect<A, unknown, PgClient.PgClient>) =>
  Effect.runPromise(
    effect.pipe(
      Effect.provide(PgClient.layer({ url: Redacted.make(serverUrl), maxConnections: 1 })),
      Effect.provide(Reactivity.layer),
      Effect.scoped
    ) as Effect.Effect<A>
  )

/**
 * PostgreSQL storage on a scratch database of its own, created on the DATABASE_URL server and
 * dropped afterwards: suites that name fixed tenants ("acme") can run repeatedly and side by side.
 */
export const layerScratchPostgres = (serverUrl: string, tenantPoolSize = 1, credentialKeys?: KeyRing) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const admin = yield* PgClient.make({ url: Redacted.make(serverUrl), maxConnections: 1 }).pipe(
        Effect.provide(Reactivity.layer)
      )
      const name = `pos_test_${process.pid}_${Date.now().toString(36)}_${scratchCounter++}`
      yield* admin.unsafe(`CREATE DATABASE ${name}`)
      yield* Effect.addFinalizer(() => Effect.ignore(admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)))
      const url = new URL(serverUrl)
      url.pathname = `/${name}`
      return layerPostgresStorage({ url: Redacted.make(url.toString()), tenantPoolSize, credentialKeys })
    }).pipe(Effect.orDie)
  )

/**
 * Every storage adapter a cross-cutting suite runs against. PostgreSQL needs DATABASE_URL (set by
 * .ci/run); without it that adapter is reported as skipped, never silently dropped. Tenant pools are
 * capped at one connection, so a suite also proves nothing needs a second one.
 */
export const storageAdapters = () => {
  const url = process.env["DATABASE_URL"]
  return [
    { name: "memory", layer: () => layerMemoryStorage, available: true },
    {
      name: "PGlite",
      layer: () => layerPgliteStorage({ dataDir: undefined, tenantPoolSize: 1, template: pgliteTemplate() }),
      available: true
    },
    {
      name: "PostgreSQL",
      layer: () => layerScratchPostgres(url ?? ""),
      available: url !== undefined && url !== ""
    }
  ] as const
}
