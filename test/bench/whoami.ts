import { availableParallelism } from "node:os"
import {
  type BenchSection,
  type BenchSettings,
  fmt,
  formatTable,
  httpGet,
  type LoadOptions,
  type LoadResult,
  loud,
  type RunningTarget,
  runLoad,
  type SectionOutcome,
  startRawServer,
  startService,
  storageFromEnv
} from "./harness.ts"

/**
 * GET /api/v1/auth/whoami on the real service (as a child process, its own storage): the 200 path
 * with a valid key, and the 401 path with a fresh random key id on every request and with a fresh
 * unknown tenant host on every request; beside a raw node:http server sending the 200 body. All
 * driven by autocannon in its own process with `concurrency` keep-alive connections, in one run.
 * Targets: service 200 req/s >= 0.30 x raw req/s (the long-term aim); each 401 path >= the 200
 * path's req/s (a flood of made-up keys or hosts must not be the cheaper way to load the service).
 */

const path = "/api/v1/auth/whoami"
const host = "demo.localhost"
const rawRatioTarget = 0.3
const invalidKeyBody =
  '{"error":{"code":401,"message":"invalid api key","details":"the provided X-Api-Key is invalid or expired"}}'

interface Measured {
  readonly name: string
  readonly result: LoadResult
}

const measure = async (
  name: string,
  target: RunningTarget,
  load: Pick<LoadOptions, "headers" | "expectStatus" | "expectBody" | "vary">,
  settings: BenchSettings
): Promise<Measured> => {
  process.stdout.write(
    `  ${name}: ${settings.warmupSeconds} s warm-up + ${settings.seconds} s, ${settings.concurrency} connections ...`
  )
  const result = await runLoad({
    ...load,
    port: target.port,
    path,
    concurrency: settings.concurrency,
    warmupSeconds: settings.warmupSeconds,
    seconds: settings.seconds,
    targetPid: target.pid
  })
  process.stdout.write(` ${fmt.int(result.rps)} req/s\n`)
  return { name, result }
}

/** Server CPU per answered request, in microseconds. */
const cpuMicros = ({ targetCpuPercent, rps }: LoadResult) =>
  targetCpuPercent === undefined || rps === 0 ? "n/a" : fmt.int(((targetCpuPercent / 100) * 1e6) / rps)

const run = async (settings: BenchSettings): Promise<SectionOutcome> => {
  const storage = storageFromEnv()
  const failures: Array<string> = []
  console.log(
    `whoami: GET ${path} (Host: ${host}), storage=${storage}; load: autocannon in its own process; ` +
      "401 paths: a new random key id, or a new unknown tenant host, on every request"
  )

  // 1. The service: its key, and the bodies it answers (the baseline sends the same 200 bytes).
  const service = await startService(storage)
  const valid = { host, "x-api-key": service.apiKey }
  let body: string
  const measured: Array<Measured> = []
  let serviceAlive = false
  let servicePeakMb: number | undefined
  try {
    const probe = await httpGet(service.port, path, valid)
    if (probe.status !== 200) throw new Error(`whoami answered ${probe.status}: ${probe.body}`)
    body = probe.body
    const refused = await httpGet(service.port, path, { ...valid, "x-api-key": `posk_987654321_${"Z".repeat(40)}` })
    if (refused.status !== 401 || refused.body !== invalidKeyBody) {
      throw new Error(`a garbage key answered ${refused.status}: ${refused.body}`)
    }
    measured.push(
      await measure(
        "service 200 (valid key)",
        service,
        { headers: valid, expectStatus: 200, expectBody: body },
        settings
      )
    )
    measured.push(
      await measure(
        "service 401 (random key ids)",
        service,
        { headers: valid, expectStatus: 401, expectBody: invalidKeyBody, vary: "keyId" },
        settings
      )
    )
    measured.push(
      await measure(
        "service 401 (unknown hosts)",
        service,
        { headers: valid, expectStatus: 401, expectBody: invalidKeyBody, vary: "host" },
        settings
      )
    )
    serviceAlive = service.alive()
  } finally {
    // Peak memory is read just before the process stops, whatever happened.
    servicePeakMb = await service.stop()
  }

  // 2. The baseline, measured the same way in the same run.
  const raw = await startRawServer(body)
  let rawAlive = false
  try {
    measured.push(
      await measure("raw node:http", raw, { headers: valid, expectStatus: 200, expectBody: body }, settings)
    )
    rawAlive = raw.alive()
  } finally {
    await raw.stop()
  }

  // 3. Report.
  const rows = measured.map(({ name, result }) => [
    name,
    fmt.int(result.rps),
    fmt.ms(result.latencyMs.p50),
    fmt.ms(result.latencyMs.p99),
    fmt.ms(result.latencyMs.max),
    fmt.int(result.requests),
    fmt.int(result.errors),
    fmt.pct(result.targetCpuPercent),
    cpuMicros(result),
    fmt.pct(result.clientCpuPercent)
  ])
  console.log("")
  console.log(
    formatTable(
      ["target", "req/s", "p50 ms", "p99 ms", "max ms", "requests", "errors", "server cpu", "us/req", "client cpu"],
      rows
    )
  )
  const rps = (name: string) => measured.find((m) => m.name.startsWith(name))?.result.rps ?? 0
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b)
  const checks = [
    { label: "service 200 / raw", value: ratio(rps("service 200"), rps("raw")), target: rawRatioTarget },
    { label: "401 random key ids / 200", value: ratio(rps("service 401 (random key"), rps("service 200")), target: 1 },
    { label: "401 unknown hosts / 200", value: ratio(rps("service 401 (unknown"), rps("service 200")), target: 1 }
  ]
  console.log("")
  for (const check of checks) {
    const met = check.value >= check.target
    console.log(
      `ratio ${check.label} req/s: ${check.value.toFixed(2)}  (target >= ${check.target.toFixed(2)}: ${met ? "met" : "NOT MET"})`
    )
    if (!met) {
      const message = `whoami: ratio ${check.label} ${check.value.toFixed(2)} below target ${check.target.toFixed(2)}`
      if (settings.strict) failures.push(message)
      else console.log(`warning: ${message} (BENCH_STRICT=1 makes this fail the run)`)
    }
  }
  console.log(`service peak memory (VmHWM, read just before stopping it): ${fmt.mb(servicePeakMb)}`)
  console.log(
    `note: autocannon and the server are separate processes on the same machine (${availableParallelism()} cores), ` +
      "so they compete for CPU; cpu columns are % of one core over the measured seconds, us/req is server CPU per request; " +
      "latencies are autocannon's per-response times."
  )

  if (!serviceAlive) failures.push("whoami: the service exited during the measurement")
  if (!rawAlive) failures.push("whoami: the raw server exited during the measurement")
  for (const { name, result } of measured) {
    if (result.errors > 0) {
      console.log("")
      console.log(loud(`${name}: ${result.errors} FAILED REQUESTS — these numbers are not valid`))
      console.log(`  by kind: ${JSON.stringify(result.errorKinds)}`)
      failures.push(`whoami: ${name} had ${result.errors} failed requests`)
    }
    if (result.requests === 0) failures.push(`whoami: ${name} completed no request`)
  }
  return { failures }
}

export const whoamiSection: BenchSection = {
  name: "whoami",
  description: "GET /api/v1/auth/whoami req/s and latency: 200, 401 (garbage keys, unknown hosts), raw node:http",
  run
}
