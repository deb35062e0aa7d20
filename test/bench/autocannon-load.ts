import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { cpuSeconds, type LoadOptions, type LoadResult, refCodePlaceholder } from "./harness.ts"

/**
 * The load generator: autocannon, run as its own process by harness.ts so it never shares an event
 * loop with the server it measures. A warm-up run (not recorded), then `seconds` of measurement
 * with `concurrency` keep-alive connections. Every response must have the expected status and
 * body (byte for byte, text or not: see keepBytes), or match `expectBodyPattern` where answers differ
 * from request to request; anything else is an error. With `vary`, every request carries a fresh
 * random key id, tenant host or bearer token signature, or a body with a refCode never sent before
 * (built by autocannon's setupRequest), so no cache of the target can answer from a repeated value
 * and every order is a new one. Prints one JSON LoadResult on stdout, with this process's CPU and the target's over the
 * measured run only.
 *
 * Usage: BENCH_LOAD_OPTIONS='<LoadOptions as JSON>' node test/bench/autocannon-load.ts
 * (or BENCH_LOAD_OPTIONS_FILE naming a file that holds them)
 */

interface AutocannonRequest {
  headers?: Record<string, string>
  method?: string
  body?: string
}

interface AutocannonResult {
  readonly requests: { readonly total: number }
  readonly duration: number
  readonly errors: number
  readonly timeouts: number
  readonly mismatches: number
  readonly statusCodeStats: Record<string, { readonly count: number }>
}

interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(event: "response", listener: (client: unknown, status: number, bytes: number, ms: number) => void): void
}

type Autocannon = (options: Record<string, unknown>) => AutocannonInstance

/** The part of autocannon's client (lib/httpClient.js) a binary body needs: its queue of answers being read. */
interface AutocannonClient {
  readonly pipelinedRequests?: {
    addBody?: (data: Buffer) => void
    readonly peek?: () => { body: string } | undefined
  }
}

// autocannon ships no types: loaded through require and typed by the little used here.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon

const optionsFile = process.env["BENCH_LOAD_OPTIONS_FILE"]
const rawOptions = optionsFile === undefined ? process.env["BENCH_LOAD_OPTIONS"] : readFileSync(optionsFile, "utf8")
if (rawOptions === undefined) {
  process.stderr.write(
    "autocannon-load.ts: set BENCH_LOAD_OPTIONS (or BENCH_LOAD_OPTIONS_FILE) to the LoadOptions JSON\n"
  )
  process.exit(2)
}
const options = JSON.parse(rawOptions) as LoadOptions
const binary = options.expectBodyBinary === true
/**
 * The bytes every response must carry (from a file for a large body or a binary one). A binary body
 * is held as latin1, one character per byte, the form keepBytes gives the answers.
 */
const expectBody =
  options.expectBodyFile === undefined
    ? String(options.expectBody)
    : readFileSync(options.expectBodyFile, binary ? "latin1" : "utf8")

/**
 * For a binary body (e.g. gzip): autocannon builds the body it hands verifyBody by decoding each
 * chunk as UTF-8 on its own, which loses bytes that are not UTF-8 (two different answers can give
 * the same string) and depends on where chunks split. Each client keeps its chunks as latin1
 * instead, so the string compared is the answer's bytes, exactly. If autocannon's client no longer
 * has this shape, the run fails rather than checking less.
 */
const keepBytes = (client: AutocannonClient): void => {
  const queue = client.pipelinedRequests
  const peek = queue?.peek
  if (queue === undefined || typeof queue.addBody !== "function" || typeof peek !== "function") {
    throw new Error("autocannon's client has no pipelinedRequests.addBody/peek: cannot compare binary bodies")
  }
  queue.addBody = (data: Buffer) => {
    const pending = peek.call(queue)
    if (pending !== undefined) pending.body += data.toString("latin1")
  }
}

/** A key id no store issued: random over most of the valid range, so every request names a new one. */
const randomKeyId = () => 1_000_000 + Math.floor(Math.random() * 2_000_000_000)
const randomLabel = () => `x${Math.random().toString(36).slice(2, 12)}`
const garbageSecret = "Z".repeat(40)

/**
 * For `vary: "bearer"` and `"bearerCrafted"`: the request's bearer token up to its signature
 * ("Bearer <header>.<payload>."), to which each request adds a 64-byte signature (an Ed25519
 * signature's length) that no key made: a token as the service issues them, naming its signing key.
 * `bearer`: 64 random bytes, which a checker following RFC 8032 mostly refuses unverified (S is not
 * below the group order). `bearerCrafted`: the real signature's R (a point on the curve) and a random
 * S below the order, which only the full verification refuses: the costliest forgery.
 */
const forging = options.vary === "bearer" || options.vary === "bearerCrafted"
const bearerParts = forging ? /^(Bearer [\w-]+\.[\w-]+\.)([\w-]+)$/.exec(options.headers["authorization"] ?? "") : null
if (forging && bearerParts === null) {
  throw new Error(`vary: "${options.vary}" needs an authorization header holding a bearer token (JWS compact)`)
}
const unsignedBearer = bearerParts?.[1] ?? ""
const realR = Buffer.from(bearerParts?.[2] ?? "", "base64url").subarray(0, 32)
const forgedSignature = (): string => {
  const signature = randomBytes(64)
  if (options.vary === "bearerCrafted") {
    realR.copy(signature, 0)
    // S is little-endian: with its top four bits clear it is below 2^252, below the group order.
    signature[63] = (signature[63] ?? 0) & 0x0f
  }
  return signature.toString("base64url")
}

