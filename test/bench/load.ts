import { Agent, request } from "node:http"
import type { Socket } from "node:net"
import type { LoadOptions, LoadResult } from "./harness.ts"

/**
 * Closed-loop load generator, run as its own process by harness.ts so it does not share an event
 * loop with the server it measures. Keeps exactly `concurrency` requests in flight over keep-alive
 * connections: a warm-up (not recorded), then `seconds` of measurement. A response counts when it
 * completes inside the measured window; its latency comes from performance.now() around the request.
 * Every response must have the expected status and body length, anything else is an error.
 * Prints one JSON LoadResult on stdout.
 *
 * Usage: BENCH_LOAD_OPTIONS='<LoadOptions as JSON>' node test/bench/load.ts
 */

const rawOptions = process.env["BENCH_LOAD_OPTIONS"]
if (rawOptions === undefined) {
  process.stderr.write("load.ts: set BENCH_LOAD_OPTIONS to the LoadOptions JSON\n")
  process.exit(2)
}
const options = JSON.parse(rawOptions) as LoadOptions
const requestTimeoutMs = 10_000
const drainTimeoutMs = 15_000
const maxErrors = 1000
let aborted = false

const agent = new Agent({
  keepAlive: true,
  maxSockets: options.concurrency,
  maxFreeSockets: options.concurrency,
  scheduling: "fifo"
})

const sockets = new WeakSet<Socket>()
let connections = 0
const latencies: Array<number> = []
let warmupRequests = 0
let errors = 0
const errorKinds: Record<string, number> = {}
const sampleErrors: Array<string> = []

const start = performance.now()
const measureFrom = start + options.warmupSeconds * 1000
const measureUntil = measureFrom + options.seconds * 1000

/** Errors during warm-up count too: a broken target must not look healthy. */
const recordError = (kind: string, detail: string) => {
  errors++
  errorKinds[kind] = (errorKinds[kind] ?? 0) + 1
  const sample = `${kind}: ${detail}`
  if (sampleErrors.length < 10 && !sampleErrors.includes(sample)) sampleErrors.push(sample)
  // A dead or broken target: stop hammering it, the run is invalid anyway.
  if (errors >= maxErrors) aborted = true
}

const record = (began: number, ended: number) => {
  if (ended < measureFrom) warmupRequests++
  else if (ended <= measureUntil) latencies.push(ended - began)
}

/** One request; resolves when it is finished, whatever the outcome. */
const once = (): Promise<void> =>
  new Promise((done) => {
    const began = performance.now()
    let settled = false
    const finish = (error?: { kind: string; detail: string }) => {
      if (settled) return
      settled = true
      const ended = performance.now()
      if (error === undefined) record(began, ended)
      else recordError(error.kind, error.detail)
      done()
    }
    const req = request(
      { agent, host: "127.0.0.1", port: options.port, path: options.path, method: "GET", headers: options.headers },
      (res) => {
        let length = 0
        res.on("data", (chunk: Buffer) => {
          length += chunk.length
        })
        res.on("error", (error) => finish({ kind: "response error", detail: error.message }))
        res.on("end", () => {
          if (res.statusCode !== options.expectStatus) {
            finish({ kind: `status ${res.statusCode}`, detail: `expected ${options.expectStatus}` })
          } else if (length !== options.expectBodyLength) {
            finish({ kind: "body length", detail: `got ${length} bytes, expected ${options.expectBodyLength}` })
          } else finish()
        })
      }
    )
    req.on("socket", (socket: Socket) => {
      if (!sockets.has(socket)) {
        sockets.add(socket)
        connections++
      }
    })
    req.setTimeout(requestTimeoutMs, () => req.destroy(new Error(`no answer within ${requestTimeoutMs} ms`)))
    req.on("error", (error: NodeJS.ErrnoException) =>
      finish({ kind: error.code ?? "request error", detail: error.message })
    )
    req.end()
  })

const worker = async () => {
  while (!aborted && performance.now() < measureUntil) await once()
}

let cpuAtMeasure: NodeJS.CpuUsage | undefined
const cpuTimer = setTimeout(
  () => {
    cpuAtMeasure = process.cpuUsage()
  },
  Math.max(0, measureFrom - performance.now())
)

const drain = Promise.all(Array.from({ length: options.concurrency }, worker))
const drainLimit = new Promise<"timeout">((done) =>
  setTimeout(() => done("timeout"), (options.warmupSeconds + options.seconds) * 1000 + drainTimeoutMs).unref()
)
const outcome = await Promise.race([drain.then(() => "done" as const), drainLimit])
clearTimeout(cpuTimer)
const cpu = process.cpuUsage(cpuAtMeasure)
agent.destroy()
if (outcome === "timeout") recordError("drain timeout", "in-flight requests did not finish")

latencies.sort((a, b) => a - b)
const percentile = (p: number): number => {
  if (latencies.length === 0) return 0
  const rank = Math.ceil((p / 100) * latencies.length)
  return latencies[Math.min(latencies.length, Math.max(1, rank)) - 1] ?? 0
}
const sum = latencies.reduce((acc, v) => acc + v, 0)

const result: LoadResult = {
  requests: latencies.length,
  seconds: options.seconds,
  rps: latencies.length / options.seconds,
  latencyMs: {
    min: latencies[0] ?? 0,
    mean: latencies.length === 0 ? 0 : sum / latencies.length,
    p50: percentile(50),
    p90: percentile(90),
    p99: percentile(99),
    max: latencies[latencies.length - 1] ?? 0
  },
  errors,
  errorKinds,
  sampleErrors,
  connections,
  clientCpuPercent: ((cpu.user + cpu.system) / 1000 / (options.seconds * 1000)) * 100,
  warmupRequests
}
process.stdout.write(`${JSON.stringify(result)}\n`)
process.exit(0)
