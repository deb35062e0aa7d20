import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { afterAll, beforeAll, describe } from "vitest"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import { layerPgliteStorage } from "../../adapters/storage/pglite/pglite-storage.ts"
import type { TenantRepositories } from "../../application/ports/tenant-storage.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { appServices, type StorageServices } from "../../runtime/app-layer.ts"
import { runCaptured } from "../../runtime/cli/captured-run.ts"
import { makeCli } from "../../runtime/cli/commands.ts"
import { AppConfig } from "../../runtime/config.ts"
import { TenantDatabases } from "../../runtime/tenancy/tenant-databases.ts"
import { freshPgliteCluster, pgliteTemplate } from "./pglite-template.ts"
import { layerScratchPostgres } from "./storage-adapters.ts"

export interface Outcome {
  readonly stdout: string
  readonly stderr: string
  /** What NodeRuntime.runMain would exit with. */
  readonly exitCode: number
}

/** The storages an admin command runs on: the embedded default, PostgreSQL, and memory for tests. */
export const adminStorages = () => {
  const url = process.env["DATABASE_URL"]
  return [
    { name: "memory", available: true, make: async () => ({ layer: layerMemoryStorage, cleanup: () => {} }) },
    {
      name: "PGlite",
      available: true,
      make: async () => {
        const dataDir = mkdtempSync(join(tmpdir(), "pos-cli-"))
        await freshPgliteCluster(join(dataDir, "pglite"))
        return {
          layer: layerPgliteStorage({ dataDir, tenantPoolSize: 1, template: pgliteTemplate() }),
          cleanup: () => rmSync(dataDir, { recursive: true, force: true })
        }
      }
    },
    {
      name: "PostgreSQL",
      available: url !== undefined && url !== "",
      make: async () => ({ layer: layerScratchPostgres(url ?? ""), cleanup: () => {} })
    }
  ] as const
}

let tenantCounter = 0

/**
 * The command tree in-process over ONE storage, shared by a suite: each test takes tenants of its
 * own (`tenant("acme")` gives `acme-<n>`), so tests never see each other's rows. Output is captured
 * through a test Console: effect/cli writes help and errors with it too.
 */
export const makeAdminHarness = async (storage: Layer.Layer<StorageServices, unknown>) => {
  const runtime = ManagedRuntime.make(
    appServices(AppConfig.make({ logLevel: "error" }), { background: false }).pipe(
      Layer.provideMerge(storage),
      Layer.orDie
    )
  )
  const context = await runtime.context()
  const cli = makeCli(Layer.succeedContext(context))
  const transcript: Array<string> = []

  const run = async (...argv: Array<string>): Promise<Outcome> => {
    const outcome = await Effect.runPromise(runCaptured(cli, argv))
    transcript.push(outcome.stdout, outcome.stderr)
    return outcome
  }

  /** `tenant list`'s row of one tenant, as cells. */
  const tenantRow = async (id: string) =>
    (await run("tenant", "list")).stdout
      .split("\n")
      .map((line) => line.split(/\s{2,}/))
      .find((cells) => cells[0] === id)

  /** Reads or writes a tenant's storage past the CLI. */
  const inTenant = <A, E>(tenant: string, effect: Effect.Effect<A, E, TenantRepositories>) =>
    runtime.runPromise(
      Effect.gen(function* () {
        const databases = yield* TenantDatabases
        return yield* Effect.provideContext(effect, yield* databases.repositories(tenant as TenantId))
      }).pipe(Effect.scoped)
    )

  return {
    run,
    tenantRow,
    inTenant,
    tenant: (base: string) => `${base}-${++tenantCounter}`,
    context,
    transcript,
    dispose: () => runtime.dispose()
  }
}

export type AdminHarness = Awaited<ReturnType<typeof makeAdminHarness>>

export const keyLine = /^posk_\d+_[A-Za-z0-9]{32,}$/

/** Runs `suite` once per storage, on one harness each; PostgreSQL is reported skipped without DATABASE_URL. */
export const forEachStorage = (title: string, suite: (harness: () => AdminHarness, storageName: string) => void) => {
  for (const storage of adminStorages()) {
    const name = `${title} (${storage.name}${storage.available ? "" : ", SKIPPED: DATABASE_URL is not set"})`
    ;(storage.available ? describe : describe.skip)(name, () => {
      let harness: AdminHarness | undefined
      let cleanup = () => {}
      beforeAll(async () => {
        const made = await storage.make()
        cleanup = made.cleanup
        harness = await makeAdminHarness(made.layer)
      }, 120_000)
      afterAll(async () => {
        await harness?.dispose()
        cleanup()
      })
      suite(() => {
        if (harness === undefined) throw new Error("the storage did not start")
        return harness
      }, storage.name)
    })
  }
}

/**
 * Databases of their own on the DATABASE_URL server, for tenants created with --database-url:
 * `create` makes an empty one and returns its URL (with `password` in its userinfo when given, to
 * prove it never shows); `close` drops every one made.
 */
export const makeScratchDatabases = (serverUrl: string) => {
  const admin = ManagedRuntime.make(PgClient.layer({ url: Redacted.make(serverUrl), maxConnections: 1 }))
  const made: Array<string> = []
  const urlOf = (name: string, password?: string) => {
    const url = new URL(serverUrl)
    url.pathname = `/${name}`
    if (password !== undefined) {
      if (url.username === "") url.username = "postgres"
      url.password = password
    }
    return url.toString()
  }
  const sql = <A>(f: (client: PgClient.PgClient) => Effect.Effect<A, unknown>) =>
    admin.runPromise(
      Effect.gen(function* () {
        return yield* f(yield* PgClient.PgClient)
      })
    )
  return {
    /** A name no database has, for a URL that must fail. */
    unusedName: () => `pos_missing_${process.pid}_${Date.now().toString(36)}_${++tenantCounter}`,
    urlOf,
    create: async (password?: string) => {
      const name = `pos_own_${process.pid}_${Date.now().toString(36)}_${++tenantCounter}`
      await sql((client) => client.unsafe(`CREATE DATABASE ${name}`))
      made.push(name)
      return { name, url: urlOf(name, password) }
    },
    /** Runs a query on one of the made databases. */
    query: (name: string, text: string) => {
      const db = ManagedRuntime.make(PgClient.layer({ url: Redacted.make(urlOf(name)), maxConnections: 1 }))
      return db
        .runPromise(
          Effect.gen(function* () {
            return yield* (yield* PgClient.PgClient).unsafe(text)
          })
        )
        .finally(() => db.dispose())
    },
    close: async () => {
      for (const name of made) await sql((client) => client.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
      await admin.dispose()
    }
  }
}
