import { Context, Effect } from "effect"
import { expect, it } from "vitest"
import { authenticateClient } from "../../application/oauth/clients.ts"
import { AuditLog } from "../../application/ports/admin.ts"
import { KeySecrets } from "../../application/ports/key-secrets.ts"
import { OAuthClients } from "../../application/ports/oauth.ts"
import { clientSecretPrefix } from "../../domain/oauth.ts"
import { type AdminHarness, forEachStorage } from "../../test/support/admin-cli.ts"

const clientIdLine = /^posc_\d+$/
const secretLine = /^poscs_[A-Za-z0-9]{32,}$/

const storedClients = (h: AdminHarness, tenant: string) =>
  h.inTenant(
    tenant,
    Effect.flatMap(OAuthClients, (clients) => clients.list)
  )

/** The token endpoint's answer to these credentials, past HTTP: a client, or why it was refused. */
const authenticate = (h: AdminHarness, tenant: string, clientId: string, secret: string) =>
  h.inTenant(
    tenant,
    authenticateClient(clientId, secret).pipe(Effect.provideService(KeySecrets, Context.get(h.context, KeySecrets)))
  )

/** Audit entries, newest first: a tenant's, or (null) those whose action starts with `action`. */
const auditOf = (h: AdminHarness, tenantId: string | null, action: string | null = null) =>
  Effect.runPromise(Context.get(h.context, AuditLog).list({ tenantId, action, beforeId: null, limit: 100 }))

