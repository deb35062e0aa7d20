import { Context, Effect } from "effect"
import { expect, it } from "vitest"
import { AdminKeys, AuditLog } from "../../application/ports/admin.ts"
import { ApiKeys } from "../../application/ports/api-keys.ts"
import { KeySecrets } from "../../application/ports/key-secrets.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { parseAdminKey } from "../../domain/admin.ts"
import { type AdminHarness, forEachStorage, keyLine } from "../../test/support/admin-cli.ts"
import { parseOverlap } from "./key-commands.ts"

const adminKeyLine = /^posa_\d+_[A-Za-z0-9]{32,}$/

/** The audit entries about one tenant (or, with null, about admin keys): the harness shares its control database. */
const auditOf = (h: AdminHarness, tenantId: string | null) =>
  Effect.runPromise(
    Context.get(h.context, AuditLog).list({
      tenantId,
      action: tenantId === null ? "admin-key." : null,
      beforeId: null,
      limit: 100
    })
  )

forEachStorage("admin-key, tenant suspend and key rotate commands", (harness) => {
  it("admin-key issue prints the key alone; storage holds its hash; list and revoke follow; each change is audited", async () => {
    const h = harness()
    const issued = await h.run("admin-key", "issue", "--name", "alice")
    expect(issued.exitCode).toBe(0)
    expect(issued.stdout).toMatch(adminKeyLine)
    expect(issued.stderr).toContain("issued admin key 1 ('alice')")
    const parsed = parseAdminKey(issued.stdout)!
    const stored = await Effect.runPromise(Context.get(h.context, AdminKeys).findById(parsed.keyId))
    expect(stored?.secretHash).toBe(Context.get(h.context, KeySecrets).hash(parsed.secret))
    expect(stored?.createdBy).toBe("admin CLI")

    const listed = await h.run("admin-key", "list")
    expect(listed.stdout.split("\n")[0]).toMatch(/^ID\s+NAME\s+STATE\s+CREATED\s+BY\s+EXPIRES\s+REVOKED\s+LAST USED$/)
    expect(listed.stdout).toContain("alice")
    expect(listed.stdout).not.toContain(parsed.secret)

    expect((await h.run("admin-key", "revoke", "1")).stdout).toMatch(/^revoked admin key 1 \('alice'\) at \d{4}-/)
    expect((await h.run("admin-key", "revoke", "1")).stdout).toContain("was already revoked at")
    expect((await h.run("admin-key", "revoke", "9")).exitCode).toBe(1)
    expect((await h.run("admin-key", "issue", "--name", " ")).exitCode).toBe(1)
    expect((await h.run("admin-key", "issue", "--expires-at", "2001-01-01T00:00:00Z")).exitCode).toBe(1)

    const entries = await auditOf(h, null)
    expect(entries.map((e) => [e.action, e.actor, e.address])).toEqual([
      ["admin-key.revoke", "admin CLI", null],
      ["admin-key.issue", "admin CLI", null]
    ])
    expect(JSON.stringify(entries)).not.toContain(parsed.secret)
  })

  it("tenant suspend and reactivate change the status once, and say when there is nothing to do", async () => {
    const h = harness()
    const id = h.tenant("acme")
    await h.run("tenant", "create", id)
    const suspended = await h.run("tenant", "suspend", id)
    expect(suspended.exitCode).toBe(0)
    expect(suspended.stdout).toContain(`suspended tenant '${id}'`)
    const stored = await Effect.runPromise(Context.get(h.context, TenantDirectory).find(id as never))
    expect(stored?.status).toBe("suspended")
    expect((await h.run("tenant", "suspend", id)).stdout).toBe(`tenant '${id}' is already suspended`)
    expect((await h.run("tenant", "list")).stdout).toContain("suspended")
    expect((await h.run("tenant", "reactivate", id)).stdout).toBe(`reactivated tenant '${id}'`)
    expect((await h.run("tenant", "suspend", "nobody")).exitCode).toBe(1)
    expect((await auditOf(h, id)).map((e) => e.action)).toEqual([
      "tenant.reactivate",
      "tenant.suspend",
      "tenant.create"
    ])
  })

  it("key rotate prints the new key alone, keeps the old one for the overlap, and refuses a key not active", async () => {
    const h = harness()
    const id = h.tenant("acme")
    await h.run("tenant", "create", id)
    await h.run("key", "issue", id, "--kind", "partner", "--name", "Grab")
    const before = Date.now()
    const rotated = await h.run("key", "rotate", id, "1", "--overlap", "2h")
    expect(rotated.exitCode).toBe(0)
    expect(rotated.stdout).toMatch(keyLine)
    expect(rotated.stderr).toContain(`issued key 2 ('Grab', partner) for tenant '${id}' in place of key 1`)
    const keys = await h.inTenant(
      id,
      Effect.flatMap(ApiKeys, (k) => k.list)
    )
    expect(keys.map((k) => [k.id, k.name, k.kind])).toEqual([
      [1, "Grab", "partner"],
      [2, "Grab", "partner"]
    ])
    expect(keys[0]?.scopes).toEqual(keys[1]?.scopes)
    const expires = keys[0]!.expiresAt!.getTime()
    expect(expires).toBeGreaterThanOrEqual(before + 7_200_000)
    expect(expires).toBeLessThanOrEqual(Date.now() + 7_200_000)
    expect(keys[1]?.expiresAt).toBeNull()

    expect((await h.run("key", "rotate", id, "1", "--overlap", "0")).exitCode).toBe(0)
    const refused = await h.run("key", "rotate", id, "1")
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toContain("api key 1 is expired")
    expect((await h.run("key", "rotate", id, "99")).exitCode).toBe(1)
    expect((await h.run("key", "rotate", id, "2", "--overlap", "31d")).exitCode).toBe(1)
    const actions = (await auditOf(h, id)).map((e) => e.action)
    expect(actions).toEqual(["api-key.rotate", "api-key.rotate", "api-key.issue", "tenant.create"])
  })
})

it("reads an overlap as seconds, minutes, hours or days, at most 30 days", () => {
  expect(parseOverlap("0")).toMatchObject({ _tag: "Some", value: 0 })
  expect(parseOverlap("3600")).toMatchObject({ value: 3600 })
  expect(parseOverlap("90m")).toMatchObject({ value: 5400 })
  expect(parseOverlap("24h")).toMatchObject({ value: 86_400 })
  expect(parseOverlap("30d")).toMatchObject({ value: 2_592_000 })
  for (const bad of ["31d", "-1", "1.5h", "h", "", "1w"]) expect(parseOverlap(bad)._tag).toBe("None")
})
