import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { request } from "node:http"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

/**
 * Shared pieces of `npm run bench`: child processes that are always stopped (normal end, error,
 * SIGINT/SIGTERM), temporary directories that are always removed, the service and the load
 * generator as separate processes, and the table printing.
 */

export const benchDir = dirname(fileURLToPath(import.meta.url))
export const repoRoot = resolve(benchDir, "..", "..")

// ---------------------------------------------------------------------------------------------
// Cleanup registry: every child and temporary directory is released on any way out.

const children = new Set<ChildProcess>()
const tempDirs = new Set<string>()

const killAllNow = () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  }
  children.clear()
}

const removeTempDirsNow = () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
  tempDirs.clear()
}

let handlersInstalled = false

/** Kills children and removes temporary directories on exit, SIGINT, SIGTERM and uncaught errors. */
export const installCleanupHandlers = () => {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on("exit", () => {
    killAllNow()
    removeTempDirsNow()
  })
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping child processes\n`)
      process.exit(signal === "SIGINT" ? 130 : 143)
    })
  }
  process.on("uncaughtException", (error) => {
    process.stderr.write(`bench: uncaught error: ${error.stack ?? String(error)}\n`)
    process.exit(1)
  })
}

export const makeTempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  tempDirs.add(dir)
  return dir
}

export const removeTempDir = (dir: string) => {
  rmSync(dir, { recursive: true, force: true })
  tempDirs.delete(dir)
}

/** A child process of this Node binary (Node 24 when launched through npm), tracked for cleanup. */
export const spawnNode = (
  script: string,
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  stdio: "pipe" | "inherit-stderr" = "pipe",
  nodeFlags: ReadonlyArray<string> = []
): ChildProcess => {
  const child = spawn(process.execPath, [...nodeFlags, script, ...args], {
    cwd: repoRoot,
    env,
    stdio: stdio === "pipe" ? ["ignore", "pipe", "pipe"] : ["ignore", "pipe", "inherit"]
  })
  children.add(child)
  child.once("exit", () => children.delete(child))
  return child
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((done) => child.once("exit", () => done()))

/** SIGTERM, then SIGKILL after `graceMs`. */
export const stopChild = async (child: ChildProcess, graceMs = 5000): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill("SIGTERM")
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs)
  await exited(child)
  clearTimeout(timer)
  children.delete(child)
}

/** The last `limit` characters a stream wrote (for error messages), read continuously. */
export const captureTail = (stream: NodeJS.ReadableStream | null, limit = 16_384) => {
  let text = ""
  const listeners: Array<(chunk: string) => void> = []
  stream?.setEncoding("utf8")
  stream?.on("data", (chunk: string) => {
    text = (text + chunk).slice(-limit)
    for (const listener of listeners) listener(chunk)
  })
  return {
    text: () => text,
    onData: (listener: (chunk: string) => void) => listeners.push(listener)
  }
}

// ---------------------------------------------------------------------------------------------
// Ports, HTTP probes, /proc readings.

export const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const server = createServer()
    server.unref()
    server.once("error", fail)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => done(port))
    })
  })

export interface SimpleResponse {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
}

/** One request over a fresh connection (no agent), with a timeout. */
export const httpGet = (
  port: number,
  path: string,
  headers: Record<string, string> = {},
  timeoutMs = 2000
): Promise<SimpleResponse> =>
  new Promise((done, fail) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET", headers, agent: false }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () =>
        done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") })
      )
      res.on("error", fail)
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)))
    req.on("error", fail)
    req.end()
  })

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** Polls `path` until it answers 200; fails if the child exits or the deadline passes. */
export const waitForHttp = async (
  child: ChildProcess,
  port: number,
  path: string,
  timeoutMs: number,
  describe: () => string
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  let last = "no answer yet"
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${path} answered\n${describe()}`)
    }
    try {
      const res = await httpGet(port, path, {}, 1000)
      if (res.status === 200) return
      last = `status ${res.status}: ${res.body.slice(0, 200)}`
    } catch (error) {
      last = error instanceof Error ? error.message : String(error)
    }
    await sleep(100)
  }
  throw new Error(`${path} did not answer 200 within ${timeoutMs} ms (last: ${last})\n${describe()}`)
}

/** Peak resident set size (VmHWM) of a live process, in MB; undefined off Linux. */
export const peakRssMb = (pid: number | undefined): number | undefined => {
  if (pid === undefined) return undefined
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return match?.[1] === undefined ? undefined : Number(match[1]) / 1024
  } catch {
    return undefined
  }
}

