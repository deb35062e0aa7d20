import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
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

/** Scratch databases still to drop: maintenance URL (of the same server) and database name. */
const scratchDatabases = new Map<string, string>()

const dropScratchDatabasesNow = () => {
  for (const [name, maintenanceUrl] of scratchDatabases) {
    spawnSync(psqlPath, [...psqlFlags, maintenanceUrl, "-c", `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`], {
      stdio: "ignore",
      timeout: 30_000
    })
  }
  scratchDatabases.clear()
}

let handlersInstalled = false

/** Kills children and removes temporary directories on exit, SIGINT, SIGTERM and uncaught errors. */
export const installCleanupHandlers = () => {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on("exit", () => {
    killAllNow()
    removeTempDirsNow()
    dropScratchDatabasesNow()
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

/** Bodies above this go to child processes in a file: Linux caps one environment variable at 128 KiB. */
const largeEnvBytes = 64 * 1024

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
): Promise<SimpleResponse> => httpRequest({ port, path, method: "GET", headers, timeoutMs })

export interface TimedResponse extends SimpleResponse {
  /** Wall time from sending the request until the whole answer was read, in milliseconds. */
  readonly ms: number
}

/**
 * One request with an optional body over a fresh connection (no agent); `timeoutMs` is an inactivity
 * timeout on the socket. `ms` is measured from just before the request is written.
 */
export const httpRequest = (options: {
  readonly port: number
  readonly path: string
  readonly method: string
  readonly headers?: Record<string, string>
  readonly body?: Buffer
  readonly timeoutMs?: number
}): Promise<TimedResponse> =>
  new Promise((done, fail) => {
    const timeoutMs = options.timeoutMs ?? 2000
    const headers = { ...options.headers }
    if (options.body !== undefined) headers["content-length"] = String(options.body.length)
    const started = performance.now()
    const req = request(
      { host: "127.0.0.1", port: options.port, path: options.path, method: options.method, headers, agent: false },
      (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (chunk: Buffer) => chunks.push(chunk))
        res.on("end", () =>
          done({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            ms: performance.now() - started
          })
        )
        res.on("error", fail)
      }
    )
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)))
    req.on("error", fail)
    req.end(options.body)
  })

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** Polls `path` until it answers `status` (200); fails if the child exits or the deadline passes. */
export const waitForHttp = async (
  child: ChildProcess,
  port: number,
  path: string,
  timeoutMs: number,
  describe: () => string,
  status = 200
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  let last = "no answer yet"
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${path} answered\n${describe()}`)
    }
    try {
      const res = await httpGet(port, path, {}, 1000)
      if (res.status === status) return
      last = `status ${res.status}: ${res.body.slice(0, 200)}`
    } catch (error) {
      last = error instanceof Error ? error.message : String(error)
    }
    await sleep(100)
  }
  throw new Error(`${path} did not answer ${status} within ${timeoutMs} ms (last: ${last})\n${describe()}`)
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
// The load generator child (test/bench/autocannon-load.ts).

export interface LoadOptions {
  readonly port: number
  readonly path: string
  readonly headers: Record<string, string>
  readonly concurrency: number
  readonly warmupSeconds: number
  readonly seconds: number
  readonly expectStatus: number
  /**
   * Every response must carry exactly these bytes: a string's UTF-8, or a Buffer's bytes for a body
   * that is not text (e.g. a gzip answer), compared byte for byte.
   */
  readonly expectBody: string | Buffer
  /**
   * Set by runLoad for a large body (an environment variable holds at most 128 KiB on Linux) and for
   * a Buffer: the file holding `expectBody`, which is then sent empty.
   */
  readonly expectBodyFile?: string | undefined
  /** Set by runLoad for a Buffer `expectBody`: the file's bytes are not text, compare them byte for byte. */
  readonly expectBodyBinary?: boolean | undefined
  /**
   * Every answer must match this regular expression (its source), in place of `expectBody`: for
   * answers that differ from request to request (a created resource's id, its time).
   */
  readonly expectBodyPattern?: string | undefined
  /** The request method; GET by default. */
  readonly method?: string | undefined
  /**
   * A fresh value on every request: a random key id nobody issued, a random tenant host nobody
   * created, (`bearer`) the request's bearer token with a random signature (well-formed, naming the
   * service's signing key, never issued), or (`refCode`) a body from `bodyTemplates` with a refCode
   * never sent before.
   */
  readonly vary?: "keyId" | "host" | "bearer" | "bearerCrafted" | "refCode" | undefined
  /** The body of every request (e.g. a POS push sent again and again); not with `vary: "refCode"`. */
  readonly body?: string | undefined
  /**
   * For `vary: "refCode"`: request bodies, taken in turn, each holding `refCodePlaceholder` once where
   * the refCode goes: `refCodePrefix` followed by a counter of the load generator, so no refCode
   * repeats within a load (warm-up included).
   */
  readonly bodyTemplates?: ReadonlyArray<string> | undefined
  /** For `vary: "refCode"`: the start of every refCode (e.g. one per load, so loads never share one). */
  readonly refCodePrefix?: string | undefined
  /** The service's BASE_DOMAIN, for `vary: "host"` ("localhost" by default). */
  readonly baseDomain?: string | undefined
  /** The process under load, whose CPU is read over the measured run. */
  readonly targetPid?: number | undefined
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
  readonly connections: number
  /** The load generator's CPU over the measured run, in percent of one core. */
  readonly clientCpuPercent: number
  /** The target's CPU over the measured run, in percent of one core (undefined off Linux). */
  readonly targetCpuPercent: number | undefined
  readonly warmupRequests: number
}

/** Where a body template of `vary: "refCode"` takes each request's refCode. */
export const refCodePlaceholder = "@@refCode@@"

/** Runs autocannon (test/bench/autocannon-load.ts) against `port` in its own process; returns its JSON report. */
export const runLoad = async (options: LoadOptions): Promise<LoadResult> => {
  const binary = typeof options.expectBody !== "string"
  const bodyDir =
    binary || Buffer.byteLength(options.expectBody) > largeEnvBytes ? makeTempDir("pos-bench-body-") : undefined
  const sent =
    bodyDir === undefined
      ? options
      : { ...options, expectBody: "", expectBodyFile: join(bodyDir, "body"), expectBodyBinary: binary }
  if (bodyDir !== undefined) writeFileSync(join(bodyDir, "body"), options.expectBody)
  // Options go through the environment, not argv: the API key stays out of `ps` output. Options too
  // large for one variable (many body templates) go in a file.
  const json = JSON.stringify(sent)
  const optionsDir = Buffer.byteLength(json) > largeEnvBytes ? makeTempDir("pos-bench-options-") : undefined
  if (optionsDir !== undefined) writeFileSync(join(optionsDir, "options.json"), json)
  const child = spawnNode(
    join(benchDir, "autocannon-load.ts"),
    [],
    {
      ...process.env,
      ...(optionsDir === undefined
        ? { BENCH_LOAD_OPTIONS: json }
        : { BENCH_LOAD_OPTIONS_FILE: join(optionsDir, "options.json") })
    },
    "inherit-stderr"
  )
  const stdout = captureTail(child.stdout, 1_000_000)
  const limitMs = (options.warmupSeconds + options.seconds + 30) * 1000
  const timer = setTimeout(() => child.kill("SIGKILL"), limitMs)
  await exited(child)
  clearTimeout(timer)
  if (bodyDir !== undefined) removeTempDir(bodyDir)
  if (optionsDir !== undefined) removeTempDir(optionsDir)
  if (child.exitCode !== 0) {
    throw new Error(
      `load generator failed (${child.exitCode ?? child.signalCode}${child.signalCode === "SIGKILL" ? `, killed after ${limitMs} ms` : ""})\n${stdout.text()}`
    )
  }
  return JSON.parse(stdout.text()) as LoadResult
}

/** One load's result, under the name it is reported by. */
export interface Measured {
  readonly name: string
  readonly result: LoadResult
}

/** What a measurement sends and expects: LoadOptions without the target and the settings. */
export type MeasureLoad = Omit<LoadOptions, "port" | "concurrency" | "warmupSeconds" | "seconds" | "targetPid">

/**
 * runLoad against `target` with the settings' connections and durations, the target's CPU read over
 * the measured run; prints a progress line. Fails if the target exited meanwhile.
 */
export const measure = async (
  name: string,
  target: RunningTarget,
  load: MeasureLoad,
  settings: BenchSettings
): Promise<Measured> => {
  process.stdout.write(
    `  ${name}: ${settings.warmupSeconds} s warm-up + ${settings.seconds} s, ${settings.concurrency} connections ...`
  )
  const result = await runLoad({
    ...load,
    port: target.port,
    concurrency: settings.concurrency,
    warmupSeconds: settings.warmupSeconds,
    seconds: settings.seconds,
    targetPid: target.pid
  })
  process.stdout.write(` ${fmt.int(result.rps)} req/s\n`)
  if (!target.alive()) throw new Error(`${name}: the process exited during the measurement`)
  return { name, result }
}

/** Server CPU per answered request, in microseconds (undefined off Linux or without answers). */
export const cpuMicrosOf = ({ targetCpuPercent, rps }: LoadResult): number | undefined =>
  targetCpuPercent === undefined || rps === 0 ? undefined : ((targetCpuPercent / 100) * 1e6) / rps

/** Server CPU per answered request, in microseconds, as a table cell. */
export const cpuMicros = (result: LoadResult): string => {
  const micros = cpuMicrosOf(result)
  return micros === undefined ? "n/a" : fmt.int(micros)
}

/**
 * The failures of a section's loads: any failed request (a wrong status or body, a connection error,
 * a timeout, in the warm-up too) or no request completed. Each failed load is also printed loudly.
 */
export const failedRequests = (section: string, measured: ReadonlyArray<Measured>): Array<string> =>
  measured.flatMap(({ name, result }) => {
    const failures: Array<string> = []
    if (result.errors > 0) {
      console.log("")
      console.log(loud(`${name}: ${result.errors} FAILED REQUESTS — these numbers are not valid`))
      console.log(`  by kind: ${JSON.stringify(result.errorKinds)}`)
      failures.push(`${section}: ${name} had ${result.errors} failed requests`)
    }
    if (result.requests === 0) failures.push(`${section}: ${name} completed no request`)
    return failures
  })

// ---------------------------------------------------------------------------------------------
// Settings and output.

const numberFromEnv = (name: string, fallback: number): number => {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === "") return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`)
  return value
}

