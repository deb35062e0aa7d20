import { availableParallelism } from "node:os"
import {
  type BenchSection,
  type BenchSettings,
  fmt,
  formatTable,
  httpGet,
  type LoadRun,
  loud,
  type RunningTarget,
  runLoad,
  type SectionOutcome,
  startRawServer,
  startService,
  storageFromEnv
} from "./harness.ts"

/**
 * GET /api/v1/auth/whoami on the real service (as a child process, its own storage) against a raw
 * node:http server sending the same body, both driven by the same closed-loop load generator with
 * `concurrency` keep-alive connections. Target: service req/s >= 0.30 x raw req/s.
 */

const path = "/api/v1/auth/whoami"
const host = "demo.localhost"
const targetRatio = 0.3

interface Measured {
  readonly name: string
  readonly run: LoadRun
  readonly peakMb: number | undefined
  readonly survived: boolean
}

const measure = async (
  target: RunningTarget,
  headers: Record<string, string>,
  body: string,
  settings: BenchSettings
): Promise<Measured> => {
  process.stdout.write(
    `  ${target.name}: ${settings.warmupSeconds} s warm-up + ${settings.seconds} s, ${settings.concurrency} connections ...`
  )
  let run: LoadRun
  let peakMb: number | undefined
  let survived = false
  try {
    run = await runLoad(
      {
        port: target.port,
        path,
        headers,
        concurrency: settings.concurrency,
        warmupSeconds: settings.warmupSeconds,
        seconds: settings.seconds,
        expectStatus: 200,
        expectBodyLength: Buffer.byteLength(body)
      },
      target.pid
    )
    survived = target.alive()
  } finally {
    // Peak memory is read just before the process stops, whatever happened.
    peakMb = await target.stop()
  }
  process.stdout.write(` ${fmt.int(run.result.rps)} req/s\n`)
  return { name: target.name, run, peakMb, survived }
}

const run = async (settings: BenchSettings): Promise<SectionOutcome> => {
  const storage = storageFromEnv()
  const failures: Array<string> = []
  console.log(`whoami: GET ${path} (Host: ${host}), storage=${storage}`)

  // 1. The service: its key, and the body it answers (the baseline sends the same bytes).
  const service = await startService(storage)
  const headers = { host, "x-api-key": service.apiKey }
  let body: string
  try {
    const probe = await httpGet(service.port, path, headers)
    if (probe.status !== 200) throw new Error(`whoami answered ${probe.status}: ${probe.body}`)
    body = probe.body
  } catch (error) {
    await service.stop()
    throw error
  }
  const measuredService = await measure(service, headers, body, settings)

  // 2. The baseline, measured the same way in the same run.
  const raw = await startRawServer(body)
  const measuredRaw = await measure(raw, headers, body, settings)

  // 3. Report.
  const results = [measuredService, measuredRaw]
  const rows = results.map(({ name, run: { result, targetCpuPercent }, peakMb }) => [
    name,
    fmt.int(result.rps),
    fmt.ms(result.latencyMs.p50),
    fmt.ms(result.latencyMs.p99),
    fmt.ms(result.latencyMs.max),
    fmt.int(result.requests),
    fmt.int(result.errors),
    String(result.connections),
    fmt.pct(targetCpuPercent),
    fmt.pct(result.clientCpuPercent),
    fmt.mb(peakMb)
  ])
  console.log("")
  console.log(
    formatTable(
      [
        "target",
        "req/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "requests",
        "errors",
        "conns",
        "server cpu",
        "client cpu",
        "VmHWM"
      ],
      rows
    )
  )
  const ratio = measuredRaw.run.result.rps === 0 ? 0 : measuredService.run.result.rps / measuredRaw.run.result.rps
  const met = ratio >= targetRatio
  console.log("")
  console.log(
    `ratio service/raw req/s: ${ratio.toFixed(2)}  (target >= ${targetRatio.toFixed(2)}: ${met ? "met" : "NOT MET"})`
  )
  console.log(`service peak memory (VmHWM, read just before stopping it): ${fmt.mb(measuredService.peakMb)}`)
  console.log(
    `note: load generator and server are separate processes on the same machine (${availableParallelism()} cores), ` +
      "so they compete for CPU; cpu columns are % of one core (server: averaged over warm-up + measurement)."
  )

  for (const { name, run: measured, survived } of results) {
    if (!survived) {
      console.log("")
      console.log(loud(`${name}: THE PROCESS EXITED DURING THE MEASUREMENT`))
      failures.push(`whoami: ${name} exited during the measurement`)
    }
    const { errors, errorKinds, sampleErrors } = measured.result
    if (errors > 0) {
      console.log("")
      console.log(loud(`${name}: ${errors} FAILED REQUESTS — these numbers are not valid`))
      console.log(`  by kind: ${JSON.stringify(errorKinds)}`)
      for (const sample of sampleErrors) console.log(`  ${sample}`)
      failures.push(`whoami: ${name} had ${errors} failed requests`)
    }
    if (measured.result.requests === 0) failures.push(`whoami: ${name} completed no request`)
  }
  if (!met) {
    const message = `whoami: ratio ${ratio.toFixed(2)} below target ${targetRatio.toFixed(2)}`
    if (settings.strict) failures.push(message)
    else console.log(`warning: ${message} (BENCH_STRICT=1 makes this fail the run)`)
  }
  return { failures }
}

export const whoamiSection: BenchSection = {
  name: "whoami",
  description: "GET /api/v1/auth/whoami req/s and latency, service vs raw node:http",
  run
}
