import { makeEmbeddedLoyalty } from "../../adapters/loyalty/embedded-loyalty.ts"
import { makeLoyaltyTables, makeMemoryLoyaltyLedger } from "../../adapters/storage/memory/memory-loyalty.ts"
import { type LoyaltySimulator, startLoyaltySimulator } from "../support/loyalty-simulator.ts"
import {
  type BenchSection,
  type BenchSettings,
  fmt,
  formatTable,
  httpRequest,
  loud,
  makeTempDir,
  type RunningService,
  removeTempDir,
  runAdmin,
  startService,
  type TimedResponse
} from "./harness.ts"

/**
 * The loyalty proxy's timings of SPEC section 11 against a loyalty-service simulator on loopback:
 * the 504 must come within the timeout + 250 ms, and the open breaker's 503 in under 10 ms. The
 * baseline is the same GET sent straight to the simulator, measured in the same run.
 * Env: BENCH_LOYALTY_TIMEOUT_MS (1000), BENCH_LOYALTY_SAMPLES (10 timeouts), BENCH_LOYALTY_QUICK_SAMPLES
 * (1000 healthy GETs and as many 503s).
 */

const host = "demo.localhost"
/** The credential the simulator expects and the demo tenant is given (admin CLI `tenant set-loyalty`). */
export const loyaltyCredential = "bench-loyalty-credential"
const credential = loyaltyCredential

/** A loyalty-service simulator on loopback answering from an in-memory ledger of its own. */
export const startLedgerSimulator = (): Promise<LoyaltySimulator> =>
  startLoyaltySimulator({
    backend: makeEmbeddedLoyalty(makeMemoryLoyaltyLedger(makeLoyaltyTables())),
    credential: loyaltyCredential
  })

const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

const summary = (name: string, samples: ReadonlyArray<number>, target: string) => [
  name,
  String(samples.length),
  fmt.ms(percentile(samples, 50)),
  fmt.ms(percentile(samples, 99)),
  fmt.ms(Math.max(...samples)),
  target
]