/** An integer setting from the environment (`fallback` when unset), at least `minimum`. */
export const intFromEnv = (name: string, fallback: number, minimum: number): number => {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === "") return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(`${name} must be an integer of at least ${minimum}, got "${raw}"`)
  }
  return value
}

/** A positive integer setting from the environment (`fallback` when unset). */
export const positiveInt = (name: string, fallback: number): number => intFromEnv(name, fallback, 1)

/** Fails unless `res` has `status`, with the answer's start in the message. */
export const expectStatus = (what: string, res: TimedResponse, status: number): void => {
  if (res.status !== status) {
    throw new Error(`${what} answered HTTP ${res.status} (expected ${status}): ${res.body.slice(0, 2000)}`)
  }
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
  /** The demo tenant's key: printed by the first start, or BENCH_API_KEY, or the one given to startService. */
  readonly apiKey: string
  /** The tails of the service's standard output and error (for error messages). */
  readonly output: () => string
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

/** The Node flags an npm script runs with (e.g. --liftoff-only), so the bench measures the same process. */
const scriptNodeFlags = (script: "start" | "admin"): Array<string> => {
  const scripts = (
    JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> }
  ).scripts
  const words = (scripts[script] ?? "").split(/\s+/)
  return words.slice(words.indexOf("node") + 1).filter((word) => word.startsWith("--"))
}

