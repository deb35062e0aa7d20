import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { describe, expect, it } from "vitest"
import { layerPglite } from "../../adapters/storage/pglite/pglite-client.ts"
import { migrateTenant, migrateTenantTo } from "../../adapters/storage/sql/migrations.ts"
import { openTestPglite } from "../support/pglite-template.ts"

/**
 * Tenant migration 15: the partner preset gained the webhook scopes, and a key issued before with
 * exactly the old preset (in any order) gains them; any other key keeps exactly its scopes.
 */
describe("tenant migration 15_webhook_scopes (PGlite)", () => {
  it("adds webhooks:read and webhooks:write to keys with exactly the old partner preset", async () => {
    const oldPreset =
      "outlets:read products:read menus:read orders:read orders:write customers:read customers:write loyalty:read loyalty:write"
    const shuffled =
      "loyalty:write loyalty:read customers:write customers:read orders:write orders:read menus:read products:read outlets:read"
    const keys: ReadonlyArray<readonly [string, string]> = [
      ["preset", oldPreset],
      ["preset, another order", shuffled],
      ["fewer scopes", "orders:read orders:write"],
      ["the preset and one more", `${oldPreset} pos:sync`],
      ["pos", "pos:sync outlets:read products:read"]
    ]
    const rows = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const session = yield* openTestPglite()
          const client = yield* Layer.build(layerPglite(session, { searchPath: "tenant_t1" }))
          return yield* Effect.gen(function* () {
            const sql = yield* SqlClient.SqlClient
            yield* migrateTenantTo("tenant_t1", 14)
            for (const [name, scopes] of keys) {
              yield* sql`
                INSERT INTO api_keys (name, kind, scopes, secret_hash, created_at)
                VALUES (${name}, 'partner', ${scopes}, 'x', now())`
            }
            yield* migrateTenant("tenant_t1")
            return yield* sql<{ name: string; scopes: string }>`SELECT name, scopes FROM api_keys ORDER BY id`
          }).pipe(Effect.provideContext(client))
        })
      )
    )
    expect(rows).toEqual([
      { name: "preset", scopes: `${oldPreset} webhooks:read webhooks:write` },
      { name: "preset, another order", scopes: `${shuffled} webhooks:read webhooks:write` },
      { name: "fewer scopes", scopes: "orders:read orders:write" },
      { name: "the preset and one more", scopes: `${oldPreset} pos:sync` },
      { name: "pos", scopes: "pos:sync outlets:read products:read" }
    ])
  }, 60_000)
})
