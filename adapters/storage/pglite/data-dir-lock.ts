import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs"
import { join } from "node:path"
import { Effect, type Scope } from "effect"
import { StorageError } from "../../../domain/errors.ts"
import { currentProcess, isRunning, type ProcessIdentity } from "./process-state.ts"

const lockName = "pos-integration.lock"

/** The holder's pid on the first line (what people and older versions read), its start time on the second. */
const lockContent = (self: ProcessIdentity): string =>
  self.startTime === undefined ? `${self.pid}\n` : `${self.pid}\n${self.startTime}\n`

const tryCreate = (path: string): boolean => {
  try {
    const fd = openSync(path, "wx")
    writeSync(fd, lockContent(currentProcess()))
    closeSync(fd)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false
    throw error
  }
}

const holderOf = (path: string): ProcessIdentity | undefined => {
  try {
    const [pidLine = "", startLine = ""] = readFileSync(path, "utf8").split("\n")
    const pid = Number.parseInt(pidLine.trim(), 10)
    if (!Number.isSafeInteger(pid) || pid <= 0) return undefined
    return { pid, startTime: /^\d+$/.test(startLine.trim()) ? startLine.trim() : undefined }
  } catch {
    return undefined
  }
}

/**
 * One process at a time opens an embedded data directory: PGlite is a single session, and two
 * processes writing the same files would corrupt them. The lock file names its holder; a lock left
 * by a process that no longer runs (exited, killed and not yet reaped, or its pid since reused by
 * another program) is taken over at once, so a restart right after `kill -9` starts.
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
          if (holder !== undefined && holder.pid !== process.pid && isRunning(holder)) {
            throw new Error(
              `the data directory ${dataDir} is in use by process ${holder.pid}: stop the service to administer an embedded deployment`
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