export interface StartServiceOptions {
  /** A DATA_DIR the caller made (and removes): e.g. one the admin CLI has already written to. */
  readonly dataDir?: string
  /** The key to use instead of the demo key: startService then does not wait for the demo key line. */
  readonly apiKey?: string
}

/**
 * The real service (`node runtime/main.ts`) on a free port, with a fresh DATA_DIR, LOG_LEVEL=warning,
 * waiting for /healthz and for the demo key. PostgreSQL needs DATABASE_URL; the demo tenant is
 * created there too (DEMO=true), or pass BENCH_API_KEY for a database that already has it.
 */
export const startService = async (
  storage: StorageKind,
  extraEnv: Record<string, string> = {},
  options: StartServiceOptions = {}
): Promise<RunningService> => {
  // A free port found here can be taken by another socket before the service listens on it (the
  // load generator's connections come and go in the same range): then another port, twice more.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServiceOnce(storage, extraEnv, options)
    } catch (error) {
      if (attempt >= 3 || !String(error).includes("EADDRINUSE")) throw error
      console.log(`  (port taken before the service listened; starting it again on another, attempt ${attempt + 1})`)
    }
  }
}

const startServiceOnce = async (
  storage: StorageKind,
  extraEnv: Record<string, string>,
  options: StartServiceOptions
): Promise<RunningService> => {
  if (storage === "postgres" && (extraEnv["DATABASE_URL"] ?? process.env["DATABASE_URL"] ?? "") === "") {
    throw new Error("STORAGE=postgres needs DATABASE_URL")
  }
  const port = await freePort()
  const dataDir = options.dataDir ?? makeTempDir("pos-bench-data-")
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    STORAGE: storage,
    DATA_DIR: dataDir,
    LOG_LEVEL: "warning",
    ...(storage === "postgres" ? { DEMO: "true" } : {}),
    ...extraEnv
  }
  // BENCH_SERVICE_NODE_FLAGS: more flags for the service only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const moreFlags = (process.env["BENCH_SERVICE_NODE_FLAGS"] ?? "").split(/\s+/).filter((flag) => flag !== "")
  const child = spawnNode(join(repoRoot, "runtime", "main.ts"), [], env, "pipe", [
    ...scriptNodeFlags("start"),
    ...moreFlags
  ])
  const stdout = captureTail(child.stdout)
  const stderr = captureTail(child.stderr)
  const describe = () =>
    `--- service stdout (tail) ---\n${stdout.text()}\n--- service stderr (tail) ---\n${stderr.text()}`
  const cleanup = () => {
    if (options.dataDir === undefined) removeTempDir(dataDir)
  }
  const keyPattern = /demo api key: (posk_\S+)/
  let apiKey = options.apiKey ?? process.env["BENCH_API_KEY"] ?? keyPattern.exec(stdout.text())?.[1]
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
    stop: stopWithPeak(child, cleanup),
    output: describe
  }
}

