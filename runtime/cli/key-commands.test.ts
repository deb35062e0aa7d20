import { Context, Effect } from "effect"
import { describe, expect, it } from "vitest"
import { ApiKeys } from "../../application/ports/api-keys.ts"
import { KeySecrets } from "../../application/ports/key-secrets.ts"
import { parseApiKey } from "../../domain/api-key.ts"
import { type AdminHarness, forEachStorage, keyLine } from "../../test/support/admin-cli.ts"

const storedKeys = (h: AdminHarness, tenant: string) =>
  h.inTenant(
    tenant,
    Effect.flatMap(ApiKeys, (keys) => keys.list)
  )

forEachStorage("key commands", (harness) => {
  const withTenant = async () => {
    const h = harness()
    const id = h.tenant("acme")
    expect((await h.run("tenant", "create", id)).exitCode).toBe(0)
    return { h, id }
  }
  // Refused arguments never reach storage: one tenant, which must stay without keys, serves them all.
  let untouched: Promise<{ h: AdminHarness; id: string }> | undefined
  const untouchedTenant = () => {
    untouched ??= withTenant()
    return untouched
  }

  it("issue prints the key alone on stdout, and storage holds only its hash", async () => {
    const { h, id } = await withTenant()
    const issued = await h.run("key", "issue", id, "--kind", "partner", "--name", "Grab")
    expect(issued.exitCode).toBe(0)
    expect(issued.stdout.split("\n")).toHaveLength(1)
    expect(issued.stdout).toMatch(keyLine)
    expect(issued.stderr).toContain(`issued key 1 ('Grab', partner) for tenant '${id}'`)
    expect(issued.stderr).not.toContain(issued.stdout)

    const parsed = parseApiKey(issued.stdout)!
    const [stored, ...others] = await storedKeys(h, id)
    expect(others).toEqual([])
    expect(stored?.id).toBe(parsed.keyId)
    expect(stored?.secretHash).toBe(Context.get(h.context, KeySecrets).hash(parsed.secret))
    expect(JSON.stringify(stored)).not.toContain(parsed.secret)
    expect(stored?.scopes).not.toContain("pos:sync")
  })

  it("list shows the key without its secret or hash", async () => {
    const { h, id } = await withTenant()
    const key = (await h.run("key", "issue", id, "--kind", "pos")).stdout
    const listed = await h.run("key", "list", id)
    expect(listed.exitCode).toBe(0)
    const [header, row] = listed.stdout.split("\n")
    expect(header).toMatch(/^ID\s+NAME\s+KIND\s+SCOPES\s+CREATED\s+EXPIRES\s+REVOKED\s+LAST USED$/)
    const cells = row?.split(/\s{2,}/) ?? []
    expect(cells.slice(0, 4)).toEqual(["1", "pos key", "pos", "pos:sync,outlets:read,products:read"])
    expect(cells.slice(5)).toEqual(["never", "no", "never"])
    const [stored] = await storedKeys(h, id)
    expect(listed.stdout).not.toContain(parseApiKey(key)!.secret)
    expect(listed.stdout).not.toContain(stored!.secretHash)
  })

  it("revoke marks the key revoked; a second revoke says so", async () => {
    const { h, id } = await withTenant()
    await h.run("key", "issue", id, "--kind", "editor")
    const revoked = await h.run("key", "revoke", id, "1")
    expect(revoked.exitCode).toBe(0)
    expect(revoked.stdout).toMatch(new RegExp(`^revoked key 1 \\('editor key'\\) of tenant '${id}' at \\d{4}-`))

    const row = (await h.run("key", "list", id)).stdout.split("\n")[1]?.split(/\s{2,}/) ?? []
    expect(row[6]).toMatch(/^\d{4}-\d{2}-\d{2}T/)
    expect((await storedKeys(h, id))[0]?.revokedAt).toBeInstanceOf(Date)

    const again = await h.run("key", "revoke", id, "1")
    expect(again.exitCode).toBe(0)
    expect(again.stdout).toContain("was already revoked at")
  })

  it("revoke of an unknown key id fails", async () => {
    const { h, id } = await withTenant()
    const result = await h.run("key", "revoke", id, "99")
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toBe(`error: tenant '${id}' has no key 99`)
  })

  it("takes explicit scopes", async () => {
    const { h, id } = await withTenant()
    const result = await h.run("key", "issue", id, "--kind", "partner", "--scopes", "orders:read, orders:write")
    expect(result.exitCode).toBe(0)
    expect((await storedKeys(h, id))[0]?.scopes).toEqual(["orders:read", "orders:write"])
  })

  it.each([
    ["orders:read,orders:delete", "'orders:delete' is not one"],
    [" , ", "at least one scope"]
  ])("refuses --scopes %j, listing the valid ones", async (scopes, problem) => {
    const { h, id } = await untouchedTenant()
    const result = await h.run("key", "issue", id, "--kind", "partner", "--scopes", scopes)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain("Invalid value for flag --scopes")
    expect(result.stderr).toContain(problem)
    expect(result.stderr).toContain("valid scopes: outlets:read, products:read")
    expect(result.stdout).not.toMatch(/posk_/)
    expect(await storedKeys(h, id)).toEqual([])
  })

  it("takes --expires-at with an offset", async () => {
    const { h, id } = await withTenant()
    const result = await h.run("key", "issue", id, "--kind", "pos", "--expires-at", "2999-01-01T08:00:00+08:00")
    expect(result.exitCode).toBe(0)
    expect((await storedKeys(h, id))[0]?.expiresAt?.toISOString()).toBe("2999-01-01T00:00:00.000Z")
  })

  it("refuses --expires-at in the past", async () => {
    const { h, id } = await untouchedTenant()
    const result = await h.run("key", "issue", id, "--kind", "pos", "--expires-at", "2020-01-01T00:00:00Z")
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toBe("error: --expires-at 2020-01-01T00:00:00.000Z is not in the future")
    expect(result.stdout).toBe("")
    expect(await storedKeys(h, id)).toEqual([])
  })

  it.each([
    "2999-01-01",
    "2999-01-01T00:00:00",
    "2999-02-30T00:00:00Z",
    "2999-01-01T24:00:00Z",
    "2999-01-01T00:00:00+0800",
    "next year"
  ])("refuses a malformed --expires-at %j", async (value) => {
    const { h, id } = await untouchedTenant()
    const result = await h.run("key", "issue", id, "--kind", "pos", "--expires-at", value)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain("Invalid value for flag --expires-at")
    expect(result.stderr).toContain("RFC 3339")
    expect(await storedKeys(h, id)).toEqual([])
  })

  it("refuses an unknown --kind", async () => {
    const { h, id } = await untouchedTenant()
    const result = await h.run("key", "issue", id, "--kind", "admin")
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain("--kind")
  })

  describe("unknown tenants", () => {
    it.each([
      [["key", "issue", "ghost", "--kind", "partner"]],
      [["key", "list", "ghost"]],
      [["key", "revoke", "ghost", "1"]],
      [["tenant", "set-loyalty", "ghost", "--credential", "c"]],
      [["reward", "list", "ghost"]],
      [["key", "list", "NOT_AN_ID"]]
    ])("%j fails with a clear error", async (argv) => {
      const h = harness()
      const result = await h.run(...argv)
      expect(result.exitCode).toBe(1)
      expect(result.stderr).toBe(`error: no tenant '${argv[2]}'`)
      expect(result.stdout).toBe("")
    })
  })
})
