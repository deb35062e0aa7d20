import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync
} from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import { Effect, type Scope } from "effect"
import { StorageError } from "../../../domain/errors.ts"
import { currentProcess, isRunning, type ProcessIdentity } from "./process-state.ts"

const lockName = "pos-integration.lock"

/**
 * The holder's pid on the first line (what people and older versions read), its start time on the
 * second, its host on the third: processes of two containers sharing one volume may both be pid 1,
 * and this host cannot tell whether another host's process still runs.
 */
const lockContent = (self: ProcessIdentity): string => `${self.pid}\n${self.startTime ?? ""}\n${hostname()}\n`

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code

/**
 * Creates the lock with its content in one step: written beside it, then hard-linked into place
 * (which fails if the lock exists), so no other process ever reads a lock that is still empty and
 * takes it for a broken one.
 */
const tryCreate = (path: string, content: string): boolean => {
  const draft = `${path}.${process.pid}.new`
  writeFileSync(draft, content)
  try {
    linkSync(draft, path)
    return true
  } catch (error) {
    if (errorCode(error) === "EEXIST") return false
    // A file system without hard links: an exclusive create, empty for a moment, is the best there is.
    return createExclusive(path, content)
  } finally {
    rmSync(draft, { force: true })
  }
}

const createExclusive = (path: string, content: string): boolean => {
  try {
    const fd = openSync(path, "wx")
    writeSync(fd, content)
    closeSync(fd)
    return true
  } catch (error) {
    if (errorCode(error) === "EEXIST") return false
    throw error
  }
}

const readLock = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8")
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined
    throw error
  }
}

interface LockHolder extends ProcessIdentity {
  /** Absent in locks written before the host was recorded: those were written on this host. */
  readonly host: string | undefined
}

const holderOf = (content: string): LockHolder | undefined => {
  const [pidLine = "", startLine = "", hostLine = ""] = content.split("\n")
  const pid = Number.parseInt(pidLine.trim(), 10)
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined
  const host = hostLine.trim()
  return {
    pid,
    startTime: /^\d+$/.test(startLine.trim()) ? startLine.trim() : undefined,
    host: host === "" ? undefined : host
  }
}

/**
 * Removes the lock if it still holds `expected` (a stale lock as it was read, or our own on
 * release), and not if another process put a lock of its own there since (two starts taking over
 * the same stale lock): the lock is moved aside atomically and compared; a different one is put back.
 */
export const removeLockIfUnchanged = (path: string, judged: string): void => {
  const aside = `${path}.${process.pid}.stale`
  try {
    renameSync(path, aside)
  } catch (error) {
    if (errorCode(error) === "ENOENT") return
    throw error
  }
  try {
    if (readFileSync(aside, "utf8") !== judged) linkSync(aside, path)
  } catch (error) {
    // EEXIST: a third process locked meanwhile; its lock stands, and the next attempt reads it.
    if (errorCode(error) !== "EEXIST") throw error
  } finally {
    rmSync(aside, { force: true })
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
        const own = lockContent(currentProcess())
        for (let attempt = 0; attempt < 3; attempt++) {
          if (tryCreate(path, own)) return { path, own }
          const content = readLock(path)
          if (content === undefined) continue
          const holder = holderOf(content)
          if (holder?.host !== undefined && holder.host !== hostname()) {
            throw new Error(
              `the data directory ${dataDir} is locked by process ${holder.pid} on host ${holder.host}: a lock from another host is never taken over; if that host no longer runs the service, remove ${path}`
            )
          }
          if (holder !== undefined && holder.pid !== process.pid && isRunning(holder)) {
            throw new Error(
              `the data directory ${dataDir} is in use by process ${holder.pid}: stop the service to administer an embedded deployment`
            )
          }
          removeLockIfUnchanged(path, content)
        }
        throw new Error(`could not lock the data directory ${dataDir}`)
      },
      catch: (cause) => new StorageError({ operation: "lock data directory", cause })
    }),
    // Only our own lock is removed: one that another process put in its place stays.
    ({ path, own }) => Effect.ignore(Effect.try(() => removeLockIfUnchanged(path, own)))
  ).pipe(Effect.asVoid)