/**
 * `npm run admin -- <args>` as its own process (same Node flags), with `env` on top of this
 * process's environment. Rejects with the output when it exits non-zero.
 */
export const runAdmin = async (
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  timeoutMs = 120_000
): Promise<{ readonly stdout: string; readonly stderr: string }> => {
  const child = spawnNode(
    join(repoRoot, "runtime", "cli", "main.ts"),
    args,
    { ...process.env, LOG_LEVEL: "warning", ...env },
    "pipe",
    scriptNodeFlags("admin")
  )
  const stdout = captureTail(child.stdout)
  const stderr = captureTail(child.stderr)
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
  await exited(child)
  clearTimeout(timer)
  if (child.exitCode !== 0) {
    throw new Error(
      `npm run admin -- ${args.join(" ")} failed (${child.exitCode ?? child.signalCode})\n${stdout.text()}\n${stderr.text()}`
    )
  }
  return { stdout: stdout.text(), stderr: stderr.text() }
}

export interface RawServerOptions {
  /** More headers on every answer (e.g. the service's etag, vary, cache-control). */
  readonly headers?: Record<string, string>
  /** A request whose If-None-Match is exactly this tag is answered 304 (same headers, no body). */
  readonly etag?: string
  /** The status of every other answer; 200 by default (201 beside a service that creates something). */
  readonly status?: number
}

/**
 * test/bench/raw-server.ts answering every request with `body` (or a 304, see RawServerOptions): a
 * string's UTF-8, or a Buffer's bytes (e.g. a gzip answer, with its content-encoding in `headers`).
 */
export const startRawServer = async (body: string | Buffer, options: RawServerOptions = {}): Promise<RunningTarget> => {
  const port = await freePort()
  // A Buffer always goes in a file: an environment variable holds text only.
  const inline = typeof body === "string" && Buffer.byteLength(body) <= largeEnvBytes ? body : undefined
  const bodyDir = inline === undefined ? makeTempDir("pos-bench-raw-") : undefined
  if (bodyDir !== undefined) writeFileSync(join(bodyDir, "body"), body)
  const child = spawnNode(join(benchDir, "raw-server.ts"), [], {
    ...process.env,
    PORT: String(port),
    ...(bodyDir === undefined ? { BENCH_RAW_BODY: inline } : { BENCH_RAW_BODY_FILE: join(bodyDir, "body") }),
    ...(options.headers === undefined ? {} : { BENCH_RAW_HEADERS: JSON.stringify(options.headers) }),
    ...(options.etag === undefined ? {} : { BENCH_RAW_ETAG: options.etag }),
    ...(options.status === undefined ? {} : { BENCH_RAW_STATUS: String(options.status) })
  })
  const stdout = captureTail(child.stdout)
  const stderr = captureTail(child.stderr)
  const describe = () => `--- raw server output ---\n${stdout.text()}\n${stderr.text()}`
  const cleanup = () => {
    if (bodyDir !== undefined) removeTempDir(bodyDir)
  }
  try {
    await waitForHttp(child, port, "/healthz", 30_000, describe, options.status ?? 200)
  } catch (error) {
    await stopChild(child)
    cleanup()
    throw error
  }
  return { name: "raw node:http", port, pid: child.pid, alive: isAlive(child), stop: stopWithPeak(child, cleanup) }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL through psql (the bench process itself holds no database driver).

/** psql: BENCH_PSQL, else the one on PATH. */
const psqlPath = process.env["BENCH_PSQL"] ?? "psql"
/** No ~/.psqlrc, quiet, stop at the first error. */
const psqlFlags = ["-X", "-q", "-v", "ON_ERROR_STOP=1"]

/**
 * Runs a psql script (given on standard input) against `url` and resolves with its standard
 * output; `args` are added to psql's command line (by default -A -t: unaligned, tuples only, so
 * each row is one `|`-separated line). Rejects with the standard error when psql fails.
 */
export const psql = (
  url: string,
  script: string,
  args: ReadonlyArray<string> = ["-A", "-t"],
  timeoutMs = 600_000
): Promise<string> =>
  new Promise((done, fail) => {
    const child = spawn(psqlPath, [...psqlFlags, ...args, url], { stdio: ["pipe", "pipe", "pipe"] })
    children.add(child)
    const stdout: Array<Buffer> = []
    const stderr: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk))
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    child.once("error", (error) => {
      clearTimeout(timer)
      children.delete(child)
      fail(new Error(`cannot run ${psqlPath}: ${error.message}`))
    })
    child.once("close", (code, signal) => {
      clearTimeout(timer)
      children.delete(child)
      const out = Buffer.concat(stdout).toString("utf8")
      if (code === 0) done(out)
      else fail(new Error(`psql failed (${code ?? signal}): ${Buffer.concat(stderr).toString("utf8").trim()}`))
    })
    child.stdin.end(script)
  })