/** The bodies of `vary: "refCode"`, split where the refCode goes (once per template). */
const templates = (options.bodyTemplates ?? []).map((template) => {
  const parts = template.split(refCodePlaceholder)
  if (parts.length !== 2) throw new Error(`a body template must hold ${refCodePlaceholder} exactly once`)
  return [parts[0] ?? "", parts[1] ?? ""] as const
})
if (options.vary === "refCode" && templates.length === 0) throw new Error('vary: "refCode" needs bodyTemplates')
if (options.vary === "refCode" && options.body !== undefined) throw new Error('vary: "refCode" builds its own bodies')
/** Counts every body built, warm-up included, across all connections: no refCode is built twice. */
let sequence = 0

const setupRequest = (request: AutocannonRequest): AutocannonRequest => {
  const headers = { ...options.headers }
  if (options.vary === "keyId") headers["x-api-key"] = `posk_${randomKeyId()}_${garbageSecret}`
  if (options.vary === "host") headers["host"] = `${randomLabel()}.${options.baseDomain ?? "localhost"}`
  if (forging) headers["authorization"] = `${unsignedBearer}${forgedSignature()}`
  if (options.vary === "refCode") {
    const [before, after] = templates[sequence % templates.length] ?? ["", ""]
    request.body = `${before}${options.refCodePrefix ?? ""}${sequence}${after}`
    sequence++
  }
  request.headers = headers
  return request
}

const pattern = options.expectBodyPattern === undefined ? undefined : new RegExp(options.expectBodyPattern)

const run = (seconds: number) =>
  autocannon({
    url: `http://127.0.0.1:${options.port}${options.path}`,
    connections: options.concurrency,
    duration: seconds,
    method: options.method ?? "GET",
    headers: options.headers,
    ...(options.body === undefined ? {} : { body: options.body }),
    // A function rather than expectBody, which autocannon refuses beside `requests`: the same check on every run.
    verifyBody: pattern === undefined ? (body: string) => body === expectBody : (body: string) => pattern.test(body),
    ...(binary ? { setupClient: keepBytes } : {}),
    // Fixed requests are encoded once; varied ones are rebuilt for every request.
    ...(options.vary === undefined ? {} : { requests: [{ setupRequest }] })
  })

const stats = (result: AutocannonResult) => {
  const wrongStatus = Object.entries(result.statusCodeStats)
    .filter(([status]) => Number(status) !== options.expectStatus)
    .map(([status, { count }]) => [`status ${status}`, count] as const)
  const errorKinds: Record<string, number> = Object.fromEntries(wrongStatus)
  if (result.errors > 0) errorKinds["connection errors"] = result.errors
  if (result.timeouts > 0) errorKinds["timeouts"] = result.timeouts
  if (result.mismatches > 0) errorKinds["body mismatch"] = result.mismatches
  return { errorKinds, errors: Object.values(errorKinds).reduce((sum, n) => sum + n, 0) }
}

const warmup = await run(options.warmupSeconds)

// Latencies of the measured run, from autocannon's own per-response times (fractions of a ms).
const latencies: Array<number> = []
const clientBefore = process.cpuUsage()
const targetBefore = cpuSeconds(options.targetPid)
const started = performance.now()
const measured = run(options.seconds)
measured.on("response", (_client, _status, _bytes, ms) => {
  latencies.push(ms)
})
const result = await measured
const wallSeconds = (performance.now() - started) / 1000
const targetAfter = cpuSeconds(options.targetPid)
const client = process.cpuUsage(clientBefore)

latencies.sort((a, b) => a - b)
const percentile = (p: number): number => {
  if (latencies.length === 0) return 0
  const rank = Math.ceil((p / 100) * latencies.length)
  return latencies[Math.min(latencies.length, Math.max(1, rank)) - 1] ?? 0
}
const sum = latencies.reduce((acc, v) => acc + v, 0)
const warm = stats(warmup)
const { errorKinds, errors } = stats(result)
// A target broken during the warm-up must not look healthy either.
for (const [kind, count] of Object.entries(warm.errorKinds)) errorKinds[`${kind} (warm-up)`] = count

const report: LoadResult = {
  requests: result.requests.total,
  seconds: result.duration,
  rps: result.requests.total / result.duration,
  latencyMs: {
    min: latencies[0] ?? 0,
    mean: latencies.length === 0 ? 0 : sum / latencies.length,
    p50: percentile(50),
    p90: percentile(90),
    p99: percentile(99),
    max: latencies[latencies.length - 1] ?? 0
  },
  errors: errors + warm.errors,
  errorKinds,
  connections: options.concurrency,
  clientCpuPercent: ((client.user + client.system) / 1000 / (wallSeconds * 1000)) * 100,
  targetCpuPercent:
    targetBefore === undefined || targetAfter === undefined
      ? undefined
      : ((targetAfter - targetBefore) / wallSeconds) * 100,
  warmupRequests: warmup.requests.total
}
process.stdout.write(`${JSON.stringify(report)}\n`)
process.exit(0)