/** User + system CPU seconds a live process has used (Linux, assumes 100 clock ticks a second). */
export const cpuSeconds = (pid: number | undefined): number | undefined => {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // Fields after the command name (which may contain spaces) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------
// The load generator child (test/bench/load.ts).

export interface LoadOptions {
  readonly port: number
  readonly path: string
  readonly headers: Record<string, string>
  readonly concurrency: number
  readonly warmupSeconds: number
  readonly seconds: number
  readonly expectStatus: number
  readonly expectBodyLength: number
}

export interface LoadResult {
  readonly requests: number
  readonly seconds: number
  readonly rps: number
  readonly latencyMs: {
    readonly min: number
    readonly mean: number
    readonly p50: number
    readonly p90: number
    readonly p99: number
    readonly max: number
  }
  readonly errors: number
  readonly errorKinds: Record<string, number>
  readonly sampleErrors: ReadonlyArray<string>
  readonly connections: number
  readonly clientCpuPercent: number
  readonly warmupRequests: number
}

export interface LoadRun {
  readonly result: LoadResult
  /** Average CPU of `target` over the whole load run (warm-up included), in percent of one core. */
  readonly targetCpuPercent: number | undefined
}

/** Runs test/bench/load.ts against `port` in its own process and returns its JSON report. */
export const runLoad = async (options: LoadOptions, targetPid: number | undefined): Promise<LoadRun> => {
  // Options go through the environment, not argv: the API key stays out of `ps` output.
  const child = spawnNode(
    join(benchDir, "load.ts"),
    [],
    { ...process.env, BENCH_LOAD_OPTIONS: JSON.stringify(options) },
    "inherit-stderr"
  )
  const stdout = captureTail(child.stdout, 1_000_000)
  const limitMs = (options.warmupSeconds + options.seconds + 30) * 1000
  const timer = setTimeout(() => child.kill("SIGKILL"), limitMs)
  const cpuBefore = cpuSeconds(targetPid)
  const started = performance.now()
  await exited(child)
  const wallSeconds = (performance.now() - started) / 1000
  const cpuAfter = cpuSeconds(targetPid)
  clearTimeout(timer)
  if (child.exitCode !== 0) {
    throw new Error(
      `load generator failed (${child.exitCode ?? child.signalCode}${child.signalCode === "SIGKILL" ? `, killed after ${limitMs} ms` : ""})\n${stdout.text()}`
    )
  }
  const result = JSON.parse(stdout.text()) as LoadResult
  const targetCpuPercent =
    cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) / wallSeconds) * 100
  return { result, targetCpuPercent }
}

// ---------------------------------------------------------------------------------------------
// Settings and output.

