import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { lockDataDir, removeLockIfUnchanged } from "./data-dir-lock.ts"
import { currentProcess } from "./process-state.ts"

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

const procState = (pid: number): string | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0]
  } catch {
    return undefined
  }
}

/**
 * A zombie: `sh` starts a short `sleep` in the background, prints its pid and becomes (exec) a long
 * `sleep`, which never waits for children, so the short one stays unreaped after it exits. The
 * returned function kills the parent, whereupon init reaps the zombie.
 */
const makeZombie = async (): Promise<{ readonly pid: number; readonly release: () => void }> => {
  const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 30"], { stdio: ["ignore", "pipe", "ignore"] })
  const release = () => parent.kill("SIGKILL")
  const pid = await new Promise<number>((done, fail) => {
    parent.stdout.once("data", (chunk: Buffer) => done(Number.parseInt(chunk.toString("utf8"), 10)))
    parent.once("error", fail)
  })
  for (let waited = 0; procState(pid) !== "Z"; waited += 10) {
    if (waited > 5000) {
      release()
      throw new Error(`process ${pid} did not become a zombie (state ${procState(pid)})`)
    }
    await new Promise((done) => setTimeout(done, 10))
  }
  return { pid, release }
}

describe("data directory lock", () => {
  it("takes the lock, names this process in it, and releases it with the scope", async () => {
    const dir = freshDir()
    const scope = Scope.makeUnsafe()
    await Effect.runPromise(Scope.provide(lockDataDir(dir), scope))
    expect(readFileSync(lockFile(dir), "utf8").split("\n")[0]).toBe(String(process.pid))
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

  it("never takes over a lock from another host, even one naming this very pid (containers sharing a volume)", async () => {
    for (const pid of [process.pid, deadPid()]) {
      const dir = freshDir()
      const content = `${pid}\n123\nother-container\n`
      writeFileSync(lockFile(dir), content)
      const error = await Effect.runPromise(Effect.flip(Effect.scoped(lockDataDir(dir))))
      expect(String(error.cause)).toContain(`locked by process ${pid} on host other-container`)
      expect(readFileSync(lockFile(dir), "utf8")).toBe(content)
    }
  })

  it("records this host in the lock, and takes over its own host's stale lock", async () => {
    const dir = freshDir()
    writeFileSync(lockFile(dir), `${deadPid()}\n123\n${hostname()}\n`)
    const scope = await Effect.runPromise(Scope.make())
    await Effect.runPromise(Scope.provide(lockDataDir(dir), scope))
    expect(readFileSync(lockFile(dir), "utf8").split("\n")[2]).toBe(hostname())
    await Effect.runPromise(Scope.close(scope, Exit.void))
  })

  it("takes over a lock left by a process that no longer runs, or an unreadable one", async () => {
    for (const content of [`${deadPid()}\n`, "garbage"]) {
      const dir = freshDir()
      writeFileSync(lockFile(dir), content)
      await Effect.runPromise(Effect.scoped(lockDataDir(dir)))
    }
  })

  it.runIf(existsSync("/proc/self/stat"))(
    "takes over at once a lock whose holder was killed but not yet reaped (a zombie)",
    async () => {
      const zombie = await makeZombie()
      try {
        // What the lock used to trust: signal 0 reaches a zombie as if it were running.
        expect(() => process.kill(zombie.pid, 0)).not.toThrow()
        const dir = freshDir()
        writeFileSync(lockFile(dir), `${zombie.pid}\n`)
        await Effect.runPromise(Effect.scoped(lockDataDir(dir)))
      } finally {
        zombie.release()
      }
    }
  )

  it.runIf(existsSync("/proc/self/stat"))(
    "records the holder's start time, so a pid reused by another process does not keep the lock",
    async () => {
      const dir = freshDir()
      const scope = Scope.makeUnsafe()
      await Effect.runPromise(Scope.provide(lockDataDir(dir), scope))
      const self = currentProcess()
      expect(self.startTime).toMatch(/^\d+$/)
      expect(readFileSync(lockFile(dir), "utf8")).toBe(`${process.pid}\n${self.startTime}\n${hostname()}\n`)
      await Effect.runPromise(Scope.close(scope, Exit.void))

      // A live process (the parent) with its own start time holds the lock...
      const parentStat = readFileSync(`/proc/${process.ppid}/stat`, "utf8")
      const parentStart = parentStat.slice(parentStat.lastIndexOf(")") + 2).split(" ")[19]
      writeFileSync(lockFile(dir), `${process.ppid}\n${parentStart}\n`)
      const refused = await Effect.runPromise(Effect.flip(Effect.scoped(lockDataDir(dir))))
      expect(String(refused.cause)).toContain(`in use by process ${process.ppid}`)
      // ...but the same pid with another start time is a process that has gone since.
      writeFileSync(lockFile(dir), `${process.ppid}\n1\n`)
      await Effect.runPromise(Effect.scoped(lockDataDir(dir)))
    }
  )

  it("removes a stale lock only if it is still the one judged stale, leaving no scratch files", () => {
    const dir = freshDir()
    writeFileSync(lockFile(dir), "111\n")
    removeLockIfUnchanged(lockFile(dir), "111\n")
    expect(readdirSync(dir)).toEqual([])
    // Another start replaced the stale lock with its own between our read and our removal.
    writeFileSync(lockFile(dir), "222\n")
    removeLockIfUnchanged(lockFile(dir), "111\n")
    expect(readFileSync(lockFile(dir), "utf8")).toBe("222\n")
    expect(readdirSync(dir)).toEqual(["pos-integration.lock"])
    rmSync(lockFile(dir))
    expect(() => removeLockIfUnchanged(lockFile(dir), "111\n")).not.toThrow()
  })

  it("on release leaves alone a lock that is no longer its own", async () => {
    const dir = freshDir()
    const scope = Scope.makeUnsafe()
    await Effect.runPromise(Scope.provide(lockDataDir(dir), scope))
    expect(readdirSync(dir)).toEqual(["pos-integration.lock"])
    writeFileSync(lockFile(dir), `${process.ppid}\n`)
    await Effect.runPromise(Scope.close(scope, Exit.void))
    expect(readFileSync(lockFile(dir), "utf8")).toBe(`${process.ppid}\n`)
  })

  it("creates the data directory when it does not exist", async () => {
    const dir = join(freshDir(), "nested", "data")
    await Effect.runPromise(Effect.scoped(lockDataDir(dir)))
    expect(existsSync(dir)).toBe(true)
  })
})
