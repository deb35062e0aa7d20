import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { lockDataDir } from "./data-dir-lock.ts"

const dirs: Array<string> = []
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "pos-lock-"))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const lockFile = (dir: string) => join(dir, "pos-integration.lock")

/** The pid of a process that has certainly exited. */
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid!

describe("data directory lock", () => {
  it("takes the lock, names this process in it, and releases it with the scope", async () => {
    const dir = freshDir()
    const scope = Scope.makeUnsafe()
    await Effect.runPromise(Scope.provide(lockDataDir(dir), scope))
    expect(readFileSync(lockFile(dir), "utf8").trim()).toBe(String(process.pid))
    await Effect.runPromise(Scope.close(scope, Exit.void))
    expect(existsSync(lockFile(dir))).toBe(false)
  })

  it("refuses while a live process holds it, naming that process", async () => {
    const dir = freshDir()
    const holder = process.ppid
    writeFileSync(lockFile(dir), `${holder}\n`)
    const error = await Effect.runPromise(Effect.flip(Effect.scoped(lockDataDir(dir))))
    expect(error._tag).toBe("StorageError")
    expect(String(error.cause)).toContain(`in use by process ${holder}`)
    expect(readFileSync(lockFile(dir), "utf8").trim()).toBe(String(holder))
  })

  it("takes over a lock left by a process that no longer runs, or an unreadable one", async () => {
    for (const content of [`${deadPid()}\n`, "garbage"]) {
      const dir = freshDir()
      writeFileSync(lockFile(dir), content)
      await Effect.runPromise(Effect.scoped(lockDataDir(dir)))
    }
  })

  it("creates the data directory when it does not exist", async () => {
    const dir = join(freshDir(), "nested", "data")
    await Effect.runPromise(Effect.scoped(lockDataDir(dir)))
    expect(existsSync(dir)).toBe(true)
  })
})
