import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs"
import { join } from "node:path"
import { Effect, type Scope } from "effect"
import { StorageError } from "../../../domain/errors.ts"

const lockName = "pos-integration.lock"

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const tryCreate = (path: string): boolean => {
  try {
    const fd = openSync(path, "wx")
    writeSync(fd, `${process.pid}\n`)
    closeSync(fd)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false
    throw error
  }
}

const holderOf = (path: string): number | undefined => {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10)
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/**
 * One process at a time opens an embedded data directory: PGlite is a single session, and two
 * processes writing the same files would corrupt them. The lock file names its holder; a lock left
 * by a process that no longer runs is taken over.
 */
export const lockDataDir = (dataDir: string): Effect.Effect<void, StorageError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        mkdirSync(dataDir, { recursive: true })
        const path = join(dataDir, lockName)
        for (let attempt = 0; attempt < 3; attempt++) {
          if (tryCreate(path)) return path
          const holder = holderOf(path)
          if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
            throw new Error(
              `the data directory ${dataDir} is in use by process ${holder}: stop the service to administer an embedded deployment`
            )
          }
          rmSync(path, { force: true })
        }
        throw new Error(`could not lock the data directory ${dataDir}`)
      },
      catch: (cause) => new StorageError({ operation: "lock data directory", cause })
    }),
    (path) => Effect.sync(() => rmSync(path, { force: true }))
  ).pipe(Effect.asVoid)
