import { readFileSync } from "node:fs"

/**
 * Whether a process still runs, for deciding if a lock file's holder is gone.
 *
 * `kill(pid, 0)` is not enough: it succeeds for a zombie (a process that exited but that its
 * parent has not reaped yet), which is exactly the state a service killed with `kill -9` sits in
 * for a moment under npm or a supervisor. On Linux `/proc/<pid>/stat` tells the state (`Z` zombie,
 * `X` dead) and the start time, which also tells a reused pid from the process that wrote the lock.
 */

export interface ProcessIdentity {
  readonly pid: number
  /** Clock ticks after boot at which the process started (`/proc/<pid>/stat` field 22), when known. */
  readonly startTime: string | undefined
}

interface ProcStat {
  readonly state: string
  readonly startTime: string
}

/** `/proc/<pid>/stat`: the command name sits in parentheses and may hold spaces or `)`, so the fields after it are read from the last `)`. */
export const parseProcStat = (text: string): ProcStat | undefined => {
  const end = text.lastIndexOf(")")
  if (end < 0) return undefined
  const fields = text
    .slice(end + 1)
    .trim()
    .split(/\s+/)
  // After the name: field 3 (state) is fields[0], field 22 (starttime) is fields[19].
  const state = fields[0]
  const startTime = fields[19]
  if (state === undefined || startTime === undefined || !/^\d+$/.test(startTime)) return undefined
  return { state, startTime }
}

/** The process's state and start time, or undefined where /proc does not tell (no such pid, no /proc, hidden by `hidepid`). */
const readProcStat = (pid: number | "self"): ProcStat | undefined => {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"))
  } catch {
    return undefined
  }
}

/** This process, as it writes itself into a lock file. */
export const currentProcess = (): ProcessIdentity => {
  const stat = readProcStat("self")
  return { pid: process.pid, startTime: stat?.startTime }
}

const answersSignalZero = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * Whether the process a lock names still runs: not a zombie, and, when the lock recorded a start
 * time, the same process rather than a newer one that was given the same pid.
 */
export const isRunning = (holder: ProcessIdentity): boolean => {
  const stat = readProcStat(holder.pid)
  // Without /proc, kill(0) is all there is: a process that does not exist answers ESRCH.
  if (stat === undefined) return answersSignalZero(holder.pid)
  if (stat.state === "Z" || stat.state === "X" || stat.state === "x") return false
  return holder.startTime === undefined || holder.startTime === stat.startTime
}
