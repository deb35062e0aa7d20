import { Effect } from "effect"
import { expect, it } from "vitest"
import { Outlets, type StoreRow } from "../../application/ports/catalog.ts"
import { type AdminHarness, forEachStorage } from "../../test/support/admin-cli.ts"

const outlet: StoreRow = {
  id: "out_atlas_1",
  provider: "atlas-kitchen",
  externalId: "1",
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
  identifiers: { outletId: "1" },
  createdAt: new Date("2026-01-01T00:00:00.000Z"),
  updatedAt: new Date("2026-01-01T00:00:00.000Z")
}
const secret = "atlas-secret-api-key-7f3a9c"
const valid = JSON.stringify({ apiKey: secret, merchantId: "m-1", channelId: "c-1", webhookToken: "whk-token-91" })

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
const storedSecrets = (h: AdminHarness, id: string) =>
  h.inTenant(
    id,
    Effect.flatMap(Outlets, (outlets) => outlets.getSecrets(outlet.id))
  )

forEachStorage("store set-credentials", (harness) => {
  it("stores the plugin's credentials for the outlet and never prints them", async () => {
    const h = harness()
    const id = await withOutlet(h)
    const result = await h.run("store", "set-credentials", id, "atlas-kitchen", "1", "--json", valid)
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain("out_atlas_1")
    const stored = JSON.parse((await storedSecrets(h, id)) ?? "null") as Record<string, string>
    expect(stored).toMatchObject({ apiKey: secret, baseUrl: "https://api.atlas.kitchen/admin/v1" })
    expect(h.transcript.join("\n")).not.toContain(secret)
  })

  it("refuses an unknown provider, bad JSON, credentials of the wrong shape, an unknown outlet or tenant", async () => {
    const h = harness()
    const id = await withOutlet(h)
    const unknown = await h.run("store", "set-credentials", id, "square", "1", "--json", valid)
    expect(unknown.exitCode).toBe(1)
    expect(unknown.stderr).toContain("no POS plugin 'square'")
    // The parser's message would quote the text around the fault: the secret.
    const badJson = await h.run("store", "set-credentials", id, "atlas-kitchen", "1", "--json", `{"apiKey":"${secret}"`)
    expect(badJson.stderr).toBe("error: --json is not valid JSON")
    const wrong = await h.run(
      "store",
      "set-credentials",
      id,
      "atlas-kitchen",
      "1",
      "--json",
      JSON.stringify({ apiKey: secret, merchantId: 42 })
    )
    expect(wrong.exitCode).toBe(1)
    expect(wrong.stderr).toContain("merchantId")
    expect(wrong.stderr).toContain("channelId")
    const noOutlet = await h.run("store", "set-credentials", id, "atlas-kitchen", "99", "--json", valid)
    expect(noOutlet.exitCode).toBe(1)
    expect(noOutlet.stderr).toContain("no atlas-kitchen outlet '99'")
    const noTenant = await h.run("store", "set-credentials", "ghost", "atlas-kitchen", "1", "--json", valid)
    expect(noTenant.stderr).toBe("error: no tenant 'ghost'")
    expect(await storedSecrets(h, id)).toBeUndefined()
    expect(h.transcript.join("\n")).not.toContain(secret)
  })
})
