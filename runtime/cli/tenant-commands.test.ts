import { Context, Effect } from "effect"
import * as fc from "fast-check"
import { afterAll, describe, expect, it } from "vitest"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { type AdminHarness, forEachStorage, makeScratchDatabases } from "../../test/support/admin-cli.ts"
import { parseTaxRate, ratePercent } from "./tenant-commands.ts"

const serverUrl = process.env["DATABASE_URL"]
const hasServer = serverUrl !== undefined && serverUrl !== ""

describe("tax rates as an operator types them", () => {
  it.each([
    ["9", 90_000],
    ["8.875", 88_750],
    ["8.875%", 88_750],
    [" 7 ", 70_000],
    ["0", 0],
    ["0.0001", 1],
    ["100", 1_000_000],
    ["100.0000", 1_000_000],
    ["7.00000000", 70_000],
    ["009.5", 95_000],
    ["none", null],
    ["NONE", null]
  ])("reads %j exactly as %j ppm", (raw, ppm) => {
    expect(parseTaxRate(raw)).toBe(ppm)
  })

  it.each([
    ["100.0001", "over 100%"],
    ["101", "over 100%"],
    ["1000", "over 100%"],
    ["8.87501", "a fraction of a part per million"],
    ["0.00001", "a fraction of a part per million"],
    ["-1", "negative"],
    ["9.", "no decimals after the point"],
    [".5", "no digit before the point"],
    ["9,5", "a decimal comma"],
    ["1e1", "an exponent"],
    ["0x10", "hexadecimal"],
    ["9%%", "two percent signs"],
    ["nine", "words"],
    ["", "empty"]
  ])("refuses %j (%s)", (raw) => {
    expect(parseTaxRate(raw)).toBeUndefined()
  })

  it("shows a rate as the percentage that reads back as the same rate", () => {
    expect([0, 1, 90_000, 88_750, 81_250, 1_000_000].map(ratePercent)).toEqual([
      "0%",
      "0.0001%",
      "9%",
      "8.875%",
      "8.125%",
      "100%"
    ])
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (ppm) => {
        expect(parseTaxRate(ratePercent(ppm))).toBe(ppm)
        expect(parseTaxRate(ratePercent(ppm).replace("%", ""))).toBe(ppm)
      })
    )
  })
})

/** A tenant's tax settings as the directory holds them. */
const taxOf = async (h: AdminHarness, id: string) => {
  const tenant = await Effect.runPromise(Context.get(h.context, TenantDirectory).find(id as TenantId))
  return { taxInclusive: tenant?.taxInclusive, taxRatePpm: tenant?.taxRatePpm }
}