const run = async (settings: BenchSettings) => {
  const failures: Array<string> = []
  const timeoutMs = Number(process.env["BENCH_LOYALTY_TIMEOUT_MS"] ?? 1000)
  const samples = Number(process.env["BENCH_LOYALTY_SAMPLES"] ?? 10)
  const quickSamples = Number(process.env["BENCH_LOYALTY_QUICK_SAMPLES"] ?? 1000)
  const simulator = await startLedgerSimulator()
  const dataDir = makeTempDir("pos-bench-loyalty-")
  let service: RunningService | undefined
  try {
    // First start creates the demo tenant; the admin CLI (the data directory is the service's
    // while it runs) then gives it the loyalty credential.
    const first = await startService("pglite", {}, { dataDir })
    const apiKey = first.apiKey
    await first.stop()
    await runAdmin(["tenant", "set-loyalty", "demo", "--credential", credential], {
      DATA_DIR: dataDir,
      STORAGE: "pglite"
    })
    service = await startService(
      "pglite",
      // Timeouts count as failures: the breaker may open only after every timeout sample.
      {
        LOYALTY_URL: simulator.url,
        LOYALTY_TIMEOUT_MS: String(timeoutMs),
        LOYALTY_BREAKER_FAILURES: String(samples + 1)
      },
      { dataDir, apiKey }
    )
    const port = service.port
    const call = (method: string, path: string, body?: unknown): Promise<TimedResponse> =>
      httpRequest({
        port,
        path,
        method,
        headers: { host, "x-api-key": apiKey, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)) }),
        timeoutMs: timeoutMs + 10_000
      })
    const created = await call("POST", "/api/v1/customers", { name: "Bench", phone: "+6591234567" })
    const customerId = (JSON.parse(created.body) as { customerId: string }).customerId
    const memberPath = `/api/v1/loyalty/members/${customerId}`
    const simulatorPort = Number(new URL(simulator.url).port)
    const direct = () =>
      httpRequest({
        port: simulatorPort,
        path: `/v1/members/${customerId}`,
        method: "GET",
        headers: { authorization: `Bearer ${credential}` }
      })

    // Warm both paths, then the healthy round trip: through the service and straight to the simulator.
    for (let i = 0; i < 50; i++) await Promise.all([call("GET", memberPath), direct()])
    const healthy: Array<number> = []
    const baseline: Array<number> = []
    for (let i = 0; i < quickSamples; i++) {
      const through = await call("GET", memberPath)
      if (through.status !== 200) failures.push(`loyalty: healthy GET answered ${through.status}`)
      healthy.push(through.ms)
      baseline.push((await direct()).ms)
    }

    // The upstream hangs: every request must end in 504 soon after the deadline.
    simulator.setFault({ _tag: "Delay", ms: timeoutMs + 2000 })
    const timeouts: Array<number> = []
    for (let i = 0; i < samples; i++) {
      const response = await call(i % 2 === 0 ? "GET" : "POST", i % 2 === 0 ? memberPath : "/api/v1/loyalty/earn", {
        customerId,
        amount: 100,
        refCode: `bench-timeout-${i}`
      })
      if (response.status === 503) break // the breaker opened: the timeouts it saw were failures
      if (response.status !== 504) failures.push(`loyalty: a hanging upstream answered ${response.status}`)
      timeouts.push(response.ms)
    }

    // The upstream fails: the breaker opens, and then answers 503 at once without calling.
    simulator.setFault({ _tag: "Status", status: 500 })
    for (let i = 0; i < samples + 5; i++) {
      if ((await call("GET", memberPath)).status === 503) break
    }
    // Warm the refusal path as the healthy one was warmed.
    for (let i = 0; i < 50; i++) await call("GET", memberPath)
    const callsBefore = simulator.calls.length
    const open: Array<number> = []
    let retryAfter: unknown
    for (let i = 0; i < quickSamples; i++) {
      const response = await call("GET", memberPath)
      if (response.status !== 503) failures.push(`loyalty: the open breaker answered ${response.status}`)
      retryAfter ??= response.headers["retry-after"]
      open.push(response.ms)
    }
    const upstreamCalls = simulator.calls.length - callsBefore

    console.log(
      `loyalty: LOYALTY_TIMEOUT_MS=${timeoutMs}, PGlite, one request at a time (BENCH_CONCURRENCY does not apply)`
    )
    console.log(
      formatTable(
        ["request", "n", "p50 ms", "p99 ms", "max ms", "target"],
        [
          summary("GET member, healthy upstream", healthy, "-"),
          summary("  baseline: the same GET to the simulator", baseline, "-"),
          summary("504, upstream hangs", timeouts, `max < ${timeoutMs + 250}`),
          summary("503, breaker open", open, "p99 < 10")
        ]
      )
    )
    console.log(`breaker open: Retry-After ${String(retryAfter)} s, ${upstreamCalls} upstream calls while open`)
    const slowest = open
      .map((ms, i) => [ms, i] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, 5)
    console.log(`slowest 503s (ms @ request #): ${slowest.map(([ms, i]) => `${fmt.ms(ms)} @ ${i}`).join(", ")}`)
    const slowTimeout = timeouts.length === 0 ? Number.NaN : Math.max(...timeouts)
    const checks: Array<[boolean, string]> = [
      [
        timeouts.length > 0 && slowTimeout < timeoutMs + 250,
        `504 max ${fmt.ms(slowTimeout)} ms, target < ${timeoutMs + 250}`
      ],
      [percentile(open, 99) < 10, `open-breaker 503 p99 ${fmt.ms(percentile(open, 99))} ms, target < 10`],
      [upstreamCalls === 0, `${upstreamCalls} upstream calls while the breaker was open, target 0`]
    ]
    for (const [met, message] of checks) {
      if (met) continue
      console.log(loud(`loyalty: TARGET MISSED: ${message}`))
      if (settings.strict || message.includes("upstream calls")) failures.push(`loyalty: ${message}`)
    }
  } finally {
    await service?.stop()
    await simulator.stop()
    removeTempDir(dataDir)
  }
  return { failures }
}

export const loyaltySection: BenchSection = {
  name: "loyalty",
  description: "loyalty proxy: the 504 deadline and the open breaker's 503, against a loyalty-service simulator",
  run
}
