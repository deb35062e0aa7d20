import { Context, Effect } from "effect"
import { expect, it } from "vitest"
import { AuditLog } from "../../application/ports/admin.ts"
import { type AdminHarness, forEachStorage } from "../../test/support/admin-cli.ts"

/** The reward entries of the audit log about one tenant, newest first. */
const audited = (h: AdminHarness, tenantId: string) =>
  Effect.runPromise(Context.get(h.context, AuditLog).list({ tenantId, action: "reward.", beforeId: null, limit: 100 }))

forEachStorage("reward commands", (harness) => {
  it("sets, updates, lists and removes a tenant's rewards", async () => {
    const h = harness()
    const id = h.tenant("acme")
    await h.run("tenant", "create", id)
    expect((await h.run("reward", "list", id)).stdout).toBe(`no rewards for tenant '${id}'`)
    const set = await h.run("reward", "set", id, "kopi", "--name", "Kopi O", "--points", "20")
    expect(set.exitCode).toBe(0)
    expect(set.stdout).toContain(`reward 'kopi' set for tenant '${id}': Kopi O, 20 points`)
    await h.run("reward", "set", id, "cake", "--name", "Cake", "--points", "80")
    await h.run("reward", "set", id, "kopi", "--name", "Kopi C", "--points", "25")
    const rows = (await h.run("reward", "list", id)).stdout.split("\n").map((l) => l.split(/\s{2,}/))
    expect(rows).toEqual([
      ["REWARD", "NAME", "POINTS"],
      ["cake", "Cake", "80"],
      ["kopi", "Kopi C", "25"]
    ])
    expect((await h.run("reward", "remove", id, "cake")).exitCode).toBe(0)
    const again = await h.run("reward", "remove", id, "cake")
    expect(again.exitCode).toBe(1)
    expect(again.stderr).toContain("no reward 'cake'")
    expect((await h.run("reward", "list", id)).stdout.split("\n")).toHaveLength(2)
    // Setting a reward as it is changes nothing, and records nothing.
    expect((await h.run("reward", "set", id, "kopi", "--name", "Kopi C", "--points", "25")).exitCode).toBe(0)
    expect((await audited(h, id)).map((e) => [e.action, e.actor, e.target, e.summary])).toEqual([
      ["reward.remove", "admin CLI", "reward cake", "removed reward 'cake' ('Cake', 80 points)"],
      [
        "reward.set",
        "admin CLI",
        "reward kopi",
        "changed reward 'kopi' from ('Kopi O', 20 points) to ('Kopi C', 25 points)"
      ],
      ["reward.set", "admin CLI", "reward cake", "added reward 'cake' ('Cake', 80 points)"],
      ["reward.set", "admin CLI", "reward kopi", "added reward 'kopi' ('Kopi O', 20 points)"]
    ])
  })

  it("refuses bad points, names and ids, and unknown tenants", async () => {
    const h = harness()
    const id = h.tenant("acme")
    await h.run("tenant", "create", id)
    for (const args of [
      ["kopi", "--name", "Kopi", "--points", "0"],
      ["kopi", "--name", "Kopi", "--points", "-3"],
      ["kopi", "--name", "Kopi", "--points", "abc"],
      ["kopi", "--name", "   ", "--points", "5"],
      ["bad id", "--name", "Kopi", "--points", "5"],
      ["kopi", "--points", "5"]
    ]) {
      const result = await h.run("reward", "set", id, ...args)
      expect(result.exitCode, args.join(" ")).toBe(1)
    }
    expect((await h.run("reward", "list", id)).stdout).toBe(`no rewards for tenant '${id}'`)
    expect((await h.run("reward", "set", "nobody", "kopi", "--name", "Kopi", "--points", "5")).exitCode).toBe(1)
    expect((await h.run("reward", "remove", "nobody", "kopi")).stderr).toBe("error: no tenant 'nobody'")
    expect(await audited(h, id)).toEqual([])
  })
})
