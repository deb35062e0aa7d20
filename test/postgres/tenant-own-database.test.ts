import { PgClient } from "@effect/sql-pg"
import { Effect, ManagedRuntime, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerPostgresStorage } from "../../adapters/storage/postgres/postgres-storage.ts"
import { migrateTenantTo, tenantMigrationIds } from "../../adapters/storage/sql/migrations.ts"
import { TenantStorage } from "../../application/ports/tenant-storage.ts"
import type { Tenant, TenantId } from "../../domain/tenant.ts"
import demoMenu from "../../runtime/demo/demo-menu.deliverect.json" with { type: "json" }
import demoOutlets from "../../runtime/demo/demo-outlets.deliverect.json" with { type: "json" }
import { makeAdminHarness, makeScratchDatabases } from "../support/admin-cli.ts"
import { call, makeTestApp, type TestApp } from "../support/app.ts"

/**
 * A tenant on a PostgreSQL database of its own, end to end on a real server: created through the
 * admin CLI's code path on a fresh database (its schema created, then migrated), served by two
 * service instances on the same control database, written through one and read through the other.
 */
const serverUrl = process.env["DATABASE_URL"]
const available = serverUrl !== undefined && serverUrl !== ""
const suite = available ? describe : describe.skip

const storage = (controlUrl: string) => layerPostgresStorage({ url: Redacted.make(controlUrl), tenantPoolSize: 2 })
const settings = { posPlugins: ["@pos-integration/plugin-deliverect"] }
const host = "globex.localhost"