const numberFromEnv = (name: string, fallback: number): number => {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === "") return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`)
  return value
}

export interface BenchSettings {
  /** Measured seconds per target (BENCH_SECONDS, default 10). */
  readonly seconds: number
  /** Warm-up seconds per target, not measured (BENCH_WARMUP_SECONDS, default 2). */
  readonly warmupSeconds: number
  /** In-flight requests at all times (BENCH_CONCURRENCY, default 50). */
  readonly concurrency: number
  /** BENCH_STRICT=1: a missed target also fails the run (errors always do). */
  readonly strict: boolean
}

export const benchSettings = (): BenchSettings => ({
  seconds: numberFromEnv("BENCH_SECONDS", 10),
  warmupSeconds: numberFromEnv("BENCH_WARMUP_SECONDS", 2),
  concurrency: Math.round(numberFromEnv("BENCH_CONCURRENCY", 50)),
  strict: process.env["BENCH_STRICT"] === "1" || process.env["BENCH_STRICT"] === "true"
})

/** A plain-text table, first column left-aligned, the others right-aligned. */
export const formatTable = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd()
  const rule = widths.map((w) => "-".repeat(w)).join("  ")
  return [line(header), rule, ...rows.map(line)].join("\n")
}

export const fmt = {
  int: (n: number) => Math.round(n).toLocaleString("en-US"),
  ms: (n: number) => n.toFixed(2),
  mb: (n: number | undefined) => (n === undefined ? "n/a" : `${n.toFixed(1)} MB`),
  pct: (n: number | undefined) => (n === undefined ? "n/a" : `${Math.round(n)}%`)
}

/** A message nobody can miss. */
export const loud = (message: string): string => {
  const bar = "!".repeat(Math.min(100, Math.max(40, message.length + 8)))
  return `${bar}\n!!! ${message}\n${bar}`
}

// ---------------------------------------------------------------------------------------------
// The processes under test.

export type StorageKind = "memory" | "pglite" | "postgres"

export interface RunningTarget {
  readonly name: string
  readonly port: number
  readonly pid: number | undefined
  /** Whether the process is still running (it must not die during a measurement). */
  readonly alive: () => boolean
  /** Stops the process; returns its peak memory (VmHWM, MB) read just before. */
  readonly stop: () => Promise<number | undefined>
}

export interface RunningService extends RunningTarget {
  readonly storage: StorageKind
  /** The demo tenant's key: printed by the first start, or BENCH_API_KEY. */
  readonly apiKey: string
}

/** STORAGE from the environment, "pglite" by default. */
export const storageFromEnv = (): StorageKind => {
  const raw = (process.env["STORAGE"] ?? "pglite").trim()
  if (raw === "memory" || raw === "pglite" || raw === "postgres") return raw
  throw new Error(`STORAGE must be memory, pglite or postgres, got "${raw}"`)
}

const isAlive = (child: ChildProcess) => () => child.exitCode === null && child.signalCode === null

const stopWithPeak = (child: ChildProcess, cleanup: () => void) => async () => {
  const peak = peakRssMb(child.pid)
  await stopChild(child)
  cleanup()
  return peak
}

/** The Node flags `npm start` runs the service with (e.g. --liftoff-only), so the bench measures the same process. */
const startScriptNodeFlags = (): Array<string> => {
  const scripts = (
    JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> }
  ).scripts
  const words = (scripts["start"] ?? "").split(/\s+/)
  return words.slice(words.indexOf("node") + 1).filter((word) => word.startsWith("--"))
}

/**
 * The real service (`node runtime/main.ts`) on a free port, with a fresh DATA_DIR, LOG_LEVEL=warning,
 * waiting for /healthz and for the demo key. PostgreSQL needs DATABASE_URL; the demo tenant is
 * created there too (DEMO=true), or pass BENCH_API_KEY for a database that already has it.
 */
export const startService = async (
  storage: StorageKind,
  extraEnv: Record<string, string> = {}
): Promise<RunningService> => {
  if (storage === "postgres" && (process.env["DATABASE_URL"] ?? "") === "") {
    throw new Error("STORAGE=postgres needs DATABASE_URL")
  }
  const port = await freePort()
  const dataDir = makeTempDir("pos-bench-data-")
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    STORAGE: storage,
    DATA_DIR: dataDir,
    LOG_LEVEL: "warning",
    ...(storage === "postgres" ? { DEMO: "true" } : {}),
    ...extraEnv
  }
  const child = spawnNode(join(repoRoot, "runtime", "main.ts"), [], env, "pipe", startScriptNodeFlags())
  const stdout = captureTail(child.stdout)
  const stderr = captureTail(child.stderr)
  const describe = () =>
    `--- service stdout (tail) ---\n${stdout.text()}\n--- service stderr (tail) ---\n${stderr.text()}`
  const cleanup = () => removeTempDir(dataDir)
  const keyPattern = /demo api key: (posk_\S+)/
  let apiKey = process.env["BENCH_API_KEY"] ?? keyPattern.exec(stdout.text())?.[1]
  stdout.onData(() => {
    apiKey ??= keyPattern.exec(stdout.text())?.[1]
  })
  try {
    await waitForHttp(child, port, "/healthz", storage === "memory" ? 30_000 : 120_000, describe)
    // The demo key may be printed just after the server listens.
    const keyDeadline = Date.now() + 10_000
    while (apiKey === undefined && Date.now() < keyDeadline) await sleep(50)
    if (apiKey === undefined) {
      throw new Error(
        `the service printed no "demo api key:" line (demo tenant already there? set BENCH_API_KEY)\n${describe()}`
      )
    }
  } catch (error) {
    await stopChild(child)
    cleanup()
    throw error
  }
  return {
    name: `service (${storage})`,
    port,
    pid: child.pid,
    alive: isAlive(child),
    storage,
    apiKey,
    stop: stopWithPeak(child, cleanup)
  }
}

/** test/bench/raw-server.ts answering every request with `body`. */
export const startRawServer = async (body: string): Promise<RunningTarget> => {
  const port = await freePort()
  const child = spawnNode(join(benchDir, "raw-server.ts"), [], {
    ...process.env,
    PORT: String(port),
    BENCH_RAW_BODY: body
  })
  const stdout = captureTail(child.stdout)
  const stderr = captureTail(child.stderr)
  const describe = () => `--- raw server output ---\n${stdout.text()}\n${stderr.text()}`
  try {
    await waitForHttp(child, port, "/healthz", 30_000, describe)
  } catch (error) {
    await stopChild(child)
    throw error
  }
  return { name: "raw node:http", port, pid: child.pid, alive: isAlive(child), stop: stopWithPeak(child, () => {}) }
}

// ---------------------------------------------------------------------------------------------
// Sections of `npm run bench`.

export interface SectionOutcome {
  /** Reasons the run must exit non-zero (errors, a missed target under BENCH_STRICT). */
  readonly failures: ReadonlyArray<string>
}

export interface BenchSection {
  /** Matched by the BENCH filter (comma-separated names). */
  readonly name: string
  readonly description: string
  readonly run: (settings: BenchSettings) => Promise<SectionOutcome>
}
