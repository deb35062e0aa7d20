import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { makeScratchDatabases } from "../../test/support/admin-cli.ts"

/** The real entry point, as `npm run admin` runs it. */
const root = resolve(import.meta.dirname, "../..")
const admin = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  // The Node running the tests is the project's pinned one; `npm run admin` adds only this flag.
  const result = spawnSync(process.execPath, ["--liftoff-only", "runtime/cli/main.ts", ...args], {
    cwd: root,
    env: { ...process.env, STORAGE: "memory", ...env },
    encoding: "utf8",
    timeout: 60_000
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}
const stackTrace = /^\s+at .+[:(]/m

describe("the admin process", () => {
  it("--help prints the command tree and exits 0", { timeout: 60_000 }, () => {
    const result = admin(["--help"])
    expect(result.status).toBe(0)
    expect(result.stdout).toContain("USAGE")
    expect(result.stdout).toMatch(/tenant\s+Manage tenants/)
    expect(result.stdout).toMatch(/key\s+Manage a tenant's API keys/)
    expect(result.stderr).toBe("")
  })

  it("a bad argument exits 1 with a readable error", { timeout: 60_000 }, () => {
    const result = admin(["tenant", "create", "Bad_Id"])
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('Invalid value for argument <id>: "Bad_Id"')
    expect(result.stderr + result.stdout).not.toMatch(stackTrace)
  })

  it("a domain failure exits 1 with `error: ...`, and no demo tenant is bootstrapped", { timeout: 60_000 }, () => {
    const result = admin(["key", "list", "demo"])
    expect(result.status).toBe(1)
    expect(result.stderr.trim()).toBe("error: no tenant 'demo'")
    expect(result.stdout).toBe("")
  })

  it("a locked embedded data directory is reported plainly", { timeout: 60_000 }, () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pos-cli-"))
    try {
      // This test process stands in for the running service that holds the lock.
      writeFileSync(join(dataDir, "pos-integration.lock"), `${process.pid}\n`)
      const result = admin(["tenant", "list"], { STORAGE: "pglite", DATA_DIR: dataDir })
      expect(result.status).toBe(1)
      expect(result.stderr.trim()).toMatch(/^error: lock data directory: .* is in use by process \d+/)
      expect(result.stderr).not.toMatch(stackTrace)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it("an unreachable control database is named, without the URL's password", { timeout: 60_000 }, () => {
    const result = admin(["tenant", "list"], {
      STORAGE: "postgres",
      DATABASE_URL: "postgres://app:hunter2@127.0.0.1:1/pos"
    })
    expect(result.status).toBe(1)
    expect(result.stderr).toContain("ECONNREFUSED 127.0.0.1:1")
    expect(result.stderr + result.stdout).not.toContain("hunter2")
    expect(result.stderr).not.toMatch(stackTrace)
  })
})

const serverUrl = process.env["DATABASE_URL"]
const onServer = serverUrl !== undefined && serverUrl !== "" ? describe : describe.skip
onServer(`the admin process on PostgreSQL${onServer === describe ? "" : " (SKIPPED: DATABASE_URL is not set)"}`, () => {
  const databases = makeScratchDatabases(serverUrl ?? "")
  afterAll(() => databases.close())

  it("creates a tenant on a fresh database of its own, and refuses a missing one with its reason", {
    timeout: 120_000
  }, async () => {
    const control = await databases.create()
    const own = await databases.create("hunter2")
    const env = { STORAGE: "postgres", DATABASE_URL: control.url }
    const created = admin(["tenant", "create", "globex", "--database-url", own.url], env)
    expect(created.stderr).toBe("")
    expect(created.status).toBe(0)
    expect(created.stdout).toContain("(schema tenant_globex)")
    expect(created.stdout).not.toContain("hunter2")

    const missing = databases.unusedName()
    const refused = admin(["tenant", "create", "initech", "--database-url", databases.urlOf(missing, "hunter2")], env)
    expect(refused.status).toBe(1)
    expect(refused.stderr.trim()).toMatch(
      new RegExp(
        `^error: migrate tenant schema tenant_initech on [\\w.-]+:\\d+/${missing}: .*database "${missing}" does not exist$`
      )
    )
    expect(refused.stderr + refused.stdout).not.toContain("hunter2")
    const listed = admin(["tenant", "list"], env)
    expect(listed.stdout).toContain("globex")
    expect(listed.stdout).not.toContain("initech")
  })
})