suite(`tenants on PostgreSQL databases of their own${available ? "" : " (SKIPPED: DATABASE_URL is not set)"}`, () => {
  const databases = makeScratchDatabases(serverUrl ?? "")
  let control: { name: string; url: string }
  let own: { name: string; url: string }
  let posKey: string
  let partnerKey: string
  const apps: Array<TestApp> = []

  beforeAll(async () => {
    control = await databases.create()
    own = await databases.create("hunter2")
    const admin = await makeAdminHarness(storage(control.url))
    try {
      const created = await admin.run("tenant", "create", "globex", "--database-url", own.url)
      expect(created.stderr).toBe("")
      expect(created.exitCode).toBe(0)
      posKey = (await admin.run("key", "issue", "globex", "--kind", "pos")).stdout
      partnerKey = (await admin.run("key", "issue", "globex", "--kind", "partner")).stdout
      expect(admin.transcript.join("\n")).not.toContain("hunter2")
    } finally {
      await admin.dispose()
    }
    // Put the tenant where an older release left it: its schema migrated up to migration 4 only
    // (customers and loyalty), its keys kept. The instances must bring it to the current migration
    // on first use.
    await databases.query(own.name, "CREATE TABLE public.keys_kept AS SELECT * FROM tenant_globex.api_keys")
    await databases.query(own.name, "DROP SCHEMA tenant_globex CASCADE")
    const older = ManagedRuntime.make(
      PgClient.layer({
        url: Redacted.make(own.url),
        maxConnections: 1,
        startupParameters: { search_path: "tenant_globex" }
      })
    )
    try {
      await older.runPromise(migrateTenantTo("tenant_globex", 4))
    } finally {
      await older.dispose()
    }
    await databases.query(own.name, "INSERT INTO tenant_globex.api_keys SELECT * FROM public.keys_kept")
    await databases.query(own.name, "DROP TABLE public.keys_kept")
    const before = await databases.query(
      own.name,
      "SELECT migration_id FROM tenant_globex.schema_migrations ORDER BY 1"
    )
    expect(before.map((m) => (m as { migration_id: number }).migration_id)).toEqual([1, 2, 3, 4])
    // Two instances starting together on one control database, as behind a load balancer.
    apps.push(
      ...(await Promise.all([
        makeTestApp(storage(control.url), { settings }),
        makeTestApp(storage(control.url), { settings })
      ]))
    )
  }, 120_000)

  afterAll(async () => {
    for (const app of apps) await app.close()
    await databases.close()
  })

  const post = (app: TestApp, path: string, body: unknown) =>
    call(app, path, {
      method: "POST",
      host,
      key: posKey,
      headers: { "content-type": "application/json", "x-provider": "deliverect" },
      body: JSON.stringify(body)
    })

  it("the tenant's schema lives in its own database, and nothing of it in the control database", async () => {
    const inOwn = await databases.query(own.name, "SELECT 1 FROM pg_namespace WHERE nspname = 'tenant_globex'")
    const inControl = await databases.query(control.name, "SELECT 1 FROM pg_namespace WHERE nspname = 'tenant_globex'")
    expect([inOwn.length, inControl.length]).toEqual([1, 0])
    const stored = await databases.query(control.name, "SELECT database_url FROM tenants WHERE id = 'globex'")
    expect(stored).toEqual([{ database_url: own.url }])
  })

  it("outlets and a catalog synced through one instance are read through the other", async () => {
    const [first, second] = apps as [TestApp, TestApp]
    const outlets = await post(first, "/api/v1/outlets/sync", demoOutlets)
    expect(outlets.status).toBe(200)
    const catalog = await post(first, "/api/v1/products/sync", demoMenu)
    expect(catalog.status).toBe(200)

    const listed = await call(second, "/api/v1/outlets", { host, key: partnerKey })
    expect(listed.status).toBe(200)
    const body = (await listed.json()) as { data: Array<{ outletId: string; externalId: string; name: string }> }
    expect(body.data.map((o) => o.name).sort()).toEqual(["Demo Kitchen Orchard", "Demo Kitchen Tanjong Pagar"])
    const outletId = body.data[0]!.outletId
    const products = await call(second, `/api/v1/products?outletId=${outletId}&limit=100`, { host, key: partnerKey })
    expect(products.status).toBe(200)
    const names = ((await products.json()) as { data: Array<{ name: string }> }).data.map((p) => p.name)
    expect(names).toContain("Laksa")
  })

  it("a tenant left at an older migration was brought to the current migration on first use", async () => {
    const [, second] = apps as [TestApp, TestApp]
    const rewards = await call(second, "/api/v1/loyalty/rewards", { host, key: partnerKey })
    expect(rewards.status).toBe(200)
    const migrations = await databases.query(
      own.name,
      "SELECT migration_id FROM tenant_globex.schema_migrations ORDER BY 1"
    )
    expect(migrations.map((m) => (m as { migration_id: number }).migration_id)).toEqual([...tenantMigrationIds])
    // The upgraded schema serves what the later migrations added: the outlets' POS accounts and busy modes.
    const outlets = await call(second, "/api/v1/outlets", { host, key: partnerKey })
    expect(outlets.status).toBe(200)
  })

  it("a tenant whose schema is missing gets it back, migrated, when it is next opened", async () => {
    const admin = await makeAdminHarness(storage(control.url))
    try {
      expect((await admin.run("tenant", "create", "initech")).exitCode).toBe(0)
      expect((await admin.run("key", "issue", "initech", "--kind", "pos")).exitCode).toBe(0)
    } finally {
      await admin.dispose()
    }
    await databases.query(control.name, "DROP SCHEMA tenant_initech CASCADE")
    const again = await makeAdminHarness(storage(control.url))
    try {
      const listed = await again.run("key", "list", "initech")
      expect(listed.stderr).toBe("")
      expect(listed.stdout).toBe("no keys for tenant 'initech'")
    } finally {
      await again.dispose()
    }
  })

  it("instances provisioning one fresh database together all succeed, and it is migrated once", async () => {
    const fresh = await databases.create()
    const tenant: Tenant = {
      id: "hooli" as TenantId,
      name: "Hooli",
      status: "active",
      country: "SG",
      timezone: "Asia/Singapore",
      currency: "SGD",
      locator: { databaseUrl: fresh.url, schema: "tenant_hooli" },
      createdAt: new Date(),
      loyaltyUrl: null,
      loyaltyCredential: null,
      taxInclusive: true,
      taxRatePpm: null,
      rateLimits: {}
    }
    // Without the advisory lock, a concurrent CREATE SCHEMA fails on the other's catalog row.
    const instances = [0, 1, 2].map(() => ManagedRuntime.make(storage(control.url)))
    try {
      const provisions = instances.flatMap((instance) =>
        [0, 1].map(() =>
          instance.runPromise(
            Effect.gen(function* () {
              yield* (yield* TenantStorage).provision(tenant)
            })
          )
        )
      )
      await Promise.all(provisions)
    } finally {
      await Promise.all(instances.map((instance) => instance.dispose()))
    }
    const migrations = await databases.query(
      fresh.name,
      "SELECT migration_id FROM tenant_hooli.schema_migrations ORDER BY 1"
    )
    expect(migrations.map((m) => (m as { migration_id: number }).migration_id)).toEqual([...tenantMigrationIds])
  })
})