export interface PsqlSession {
  /** Runs one statement (no trailing semicolon needed) and resolves with its rows (-A -t, `|`-separated). */
  readonly query: (sql: string) => Promise<Array<Array<string>>>
  readonly close: () => Promise<void>
}

/**
 * One long-lived psql session fed statement by statement: for polling (a new psql per poll would cost
 * more CPU than the query). Queries run one at a time, in the order asked.
 */
export const psqlSession = (url: string): PsqlSession => {
  const child = spawn(psqlPath, [...psqlFlags, "-A", "-t", url], { stdio: ["pipe", "pipe", "pipe"] })
  children.add(child)
  child.once("exit", () => children.delete(child))
  let buffer = ""
  let stderr = ""
  let next = 0
  const waiting: Array<{ marker: string; done: (rows: Array<Array<string>>) => void; fail: (e: Error) => void }> = []
  child.stdout.setEncoding("utf8")
  child.stdout.on("data", (chunk: string) => {
    buffer += chunk
    for (;;) {
      const head = waiting[0]
      const at = head === undefined ? -1 : buffer.indexOf(`${head.marker}\n`)
      if (head === undefined || at < 0) return
      const output = buffer.slice(0, at)
      buffer = buffer.slice(at + head.marker.length + 1)
      waiting.shift()
      head.done(psqlRows(output))
    }
  })
  child.stderr.setEncoding("utf8")
  child.stderr.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000)
  })
  child.once("exit", (code, signal) => {
    for (const w of waiting.splice(0)) w.fail(new Error(`psql session ended (${code ?? signal}): ${stderr.trim()}`))
  })
  return {
    query: (sql) =>
      new Promise((done, fail) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          fail(new Error(`psql session ended: ${stderr.trim()}`))
          return
        }
        const marker = `@@bench-end-${next++}`
        waiting.push({ marker, done, fail })
        child.stdin.write(`${sql};\n\\echo ${marker}\n`)
      }),
    close: async () => {
      child.stdin.end()
      await exited(child)
    }
  }
}

/** The rows psql printed with -A -t: one line each, fields split on `|`. */
export const psqlRows = (output: string): Array<Array<string>> =>
  output
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split("|"))

/** `url` with its database replaced by `database`. */
export const withDatabase = (url: string, database: string): string => {
  const parsed = new URL(url)
  parsed.pathname = `/${encodeURIComponent(database)}`
  return parsed.toString()
}

export interface ScratchDatabase {
  readonly name: string
  readonly url: string
  /** Drops it (WITH (FORCE): connections a killed service left behind do not keep it). */
  readonly drop: () => Promise<void>
}

/**
 * A new, empty database on the server of `serverUrl` (created from that URL's own database), dropped
 * by `drop` or, whatever happens, when the bench exits.
 */
export const createScratchDatabase = async (serverUrl: string, prefix: string): Promise<ScratchDatabase> => {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain database name: ${name}`)
  await psql(serverUrl, `CREATE DATABASE "${name}"`)
  scratchDatabases.set(name, serverUrl)
  return {
    name,
    url: withDatabase(serverUrl, name),
    drop: async () => {
      if (!scratchDatabases.has(name)) return
      await psql(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      scratchDatabases.delete(name)
    }
  }
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