forEachStorage("tenant commands", (harness, storageName) => {
  it("creates a tenant in a schema and lists it", async () => {
    const h = harness()
    const id = h.tenant("acme-my")
    const created = await h.run(
      "tenant",
      "create",
      id,
      "--name",
      "Acme Malaysia",
      "--country",
      "MY",
      "--timezone",
      "Asia/Kuala_Lumpur",
      "--currency",
      "MYR"
    )
    expect(created.stderr).toBe("")
    expect(created.exitCode).toBe(0)
    expect(created.stdout).toContain(`created tenant '${id}'`)
    const schema = `tenant_${id.replaceAll("-", "_")}`
    expect(created.stdout).toContain(`schema ${schema} of the control database`)

    const listed = await h.run("tenant", "list")
    expect(listed.exitCode).toBe(0)
    expect(listed.stdout.split("\n")[0]).toMatch(
      /^ID\s+NAME\s+STATUS\s+COUNTRY\s+TIMEZONE\s+CURRENCY\s+STORAGE\s+LOYALTY$/
    )
    expect(await h.tenantRow(id)).toEqual([
      id,
      "Acme Malaysia",
      "active",
      "MY",
      "Asia/Kuala_Lumpur",
      "MYR",
      schema,
      "no"
    ])
  })

  it("applies the defaults and canonicalises the time zone's spelling", async () => {
    const h = harness()
    const id = h.tenant("plain")
    expect((await h.run("tenant", "create", id, "--timezone", "asia/tokyo")).exitCode).toBe(0)
    expect(await h.tenantRow(id)).toEqual([
      id,
      id,
      "active",
      "SG",
      "Asia/Tokyo",
      "SGD",
      `tenant_${id.replaceAll("-", "_")}`,
      "no"
    ])
  })

  it("refuses a duplicate tenant", async () => {
    const h = harness()
    const id = h.tenant("acme")
    expect((await h.run("tenant", "create", id)).exitCode).toBe(0)
    const again = await h.run("tenant", "create", id)
    expect(again.exitCode).toBe(1)
    expect(again.stderr).toBe(`error: tenant '${id}' already exists`)
  })

  it.each([
    [["Acme"], "argument <id>", "a-z, 0-9 and '-'"],
    [["_acme"], "argument <id>", "starting with a letter or digit"],
    [["a".repeat(57)], "argument <id>", "1 to 56 characters"],
    [["refused", "--country", "sg"], "flag --country", "ISO 3166-1"],
    [["refused", "--country", "SGP"], "flag --country", "ISO 3166-1"],
    [["refused", "--currency", "S$"], "flag --currency", "ISO 4217"],
    [["refused", "--timezone", "Mars/Olympus_Mons"], "flag --timezone", "IANA time zone"],
    [["refused", "--timezone", "+08:00"], "flag --timezone", "IANA time zone"],
    [["refused", "--database-url", "mysql://db/x"], "flag --database-url", "postgres://"]
  ])("refuses tenant create %j", async (args, what, rule) => {
    const h = harness()
    const result = await h.run("tenant", "create", ...args)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain(`Invalid value for ${what}`)
    expect(result.stderr).toContain(rule)
    expect(await h.tenantRow(args[0]!)).toBeUndefined()
  })

  it("refuses a malformed --database-url without quoting its password", async () => {
    const h = harness()
    const result = await h.run("tenant", "create", h.tenant("own"), "--database-url", "mysql://app:hunter2@db/x")
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain("a postgres:// or postgresql:// URL, not mysql://***@db/x")
    expect(h.transcript.join("\n")).not.toContain("hunter2")
  })

  if (storageName === "memory") {
    // The memory adapter never connects: only how the URL is shown is checked here.
    it("never shows a database URL's password", async () => {
      const h = harness()
      const id = h.tenant("own")
      const created = await h.run(
        "tenant",
        "create",
        id,
        "--database-url",
        "postgres://app:hunter2@db.internal:5432/own"
      )
      expect(created.exitCode).toBe(0)
      expect(created.stdout).toContain("own database postgres://***@db.internal:5432/own")
      expect((await h.tenantRow(id))?.[6]).toBe("own database")
      expect(h.transcript.join("\n")).not.toContain("hunter2")
    })
  }

  // A tenant on a PostgreSQL database of its own, from the embedded default and from PostgreSQL.
  const ownDatabase = storageName === "memory" ? describe.skip : hasServer ? describe : describe.skip
  ownDatabase(
    `tenant create --database-url on a real server${hasServer ? "" : " (SKIPPED: DATABASE_URL is not set)"}`,
    () => {
      const databases = makeScratchDatabases(serverUrl ?? "")
      afterAll(() => databases.close())

      it("creates the tenant's schema in its fresh database, migrates it, and the tenant works", async () => {
        const h = harness()
        const own = await databases.create("hunter2")
        const id = h.tenant("globex")
        const created = await h.run("tenant", "create", id, "--database-url", own.url)
        expect(created.stderr).toBe("")
        expect(created.exitCode).toBe(0)
        const schema = `tenant_${id.replaceAll("-", "_")}`
        expect(created.stdout).toContain(`own database ${own.url.replace(/\/\/[^@]*@/, "//***@")} (schema ${schema})`)
        const tables = await databases.query(
          own.name,
          `SELECT table_name FROM information_schema.tables WHERE table_schema = '${schema}' ORDER BY 1`
        )
        expect(tables.map((t) => (t as { table_name: string }).table_name)).toEqual(
          expect.arrayContaining(["api_keys", "schema_migrations", "stores", "items", "loyalty_rewards"])
        )
        expect((await h.run("key", "issue", id, "--kind", "partner")).exitCode).toBe(0)
        expect((await h.run("key", "list", id)).stdout).toContain("partner key")
        expect(h.transcript.join("\n")).not.toContain("hunter2")
      })

      it("a database that does not exist is refused with PostgreSQL's reason, and no tenant is created", async () => {
        const h = harness()
        const missing = databases.unusedName()
        const id = h.tenant("ghost-db")
        const result = await h.run("tenant", "create", id, "--database-url", databases.urlOf(missing, "hunter2"))
        expect(result.exitCode).toBe(1)
        // The operation names the database by host and name only: no user, no password.
        expect(result.stderr).toMatch(
          new RegExp(`^error: migrate tenant schema tenant_ghost_db_\\d+ on [\\w.-]+:\\d+/${missing}: `)
        )
        expect(result.stderr).toContain(`database "${missing}" does not exist`)
        expect(h.transcript.join("\n")).not.toContain("hunter2")
        expect(await h.tenantRow(id)).toBeUndefined()
      })

      it("a server that refuses connections is named, without the URL's password", async () => {
        const h = harness()
        const id = h.tenant("refused")
        const result = await h.run("tenant", "create", id, "--database-url", "postgres://app:hunter2@127.0.0.1:1/own")
        expect(result.exitCode).toBe(1)
        expect(result.stderr).toMatch(
          /^error: migrate tenant schema tenant_refused_\d+ on 127\.0\.0\.1:1\/own: Failed to connect: connect ECONNREFUSED 127\.0\.0\.1:1$/
        )
        expect(h.transcript.join("\n")).not.toContain("hunter2")
        expect(await h.tenantRow(id)).toBeUndefined()
      })
    }
  )

  describe("tenant set-loyalty", () => {
    it("shows in the list as yes, and the credential appears nowhere", async () => {
      const h = harness()
      const id = h.tenant("acme")
      await h.run("tenant", "create", id)
      const set = await h.run(
        "tenant",
        "set-loyalty",
        id,
        "--url",
        "https://loyalty.example.com",
        "--credential",
        "sk_live_TOPSECRET"
      )
      expect(set.exitCode).toBe(0)
      expect(set.stdout).toContain(`loyalty configured for tenant '${id}': https://loyalty.example.com`)
      expect((await h.tenantRow(id))?.[7]).toBe("yes")
      expect(h.transcript.join("\n")).not.toContain("TOPSECRET")
    })

    it.each([
      ["https://svc:hunter2@loyalty.example.com", "https://***@loyalty.example.com", "without a user or password"],
      ["http://user:hunter2@host", "http://***@host", "without a user or password"],
      ["http://user:a/hunter2@host/x", "http://***@host/x", "without a user or password"],
      ["ftp://loyalty.example.com", "not ftp://loyalty.example.com", "an http:// or https:// URL"],
      ["hunter2", "not a value that is not a URL", "an http:// or https:// URL"]
    ])("refuses --url %j, naming the problem with the URL masked", async (url, shown, problem) => {
      const h = harness()
      const id = h.tenant("acme")
      await h.run("tenant", "create", id)
      const result = await h.run("tenant", "set-loyalty", id, "--url", url, "--credential", "sk_live_TOPSECRET")
      expect(result.exitCode).toBe(1)
      expect(result.stderr).toContain("Invalid value for flag --url")
      expect(result.stderr).toContain(problem)
      expect(result.stderr).toContain(shown)
      expect(h.transcript.join("\n")).not.toContain("hunter2")
      expect(h.transcript.join("\n")).not.toContain("TOPSECRET")
      expect((await h.tenantRow(id))?.[7]).toBe("no")
    })

    it("needs a credential", async () => {
      const h = harness()
      const id = h.tenant("acme")
      await h.run("tenant", "create", id)
      const result = await h.run("tenant", "set-loyalty", id)
      expect(result.exitCode).toBe(1)
      expect(result.stderr).toContain("--credential")
    })
  })

  describe("tenant set-tax", () => {
    it("sets what is given and keeps the rest", async () => {
      const h = harness()
      const id = h.tenant("taxed")
      await h.run("tenant", "create", id)
      expect(await taxOf(h, id)).toEqual({ taxInclusive: true, taxRatePpm: null })

      const rate = await h.run("tenant", "set-tax", id, "--rate", "9")
      expect(rate.stderr).toBe("")
      expect(rate.exitCode).toBe(0)
      expect(rate.stdout).toBe(`tax for tenant '${id}': prices include tax; default rate 9% (90000 ppm)`)
      expect(await taxOf(h, id)).toEqual({ taxInclusive: true, taxRatePpm: 90_000 })

      const exclusive = await h.run("tenant", "set-tax", id, "--inclusive", "false")
      expect(exclusive.exitCode).toBe(0)
      expect(exclusive.stdout).toBe(`tax for tenant '${id}': prices exclude tax; default rate 9% (90000 ppm)`)
      expect(await taxOf(h, id)).toEqual({ taxInclusive: false, taxRatePpm: 90_000 })

      const both = await h.run("tenant", "set-tax", id, "--inclusive", "true", "--rate", "8.875")
      expect(both.exitCode).toBe(0)
      expect(both.stdout).toBe(`tax for tenant '${id}': prices include tax; default rate 8.875% (88750 ppm)`)
      expect(await taxOf(h, id)).toEqual({ taxInclusive: true, taxRatePpm: 88_750 })

      const cleared = await h.run("tenant", "set-tax", id, "--rate", "none")
      expect(cleared.exitCode).toBe(0)
      expect(cleared.stdout).toBe(`tax for tenant '${id}': prices include tax; no default rate`)
      expect(await taxOf(h, id)).toEqual({ taxInclusive: true, taxRatePpm: null })
    })

    it("takes 0% and 100%", async () => {
      const h = harness()
      const id = h.tenant("bounds")
      await h.run("tenant", "create", id)
      expect((await h.run("tenant", "set-tax", id, "--rate", "0")).exitCode).toBe(0)
      expect(await taxOf(h, id)).toEqual({ taxInclusive: true, taxRatePpm: 0 })
      expect((await h.run("tenant", "set-tax", id, "--rate", "100%")).exitCode).toBe(0)
      expect(await taxOf(h, id)).toEqual({ taxInclusive: true, taxRatePpm: 1_000_000 })
    })

    it.each([
      [["--rate", "8.87501"], "flag --rate", "at most 4 decimals"],
      [["--rate", "100.5"], "flag --rate", "from 0 to 100"],
      [["--rate", "-3"], "flag --rate", "from 0 to 100"],
      [["--rate", "nine"], "flag --rate", "or none"],
      [["--inclusive", "yes"], "flag --inclusive", "true"],
      [["--inclusive", "true", "--rate", "1e2"], "flag --rate", "from 0 to 100"]
    ])("refuses %j and changes nothing", async (args, what, rule) => {
      const h = harness()
      const id = h.tenant("refused")
      await h.run("tenant", "create", id)
      await h.run("tenant", "set-tax", id, "--inclusive", "false", "--rate", "7")
      const result = await h.run("tenant", "set-tax", id, ...args)
      expect(result.exitCode).toBe(1)
      expect(result.stderr).toContain(`Invalid value for ${what}`)
      expect(result.stderr).toContain(rule)
      expect(await taxOf(h, id)).toEqual({ taxInclusive: false, taxRatePpm: 70_000 })
    })

    it("refuses a call that sets nothing, and an unknown tenant", async () => {
      const h = harness()
      const id = h.tenant("idle")
      await h.run("tenant", "create", id)
      const nothing = await h.run("tenant", "set-tax", id)
      expect(nothing.exitCode).toBe(1)
      expect(nothing.stderr).toBe("error: nothing to set: give --inclusive true|false, --rate <percent|none>, or both")
      expect(await taxOf(h, id)).toEqual({ taxInclusive: true, taxRatePpm: null })
      const ghost = await h.run("tenant", "set-tax", "ghost-tenant", "--rate", "9")
      expect(ghost.exitCode).toBe(1)
      expect(ghost.stderr).toBe("error: no tenant 'ghost-tenant'")
    })
  })

  describe("tenant set-rate-limits", () => {
    const limitsOf = async (h: AdminHarness, id: string) =>
      (await Effect.runPromise(Context.get(h.context, TenantDirectory).find(id as TenantId)))?.rateLimits

    it("replaces the limits with those given, and --off removes them", async () => {
      const h = harness()
      const id = h.tenant("limited")
      await h.run("tenant", "create", id)
      expect(await limitsOf(h, id)).toEqual({})
      const set = await h.run(
        "tenant",
        "set-rate-limits",
        id,
        "--limit",
        "partner.reads=10/20",
        "--limit",
        "partner.writes=2.5",
        "--limit",
        "tenant.syncs=0.5/3"
      )
      expect(set.stderr).toBe("")
      expect(set.exitCode).toBe(0)
      expect(set.stdout).toBe(
        `rate limits for tenant '${id}': partner keys: reads 10/s burst 20, writes 2.5/s burst 3; tenant: syncs 0.5/s burst 3`
      )
      expect(await limitsOf(h, id)).toEqual({
        keys: { partner: { reads: { rate: 10, burst: 20 }, writes: { rate: 2.5, burst: 3 } } },
        tenant: { syncs: { rate: 0.5, burst: 3 } }
      })
      const replaced = await h.run("tenant", "set-rate-limits", id, "--limit", "pos.syncs=1/5")
      expect(replaced.stdout).toBe(`rate limits for tenant '${id}': pos keys: syncs 1/s burst 5`)
      const off = await h.run("tenant", "set-rate-limits", id, "--off")
      expect(off.stdout).toBe(`rate limits for tenant '${id}': none`)
      expect(await limitsOf(h, id)).toEqual({})
    })

    it.each([
      ["robot.reads=1"],
      ["partner.deletes=1"],
      ["partner.reads=0"],
      ["partner.reads=1/0"],
      ["partner.reads=-1"],
      ["partner.reads=1/2.5"]
    ])("refuses --limit %s and changes nothing", async (spec) => {
      const h = harness()
      const id = h.tenant("badlimit")
      await h.run("tenant", "create", id)
      await h.run("tenant", "set-rate-limits", id, "--limit", "tenant.reads=5/5")
      const result = await h.run("tenant", "set-rate-limits", id, "--limit", spec)
      expect(result.exitCode).toBe(1)
      expect(result.stderr).toContain(`--limit '${spec}' is not <who>.<class>=<rate>[/<burst>]`)
      expect(await limitsOf(h, id)).toEqual({ tenant: { reads: { rate: 5, burst: 5 } } })
    })

    it("needs limits or --off, not both", async () => {
      const h = harness()
      const id = h.tenant("nolimit")
      await h.run("tenant", "create", id)
      for (const args of [[], ["--off", "--limit", "tenant.reads=1"]]) {
        const result = await h.run("tenant", "set-rate-limits", id, ...args)
        expect(result.exitCode).toBe(1)
        expect(result.stderr).toContain("give one or more --limit")
      }
    })
  })
})