forEachStorage("oauth-clients and signing-keys commands", (harness) => {
  const withTenant = async () => {
    const h = harness()
    const id = h.tenant("acme")
    expect((await h.run("tenant", "create", id)).exitCode).toBe(0)
    return { h, id }
  }

  it("create prints the client id and the secret alone, once; list and show never hold the secret", async () => {
    const { h, id } = await withTenant()
    const created = await h.run(
      "oauth-clients",
      "create",
      id,
      "--name",
      "kiosk vendor",
      "--scopes",
      "outlets:read, orders:write,loyalty:*"
    )
    expect(created.exitCode).toBe(0)
    const [clientId = "", secret = "", ...rest] = created.stdout.split("\n")
    expect(rest).toEqual([])
    expect(clientId).toMatch(clientIdLine)
    expect(secret).toMatch(secretLine)
    expect(created.stderr).toContain(`created OAuth client ${clientId} ('kiosk vendor') for tenant '${id}'`)
    expect(created.stderr).toContain("scopes outlets:read,orders:write,loyalty:read,loyalty:write")
    expect(created.stderr).toContain(`POST http://${id}.localhost:8080/oauth/token`)
    expect(created.stderr).not.toContain(secret)

    const [stored, ...others] = await storedClients(h, id)
    expect(others).toEqual([])
    expect(stored?.scopes).toEqual(["outlets:read", "orders:write", "loyalty:read", "loyalty:write"])
    expect(stored?.secretHash).toBe(Context.get(h.context, KeySecrets).hash(secret.slice(clientSecretPrefix.length)))
    expect(await authenticate(h, id, clientId, secret)).toMatchObject({ client: { id: stored?.id } })

    const listed = await h.run("oauth-clients", "list", id)
    expect(listed.exitCode).toBe(0)
    const [header, row] = listed.stdout.split("\n")
    expect(header).toMatch(/^CLIENT ID\s+NAME\s+SCOPES\s+STATE\s+CREATED\s+EXPIRES\s+LAST USED\s+OLD SECRET UNTIL$/)
    const cells = row?.split(/\s{2,}/) ?? []
    expect(cells.slice(0, 4)).toEqual([
      clientId,
      "kiosk vendor",
      "outlets:read,orders:write,loyalty:read,loyalty:write",
      "active"
    ])
    expect(cells.slice(5)).toEqual(["never", "never", "-"])

    const shown = await h.run("oauth-clients", "show", id, clientId)
    expect(shown.exitCode).toBe(0)
    expect(shown.stdout).toMatch(/state\s+active/)
    expect(shown.stdout).toMatch(/name\s+kiosk vendor/)
    for (const output of [listed.stdout, shown.stdout]) {
      expect(output).not.toContain(secret.slice(clientSecretPrefix.length))
      expect(output).not.toContain(stored!.secretHash)
    }
    expect((await h.run("oauth-clients", "list", h.tenant("acme"))).stderr).toMatch(/^error: no tenant /)
  })

  it("takes --expires-at, and refuses one in the past, an empty name, unknown scopes or none", async () => {
    const { h, id } = await withTenant()
    const dated = await h.run(
      "oauth-clients",
      "create",
      id,
      "--name",
      "dated",
      "--scopes",
      "outlets:read",
      "--expires-at",
      "2999-01-01T08:00:00+08:00"
    )
    expect(dated.exitCode).toBe(0)
    expect((await storedClients(h, id))[0]?.expiresAt?.toISOString()).toBe("2999-01-01T00:00:00.000Z")

    const unknown = await h.run("oauth-clients", "create", id, "--name", "x", "--scopes", "orders:read,orders:delete")
    expect(unknown.exitCode).toBe(1)
    expect(unknown.stderr).toContain("Invalid value for flag --scopes")
    expect(unknown.stderr).toContain("'orders:delete' is not one")
    expect(unknown.stderr).toContain("loyalty:*")
    expect((await h.run("oauth-clients", "create", id, "--name", "x", "--scopes", " , ")).stderr).toContain(
      "at least one scope"
    )
    const past = await h.run(
      "oauth-clients",
      "create",
      id,
      "--name",
      "x",
      "--scopes",
      "outlets:read",
      "--expires-at",
      "2020-01-01T00:00:00Z"
    )
    expect(past.stderr).toBe("error: --expires-at 2020-01-01T00:00:00.000Z is not in the future")
    expect((await h.run("oauth-clients", "create", id, "--name", "  ", "--scopes", "outlets:read")).stderr).toBe(
      "error: --name must not be empty"
    )
    expect(await storedClients(h, id)).toHaveLength(1)
  })

  it("rotate prints the new secret alone and keeps the old one for the overlap; revoke refuses both", async () => {
    const { h, id } = await withTenant()
    const [clientId = "", first = ""] = (
      await h.run("oauth-clients", "create", id, "--name", "pos app", "--scopes", "pos:sync")
    ).stdout.split("\n")

    const before = Date.now()
    const rotated = await h.run("oauth-clients", "rotate", id, clientId)
    expect(rotated.exitCode).toBe(0)
    const second = rotated.stdout
    expect(second).toMatch(secretLine)
    expect(rotated.stderr).toContain(`rotated the secret of OAuth client ${clientId} ('pos app') of tenant '${id}'`)
    expect(rotated.stderr).toContain("the old secret works until")
    const overlapEnds = (await storedClients(h, id))[0]!.previousSecretExpiresAt!.getTime()
    expect(overlapEnds).toBeGreaterThanOrEqual(before + 86_400_000)
    expect(overlapEnds).toBeLessThanOrEqual(Date.now() + 86_400_000)
    expect(await authenticate(h, id, clientId, first)).toHaveProperty("client")
    expect(await authenticate(h, id, clientId, second)).toHaveProperty("client")
    expect((await h.run("oauth-clients", "list", id)).stdout.split("\n")[1]).toMatch(/\d{4}-\d{2}-\d{2}T\S+Z$/)

    // With no overlap, the secrets before it stop at once.
    const third = await h.run("oauth-clients", "rotate", id, clientId, "--overlap", "0")
    expect(third.stderr).toContain("the old secret stops working now")
    expect(await authenticate(h, id, clientId, first)).toEqual({ refused: "secret mismatch" })
    expect(await authenticate(h, id, clientId, second)).toEqual({ refused: "secret mismatch" })
    expect(await authenticate(h, id, clientId, third.stdout)).toHaveProperty("client")

    const tooLong = await h.run("oauth-clients", "rotate", id, clientId, "--overlap", "31d")
    expect(tooLong.exitCode).toBe(1)
    expect(tooLong.stderr).toContain("Invalid value for flag --overlap")

    const revoked = await h.run("oauth-clients", "revoke", id, clientId)
    expect(revoked.exitCode).toBe(0)
    expect(revoked.stdout).toMatch(
      new RegExp(`^revoked OAuth client ${clientId} \\('pos app'\\) of tenant '${id}' at \\d{4}-`)
    )
    expect(await authenticate(h, id, clientId, third.stdout)).toEqual({ refused: "revoked" })
    expect((await h.run("oauth-clients", "revoke", id, clientId)).stdout).toContain("was already revoked at")
    expect((await h.run("oauth-clients", "show", id, clientId)).stdout).toMatch(/state\s+revoked/)
    const refused = await h.run("oauth-clients", "rotate", id, clientId)
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toBe(
      `error: oauth client ${clientId} is revoked: only an active client's secret is rotated; create a new client instead`
    )

    const entries = await auditOf(h, id)
    expect(entries.map((e) => [e.action, e.actor, e.target])).toEqual([
      ["oauth-client.revoke", "admin CLI", `client ${clientId}`],
      ["oauth-client.rotate", "admin CLI", `client ${clientId}`],
      ["oauth-client.rotate", "admin CLI", `client ${clientId}`],
      ["oauth-client.create", "admin CLI", `client ${clientId}`],
      ["tenant.create", "admin CLI", null]
    ])
    for (const secret of [first, second, third.stdout]) expect(JSON.stringify(entries)).not.toContain(secret)
  })

  it.each([["posc_999"], ["kiosk"], ["posc_0"]])(
    "show, rotate and revoke of unknown client %j fail",
    async (clientId) => {
      const { h, id } = await withTenant()
      for (const command of ["show", "rotate", "revoke"]) {
        const result = await h.run("oauth-clients", command, id, clientId)
        expect(result.exitCode).toBe(1)
        expect(result.stderr).toBe(`error: tenant '${id}' has no OAuth client '${clientId}'`)
        expect(result.stdout).toBe("")
      }
      expect((await auditOf(h, id)).map((e) => e.action)).toEqual(["tenant.create"])
    }
  )

  it("signing-keys rotate publishes a first key that signs at once, then a pending one; list shows both", async () => {
    const h = harness()
    // The harness runs no background job: no key until one is asked for.
    expect((await h.run("signing-keys", "list")).stdout).toMatch(/^no signing keys/)
    const first = await h.run("signing-keys", "rotate")
    expect(first.exitCode).toBe(0)
    expect(first.stdout).toMatch(/^published signing key \S+: it signs now/)
    const next = await h.run("signing-keys", "rotate")
    expect(next.exitCode).toBe(0)
    const kid = /^published signing key (\S+): it signs from (\S+);/.exec(next.stdout)
    expect(kid, next.stdout).not.toBeNull()
    expect(new Date(kid![2]!).getTime()).toBeGreaterThan(Date.now())
    const again = await h.run("signing-keys", "rotate")
    expect(again.stdout).toBe(`signing key ${kid![1]} is already waiting: it signs from ${kid![2]}; nothing published`)

    const listed = (await h.run("signing-keys", "list")).stdout.split("\n")
    expect(listed[0]).toMatch(/^KID\s+STATUS\s+CREATED\s+SIGNS FROM\s+REMOVABLE AT\s+PROBLEM$/)
    expect(listed.slice(1).map((line) => line.split(/\s{2,}/)[1])).toEqual(["signing", "pending"])
    expect(listed[2]?.split(/\s{2,}/)[0]).toBe(kid![1])
    expect(listed.join("\n")).not.toMatch(/"d"|privateJwk/)

    const entries = await auditOf(h, null, "signing-key.")
    expect(entries.map((e) => [e.action, e.actor, e.tenantId])).toEqual([
      ["signing-key.publish", "admin CLI", null],
      ["signing-key.publish", "admin CLI", null]
    ])
    expect(entries[0]?.summary).toContain(`published token signing key ${kid![1]}, signing from`)
  })
})
