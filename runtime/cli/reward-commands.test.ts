import { expect, it } from "vitest"
import { forEachStorage } from "../../test/support/admin-cli.ts"

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
  })
})
