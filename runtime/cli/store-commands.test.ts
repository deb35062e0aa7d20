import { Context, Effect } from "effect"
import { expect, it } from "vitest"
import { AuditLog } from "../../application/ports/admin.ts"
import { Outlets, type StoreRow } from "../../application/ports/catalog.ts"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { type AdminHarness, forEachStorage } from "../../test/support/admin-cli.ts"

const outlet: StoreRow = {
  id: "out_deliverect_cl1",
  provider: "deliverect",
  externalId: "cl-1",
  name: "Tanjong Pagar",
  active: true,
  currency: "SGD",
  timezone: "Asia/Singapore",
  country: "SG",
  address: null,
  postalCode: null,
  phone: null,
  taxInclusive: true,
  serviceHours: [],
  identifiers: { channelLinkId: "cl-1" },
  accountId: "acc-1",
  busyMode: "ONLINE",
  createdAt: new Date("2026-01-01T00:00:00.000Z"),
  updatedAt: new Date("2026-01-01T00:00:00.000Z")
}
const secret = "deliverect-client-secret-7f3a9c"
const webhookSecret = "whsec-91b2c3d4"
const valid = JSON.stringify({ channelName: "acme", clientId: "client-1", clientSecret: secret, webhookSecret })

/** A tenant with the outlet as an outlet sync would leave it. */
const withOutlet = async (h: AdminHarness) => {
  const id = h.tenant("acme")
  expect((await h.run("tenant", "create", id)).exitCode).toBe(0)
  await h.inTenant(
    id,
    Effect.flatMap(Outlets, (outlets) => outlets.save([outlet]))
  )
  return id
}
/** The credentials entries of the audit log about one tenant, newest first. */
const audited = (h: AdminHarness, tenantId: string) =>
  Effect.runPromise(
    Context.get(h.context, AuditLog).list({ tenantId, action: "credentials.", beforeId: null, limit: 100 })
  )
const stored = (h: AdminHarness, id: string) =>
  h.inTenant(
    id,
    Effect.flatMap(PosCredentialStore, (credentials) => credentials.getOutlet(outlet.id))
  )

forEachStorage("store set-credentials", (harness) => {
  it("stores the plugin's outlet credentials, with its defaults, and never prints them", async () => {
    const h = harness()
    const id = await withOutlet(h)
    const result = await h.run("store", "set-credentials", id, "deliverect", "cl-1", "--json", valid)
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toBe(`credentials set for outlet ${outlet.id} (deliverect cl-1, 'Tanjong Pagar')`)
    expect(JSON.parse((await stored(h, id)) ?? "null")).toEqual({
      baseUrl: "https://api.deliverect.com",
      channelName: "acme",
      clientId: "client-1",
      clientSecret: secret,
      webhookSecret
    })
    // Set again: the new value replaces the old.
    const again = JSON.stringify({ channelName: "acme", clientId: "client-2", clientSecret: "s2", webhookSecret: "w2" })
    expect((await h.run("store", "set-credentials", id, "deliverect", "cl-1", "--json", again)).exitCode).toBe(0)
    expect(JSON.parse((await stored(h, id)) ?? "null")).toMatchObject({ clientId: "client-2", clientSecret: "s2" })
    expect(h.transcript.join("\n")).not.toContain(secret)
    expect(h.transcript.join("\n")).not.toContain(webhookSecret)
    // Each setting is audited by the outlet it concerns, never by value.
    const entries = await audited(h, id)
    expect(entries.map((e) => [e.action, e.actor, e.target, e.address])).toEqual([
      ["credentials.set", "admin CLI", `outlet ${outlet.id}`, null],
      ["credentials.set", "admin CLI", `outlet ${outlet.id}`, null]
    ])
    expect(entries[0]?.summary).toBe(
      `set the credentials of outlet ${outlet.id} (deliverect cl-1, 'Tanjong Pagar'); the values are not recorded`
    )
    for (const value of [secret, webhookSecret, "s2", "w2", "client-2"])
      expect(JSON.stringify(entries)).not.toContain(value)

    // Deleted: the outlet has none, and deleting again says so; each deletion that was one is audited.
    const deleted = await h.run("store", "delete-credentials", id, "deliverect", "cl-1")
    expect(deleted.stdout).toBe(`credentials deleted for outlet ${outlet.id} (deliverect cl-1, 'Tanjong Pagar')`)
    expect(await stored(h, id)).toBeUndefined()
    expect((await h.run("store", "delete-credentials", id, "deliverect", "cl-1")).stdout).toContain(
      "had no credentials: nothing to delete"
    )
    expect((await h.run("store", "delete-credentials", id, "deliverect", "cl-99")).exitCode).toBe(1)
    expect((await audited(h, id)).map((e) => e.action)).toEqual([
      "credentials.delete",
      "credentials.set",
      "credentials.set"
    ])
  })

  it("refuses an unknown provider, bad JSON, credentials of the wrong shape, an unknown outlet or tenant", async () => {
    const h = harness()
    const id = await withOutlet(h)
    const unknown = await h.run("store", "set-credentials", id, "square", "cl-1", "--json", valid)
    expect(unknown.exitCode).toBe(1)
    expect(unknown.stderr).toContain("no POS plugin 'square'")
    // The parser's message would quote the text around the fault: the secret.
    const badJson = await h.run(
      "store",
      "set-credentials",
      id,
      "deliverect",
      "cl-1",
      "--json",
      `{"clientSecret":"${secret}"`
    )
    expect(badJson.stderr).toBe("error: --json is not valid JSON")
    const wrong = await h.run(
      "store",
      "set-credentials",
      id,
      "deliverect",
      "cl-1",
      "--json",
      JSON.stringify({ clientSecret: secret, clientId: 42, webhookSecret: "" })
    )
    expect(wrong.exitCode).toBe(1)
    expect(wrong.stderr).toMatch(/^error: these are not deliverect outlet credentials; check: /)
    for (const path of ["clientId", "channelName", "webhookSecret"]) expect(wrong.stderr).toContain(path)
    const noOutlet = await h.run("store", "set-credentials", id, "deliverect", "cl-99", "--json", valid)
    expect(noOutlet.exitCode).toBe(1)
    expect(noOutlet.stderr).toContain("no deliverect outlet 'cl-99'")
    const noTenant = await h.run("store", "set-credentials", "ghost", "deliverect", "cl-1", "--json", valid)
    expect(noTenant.stderr).toBe("error: no tenant 'ghost'")
    expect(await stored(h, id)).toBeUndefined()
    expect(h.transcript.join("\n")).not.toContain(secret)
    expect(await audited(h, id)).toEqual([])
  })

  it("refuses account credentials given as an outlet's (Lightspeed takes none per location)", async () => {
    const h = harness()
    const id = await withOutlet(h)
    await h.inTenant(
      id,
      Effect.flatMap(Outlets, (outlets) =>
        outlets.save([{ ...outlet, id: "out_ls_1", provider: "lightspeed", externalId: "bl-1" }])
      )
    )
    const refused = await h.run(
      "store",
      "set-credentials",
      id,
      "lightspeed",
      "bl-1",
      "--json",
      JSON.stringify({ clientId: "c", clientSecret: secret, refreshToken: "rt" })
    )
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toMatch(/^error: these are not lightspeed outlet credentials/)
    expect(h.transcript.join("\n")).not.toContain(secret)
  })
})
