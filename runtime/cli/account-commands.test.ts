import { Context, Effect } from "effect"
import { expect, it } from "vitest"
import { AuditLog } from "../../application/ports/admin.ts"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { forEachStorage } from "../../test/support/admin-cli.ts"

const apiKey = "atlas-admin-api-key-5e6f7a"
const webhookToken = "atlas-webhook-token-0c1d2e"
const merchant = JSON.stringify({ merchantId: "m-1", apiKey, channelId: "ch-1", webhookToken })

/** The credentials entries of the audit log (about one tenant, or about none), newest first. */
const audited = (
  h: { readonly context: Context.Context<AuditLog> },
  tenantId: string | null,
  action = "credentials."
) => Effect.runPromise(Context.get(h.context, AuditLog).list({ tenantId, action, beforeId: null, limit: 100 }))

forEachStorage("account set-credentials", (harness) => {
  it("stores a POS account's credentials (no outlet needed), with the plugin's defaults, and never prints them", async () => {
    const h = harness()
    const id = h.tenant("acme")
    expect((await h.run("tenant", "create", id)).exitCode).toBe(0)
    const result = await h.run("account", "set-credentials", id, "atlas-kitchen", "m-1", "--json", merchant)
    expect(result.stderr).toBe("")
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toBe(`credentials set for atlas-kitchen account 'm-1' of tenant '${id}'`)
    const read = (accountId: string) =>
      h.inTenant(
        id,
        Effect.flatMap(PosCredentialStore, (credentials) => credentials.getAccount("atlas-kitchen", accountId))
      )
    expect(JSON.parse((await read("m-1")) ?? "null")).toEqual({
      adminBaseUrl: "https://api.atlas.kitchen/admin/v1",
      storefrontBaseUrl: "https://api.atlas.kitchen/storefronts/v1",
      merchantId: "m-1",
      apiKey,
      channelId: "ch-1",
      webhookToken
    })
    expect(await read("m-2")).toBeUndefined()
    expect(h.transcript.join("\n")).not.toContain(apiKey)
    expect(h.transcript.join("\n")).not.toContain(webhookToken)
    const entries = await audited(h, id)
    expect(entries.map((e) => [e.action, e.actor, e.target, e.summary])).toEqual([
      [
        "credentials.set",
        "admin CLI",
        "atlas-kitchen account m-1",
        "set the credentials of atlas-kitchen account 'm-1'; the values are not recorded"
      ]
    ])
    expect(JSON.stringify(entries)).not.toContain(apiKey)
    expect(JSON.stringify(entries)).not.toContain(webhookToken)

    const deleted = await h.run("account", "delete-credentials", id, "atlas-kitchen", "m-1")
    expect(deleted.stdout).toBe(`credentials deleted for atlas-kitchen account 'm-1' of tenant '${id}'`)
    expect(await read("m-1")).toBeUndefined()
    expect((await h.run("account", "delete-credentials", id, "atlas-kitchen", "m-1")).stdout).toContain(
      "had no credentials: nothing to delete"
    )
    expect((await audited(h, id)).map((e) => [e.action, e.target])).toEqual([
      ["credentials.delete", "atlas-kitchen account m-1"],
      ["credentials.set", "atlas-kitchen account m-1"]
    ])
  })

  it("refuses a plugin without an account level, credentials of the wrong shape, bad JSON, unknown tenant or plugin", async () => {
    const h = harness()
    const id = h.tenant("acme")
    expect((await h.run("tenant", "create", id)).exitCode).toBe(0)
    const noLevel = await h.run(
      "account",
      "set-credentials",
      id,
      "deliverect",
      "acc-1",
      "--json",
      JSON.stringify({ clientSecret: apiKey })
    )
    expect(noLevel.exitCode).toBe(1)
    expect(noLevel.stderr).toBe(
      "error: the deliverect plugin has no account-level credentials: set them per outlet (store set-credentials)"
    )
    const wrong = await h.run(
      "account",
      "set-credentials",
      id,
      "atlas-kitchen",
      "m-1",
      "--json",
      JSON.stringify({ apiKey, adminBaseUrl: "ftp://x" })
    )
    expect(wrong.exitCode).toBe(1)
    expect(wrong.stderr).toMatch(/^error: these are not atlas-kitchen account credentials; check: /)
    expect(wrong.stderr).toContain("merchantId")
    expect(wrong.stderr).toContain("adminBaseUrl")
    const badJson = await h.run(
      "account",
      "set-credentials",
      id,
      "atlas-kitchen",
      "m-1",
      "--json",
      `{"apiKey":"${apiKey}`
    )
    expect(badJson.stderr).toBe("error: --json is not valid JSON")
    const noTenant = await h.run("account", "set-credentials", "ghost", "atlas-kitchen", "m-1", "--json", merchant)
    expect(noTenant.stderr).toBe("error: no tenant 'ghost'")
    const noPlugin = await h.run("account", "set-credentials", id, "square", "m-1", "--json", merchant)
    expect(noPlugin.stderr).toContain("no POS plugin 'square'")
    const stored = await h.inTenant(
      id,
      Effect.flatMap(PosCredentialStore, (credentials) => credentials.getAccount("atlas-kitchen", "m-1"))
    )
    expect(stored).toBeUndefined()
    expect(h.transcript.join("\n")).not.toContain(apiKey)
    expect(await audited(h, id)).toEqual([])
  })

  it("credentials reseal reports every tenant's credentials under the current key", async () => {
    const h = harness()
    const id = h.tenant("acme")
    expect((await h.run("tenant", "create", id)).exitCode).toBe(0)
    expect((await h.run("account", "set-credentials", id, "atlas-kitchen", "m-1", "--json", merchant)).exitCode).toBe(0)
    const result = await h.run("credentials", "reseal")
    expect(result.stderr).toBe("")
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^${id}: 1 sealed under key '[A-Za-z0-9_-]+'$`, "m"))
    expect(result.stdout).toMatch(/^loyalty credentials: \d+ usable/m)
    expect(h.transcript.join("\n")).not.toContain(apiKey)
    // One entry for the whole run, about no one tenant; counts and key ids, never a value.
    const [entry, ...more] = await audited(h, null, "credentials.reseal")
    expect(more).toEqual([])
    expect(entry).toMatchObject({ actor: "admin CLI", tenantId: null, address: null })
    expect(entry?.summary).toMatch(
      /^resealed the POS credentials of \d+ tenants under key '[A-Za-z0-9_-]+': \d+ sealed, \d+ just now, 0 left as they are$/
    )
    expect(JSON.stringify(entry)).not.toContain(apiKey)
  })
})
