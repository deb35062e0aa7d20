import { Context, Effect, Option } from "effect"
import { describe, expect, it } from "vitest"
import { formatDuration } from "../../application/admin/pull-schedule-admin.ts"
import { AuditLog } from "../../application/ports/admin.ts"
import { type AdminHarness, forEachStorage } from "../../test/support/admin-cli.ts"
import { parseDuration } from "./pull-commands.ts"

describe("pull schedule durations", () => {
  it("read whole numbers with units, from 1 minute to 30 days, and print in the largest units", () => {
    expect(Option.getOrUndefined(parseDuration("15m"))).toBe(900_000)
    expect(Option.getOrUndefined(parseDuration(" 1H30m "))).toBe(5_400_000)
    expect(Option.getOrUndefined(parseDuration("90s"))).toBe(90_000)
    expect(Option.getOrUndefined(parseDuration("30d"))).toBe(30 * 86_400_000)
    for (const refused of ["30s", "59999ms", "31d", "15", "15 m", "m", "1.5h", "-5m", "", "15minutes"]) {
      expect(Option.isNone(parseDuration(refused)), refused).toBe(true)
    }
    expect([900_000, 5_400_000, 86_400_000 + 1000, 61_500].map(formatDuration)).toEqual([
      "15m",
      "1h30m",
      "1d1s",
      "1m1s500ms"
    ])
  })
})

/** The pull schedule entries of the audit log (about no tenant: schedules are for all), newest first. */
const audited = (h: AdminHarness) =>
  Effect.runPromise(
    Context.get(h.context, AuditLog).list({ tenantId: null, action: "pull-schedule.", beforeId: null, limit: 100 })
  )

forEachStorage("pull commands", (harness) => {
  it("sets, changes, lists and removes a provider's pull schedule", async () => {
    const h = harness()
    expect((await h.run("pull", "schedules")).stdout).toBe("no pull schedules")
    const set = await h.run("pull", "schedule", "lightspeed", "--every", "15m")
    expect(set.exitCode).toBe(0)
    expect(set.stdout).toMatch(/^lightspeed is pulled every 15m for every active tenant; next run \d{4}-\d\d-\d\dT/)
    expect((await h.run("pull", "schedule", "atlas-kitchen", "--every", "1h30m")).exitCode).toBe(0)
    expect((await h.run("pull", "schedule", "lightspeed", "--every", "2h")).exitCode).toBe(0)
    const rows = (await h.run("pull", "schedules")).stdout.split("\n").map((l) => l.split(/\s{2,}/))
    expect(rows[0]).toEqual(["PROVIDER", "EVERY", "NEXT RUN", "LAST RUN"])
    expect(rows.slice(1).map((r) => [r[0], r[1], r[3]])).toEqual([
      ["atlas-kitchen", "1h30m", "never"],
      ["lightspeed", "2h", "never"]
    ])
    const off = await h.run("pull", "schedule", "lightspeed", "--off")
    expect(off.stdout).toBe("pull schedule of lightspeed removed")
    expect((await h.run("pull", "schedule", "lightspeed", "--off")).stdout).toBe(
      "lightspeed had no pull schedule: nothing to remove"
    )
    await h.run("pull", "schedule", "atlas-kitchen", "--off")
    expect((await h.run("pull", "schedules")).stdout).toBe("no pull schedules")
    // Each change once, by the CLI; removing what is not there records nothing.
    expect((await audited(h)).map((e) => [e.action, e.actor, e.tenantId, e.summary])).toEqual([
      ["pull-schedule.remove", "admin CLI", null, "removed the pull schedule of atlas-kitchen"],
      ["pull-schedule.remove", "admin CLI", null, "removed the pull schedule of lightspeed"],
      [
        "pull-schedule.set",
        "admin CLI",
        null,
        "scheduled pulls of lightspeed every 2h for every active tenant (was every 15m)"
      ],
      ["pull-schedule.set", "admin CLI", null, "scheduled pulls of atlas-kitchen every 1h30m for every active tenant"],
      ["pull-schedule.set", "admin CLI", null, "scheduled pulls of lightspeed every 15m for every active tenant"]
    ])
  })

  it("refuses a provider that cannot pull or is not loaded, bad durations, and both or neither of --every and --off", async () => {
    const h = harness()
    const pushing = await h.run("pull", "schedule", "deliverect", "--every", "1h")
    expect(pushing.exitCode).toBe(1)
    expect(pushing.stderr).toBe("error: the deliverect plugin cannot pull: its POS pushes outlets and menus")
    const unknown = await h.run("pull", "schedule", "square", "--every", "1h")
    expect(unknown.exitCode).toBe(1)
    expect(unknown.stderr).toContain("no POS plugin 'square' is loaded")
    for (const args of [["--every", "30s"], ["--every", "soon"], ["--every", "1h", "--off"], []]) {
      const result = await h.run("pull", "schedule", "lightspeed", ...args)
      expect(result.exitCode, args.join(" ")).toBe(1)
    }
    expect((await h.run("pull", "schedule", "lightspeed")).stderr).toBe(
      "error: give exactly one of --every <duration> and --off"
    )
    expect((await h.run("pull", "schedules")).stdout).toBe("no pull schedules")
    // Refused changes are not recorded: the entries are the first test's alone.
    expect(await audited(h)).toHaveLength(5)
  })
})
