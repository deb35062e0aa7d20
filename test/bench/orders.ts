import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { availableParallelism } from "node:os"
import { join } from "node:path"
import { modifierOptionId, productId } from "../../domain/ids.ts"
import { product } from "./catalog-sync.ts"
import {
  type BenchSection,
  type BenchSettings,
  benchDir,
  captureTail,
  cpuMicros,
  cpuSeconds,
  createScratchDatabase,
  expectStatus,
  failedRequests,
  fmt,
  formatTable,
  httpRequest,
  intFromEnv,
  type LoadResult,
  loud,
  type Measured,
  type MeasureLoad,
  makeTempDir,
  measure,
  peakRssMb,
  psql,
  psqlRows,
  psqlSession,
  type RunningService,
  type RunningTarget,
  refCodePlaceholder,
  removeTempDir,
  runAdmin,
  type ScratchDatabase,
  type SectionOutcome,
  sleep,
  spawnNode,
  startRawServer,
  startService,
  stopChild,
  type TimedResponse
} from "./harness.ts"
import { catalogPush, channelLinkId, copiedHeaders, outletRegistrations } from "./menu.ts"

/**
 * `BENCH=orders`: placing orders on PostgreSQL (a scratch database made on the server of
 * BENCH_DATABASE_URL or DATABASE_URL, dropped at the end) and their delivery to the POS by the
 * dispatcher, the real service as its own process.
 *
 * Setup: a tenant with POS and partner keys (admin CLI); 10 outlets through Deliverect's outlet sync
 * and a catalog of 200 products (2 modifier groups of 5 options each: a required size, optional
 * extras; catalog-sync.ts's generator) pushed to all of them; each outlet's credentials (admin CLI)
 * point at the fake Deliverect Channel API (plugins/deliverect/fake-deliverect.ts, in a process of
 * its own: fake-pos.ts), which answers each order 201 after 20 ms and records when it received it.
 * 64 order bodies (one or two lines, a size and sometimes an extra, at one of the outlets;
 * `payment.amount` the total of the catalog's prices, the tenant's prices including tax), each placed
 * once before the load (each must be a 201 with that total, and reach the fake).
 *
 * Load: `POST /api/v1/orders` by autocannon at BENCH_CONCURRENCY connections, the 64 bodies in turn,
 * each request with a refCode never sent before (so every request places an order); every answer
 * must be a 201 with the order (status RECEIVED). Then the bench waits until the dispatcher has
 * delivered every order (at most BENCH_ORDERS_DRAIN_SECONDS) and reads, from the scratch database
 * (after the load, so the reads do not weigh on it), each order's createdAt and its first delivery
 * attempt's start: the dispatcher's lag of an order is the time the fake received it minus its
 * createdAt, shown whole and in two parts, createdAt to the attempt's start (createdAt is taken as the
 * placement begins, before the menu reads and the transaction: this part holds the rest of the
 * placement, its commit and the claim), and the attempt's start to the fake receiving it (the plugin's
 * call). Exactly once: the fake holds each order's refCode (its channelOrderId) once, and no other.
 * Also shown, over the load and the delivery: the CPU and system calls of the service, the CPU of the
 * scratch database's backends (PostgreSQL on this machine) and of the fake.
 *
 * Baseline, in the same run: raw node:http (raw-server.ts) answering a 201 with one of the service's
 * own 201 bodies (of about the average size) and its headers, to the same POSTs.
 *
 * Targets (2 cores, the POS answering in 20 ms): at least 500 orders/s accepted (201), and the
 * dispatcher's lag p99 under 1 s.
 *
 * Env: BENCH_ORDERS_OUTLETS (10), BENCH_ORDERS_CATALOG_ITEMS (200), BENCH_ORDERS_POS_DELAY_MS (20),
 * BENCH_ORDERS_DRAIN_SECONDS (120), BENCH_DATABASE_URL / DATABASE_URL, and the harness's
 * BENCH_SECONDS, BENCH_WARMUP_SECONDS, BENCH_CONCURRENCY, BENCH_STRICT, BENCH_SERVICE_NODE_FLAGS.
 */

const provider = "deliverect"
const tenantId = "benchorders"
const tenantSchema = `tenant_${tenantId}`
const host = `${tenantId}.localhost`
export const ordersPath = "/api/v1/orders"
/** Distinct order bodies the load sends in turn. */
export const templateCount = 64

const targets = { ordersPerSecond: 500, lagP99Ms: 1000 }

const rows = {
  service: "service POST /api/v1/orders 201",
  raw: "raw node:http 201 (same POSTs)"
} as const

// ---------------------------------------------------------------------------------------------
// Settings

const ordersSettings = () => ({
  outlets: intFromEnv("BENCH_ORDERS_OUTLETS", 10, 1),
  catalogItems: intFromEnv("BENCH_ORDERS_CATALOG_ITEMS", 200, 1),
  posDelayMs: intFromEnv("BENCH_ORDERS_POS_DELAY_MS", 20, 0),
  drainSeconds: intFromEnv("BENCH_ORDERS_DRAIN_SECONDS", 120, 1),
  serverUrl: process.env["BENCH_DATABASE_URL"] || process.env["DATABASE_URL"] || undefined
})

type OrdersConfig = ReturnType<typeof ordersSettings>

// ---------------------------------------------------------------------------------------------
// The orders: bodies built from the generated catalog, priced as the server prices them

export interface OrderTemplate {
  /** The JSON body, with refCodePlaceholder where the refCode goes. */
  readonly body: string
  /** The total of the catalog's prices: what `payment.amount` says and the 201 must show. */
  readonly total: number
  readonly lines: number
}

/**
 * Order `k` of the load: at outlet k mod outlets; one line, or two for odd k; each line a product
 * of the catalog, one to two of it, with one of the five sizes (the required group) and, on every
 * third line, one extra. The tenant's prices include tax (its default) and the outlets say nothing
 * else, so the total is the sum of the lines: quantity x (price + size + extra).
 */
export const orderTemplate = (k: number, outletIds: ReadonlyArray<string>, catalogItems: number): OrderTemplate => {
  const lines = k % 2 === 0 ? 1 : 2
  let total = 0
  const items = Array.from({ length: lines }, (_, j) => {
    const p = product((k * 7 + j * 13) % catalogItems)
    const size = p.groups[0]?.options[(k + j) % 5]
    const extra = (k + j) % 3 === 0 ? p.groups[1]?.options[k % 5] : undefined
    if (size === undefined) throw new Error("the generated catalog has no size group")
    const quantity = 1 + ((k + j) % 2)
    total += quantity * (p.price + size.price + (extra?.price ?? 0))
    return {
      productId: productId(provider, p.key),
      quantity,
      modifiers: [
        { optionId: modifierOptionId(provider, size.key) },
        ...(extra === undefined ? [] : [{ optionId: modifierOptionId(provider, extra.key) }])
      ]
    }
  })
  const body = {
    refCode: refCodePlaceholder,
    outletId: outletIds[k % outletIds.length],
    fulfilment: { type: "PICKUP", asap: true },
    customer: { name: `Bench Customer ${k + 1}`, phone: "+6591234567" },
    items,
    payment: { status: "PAID", amount: total, method: "card", reference: `pi_bench_${k + 1}` }
  }
  return { body: JSON.stringify(body), total, lines }
}

export const withRefCode = (template: OrderTemplate, refCode: string): Buffer =>
  Buffer.from(template.body.replace(refCodePlaceholder, refCode), "utf8")

/**
 * What every 201 must be: the order just placed, RECEIVED, in the answer's field order (orderId,
 * refCode, outletId, status, createdAt first), one JSON object.
 */
export const answerPattern =
  '^\\{"orderId":"ord_[0-9a-f]{32}","refCode":"[A-Za-z0-9._:-]{1,48}","outletId":"[^"]+","status":"RECEIVED","createdAt":"\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z",.*\\}$'

// ---------------------------------------------------------------------------------------------
// The fake POS, in its own process (fake-pos.ts)

export interface FakePos {
  readonly url: string
  readonly pid: number | undefined
  readonly credentials: Record<string, unknown>
  readonly stats: () => Promise<{ orderRequests: number; tokenRequests: number; taken: number; duplicates: number }>
  readonly arrivals: () => Promise<{
    arrivals: ReadonlyArray<readonly [string, number, number | null]>
    taken: ReadonlyArray<string>
    duplicates: ReadonlyArray<string>
  }>
  readonly stop: () => Promise<number | undefined>
}

export const startFakePos = async (delayMs: number): Promise<FakePos> => {
  const child = spawnNode(join(benchDir, "fake-pos.ts"), [], {
    ...process.env,
    BENCH_FAKE_DELAY_MS: String(delayMs)
  })
  const stdout = captureTail(child.stdout)
  const stderr = captureTail(child.stderr)
  const deadline = Date.now() + 30_000
  let line: string | undefined
  while (line === undefined) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stopChild(child)
      throw new Error(`the fake POS did not start\n${stdout.text()}\n${stderr.text()}`)
    }
    line = stdout
      .text()
      .split("\n")
      .find((l) => l.startsWith("{"))
    if (line === undefined) await sleep(50)
  }
  const started = JSON.parse(line) as { url: string; control: string; credentials: Record<string, unknown> }
  const controlPort = Number(new URL(started.control).port)
  const get = async <A>(path: string): Promise<A> => {
    const res = await httpRequest({ port: controlPort, path, method: "GET", timeoutMs: 60_000 })
    if (res.status !== 200) throw new Error(`the fake POS's ${path} answered ${res.status}: ${res.body.slice(0, 500)}`)
    return JSON.parse(res.body) as A
  }
  return {
    url: started.url,
    pid: child.pid,
    credentials: started.credentials,
    stats: () => get("/stats"),
    arrivals: () => get("/arrivals"),
    stop: async () => {
      const peak = peakRssMb(child.pid)
      await stopChild(child)
      return peak
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Talking to the service

const call = (
  service: RunningTarget,
  key: string,
  method: string,
  path: string,
  body?: Buffer,
  headers: Record<string, string> = {}
): Promise<TimedResponse> =>
  httpRequest({
    port: service.port,
    path,
    method,
    headers: {
      host,
      "x-api-key": key,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers
    },
    ...(body === undefined ? {} : { body }),
    timeoutMs: 600_000
  })

/** Runs `query` every 250 ms until `done` says so or `timeoutMs` passes; the last rows either way. */
const pollDatabase = async (
  url: string,
  query: string,
  done: (rows: Array<Array<string>>) => boolean,
  timeoutMs: number
): Promise<{ readonly rows: Array<Array<string>>; readonly done: boolean }> => {
  const session = psqlSession(url)
  try {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const rows = await session.query(query)
      if (done(rows)) return { rows, done: true }
      if (Date.now() > deadline) return { rows, done: false }
      await sleep(250)
    }
  } finally {
    await session.close()
  }
}

/** Orders with refCodes starting `prefix`: how many, how many not yet delivered, unfinished outbox rows. */
const progressQuery = (prefix: string) =>
  `SELECT count(*), count(*) FILTER (WHERE o.status = 'RECEIVED'),
     (SELECT count(*) FROM ${tenantSchema}.order_outbox WHERE finished_at IS NULL)
   FROM ${tenantSchema}.orders o WHERE o.ref_code LIKE '${prefix}%'`

const allDelivered = (rows: Array<Array<string>>) => rows[0]?.[1] === "0" && rows[0]?.[2] === "0"

// ---------------------------------------------------------------------------------------------
// What each process used over the load and the delivery (Linux /proc; undefined elsewhere)

interface ProcessUsage {
  /** User and system CPU seconds (100 clock ticks a second). */
  readonly user: number
  readonly system: number
  /** read/write-like system calls (/proc/<pid>/io syscr, syscw): each socket read and write counts one. */
  readonly reads: number
  readonly writes: number
}

const processUsage = (pid: number | undefined): ProcessUsage | undefined => {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const io = readFileSync(`/proc/${pid}/io`, "utf8")
    const count = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(io)?.[1] ?? Number.NaN)
    return {
      user: Number(fields[11]) / 100,
      system: Number(fields[12]) / 100,
      reads: count("syscr"),
      writes: count("syscw")
    }
  } catch {
    return undefined
  }
}

const usageBetween = (before: ProcessUsage | undefined, after: ProcessUsage | undefined): ProcessUsage | undefined =>
  before === undefined || after === undefined
    ? undefined
    : {
        user: after.user - before.user,
        system: after.system - before.system,
        reads: after.reads - before.reads,
        writes: after.writes - before.writes
      }

/**
 * CPU seconds of the scratch database's backends (the service's connections), by pid: PostgreSQL on
 * this machine only (empty when its processes cannot be read).
 */
const backendCpu = async (url: string): Promise<Map<number, number>> => {
  const pids = psqlRows(
    await psql(url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
  ).map((r) => Number(r[0]))
  return new Map(
    pids.flatMap((pid) => {
      const seconds = cpuSeconds(pid)
      return seconds === undefined ? [] : [[pid, seconds] as const]
    })
  )
}

/** CPU the backends used between two readings (a backend opened meanwhile counts from zero). */
const backendCpuBetween = (before: Map<number, number>, after: Map<number, number>): number | undefined =>
  after.size === 0 ? undefined : [...after].reduce((sum, [pid, seconds]) => sum + seconds - (before.get(pid) ?? 0), 0)

// ---------------------------------------------------------------------------------------------
// Setup, load, drain

interface Keys {
  readonly pos: string
  readonly partner: string
}

interface OrdersResult {
  readonly measured: ReadonlyArray<Measured>
  readonly answerBytes: { readonly min: number; readonly max: number; readonly raw: number }
  readonly serviceIdleMb: number | undefined
  readonly servicePeakMb: number | undefined
  readonly fakePeakMb: number | undefined
  /** Over the load (warm-up included) and the delivery until every order was delivered. */
  readonly fakeUsage: ProcessUsage | undefined
  readonly serviceUsage: ProcessUsage | undefined
  readonly postgresCpuSeconds: number | undefined
  readonly tokenRequests: number
  readonly drain: { readonly seconds: number; readonly done: boolean }
  readonly delivery: DeliveryReport
}

interface DeliveryReport {
  /** Orders the load placed (in the database), by status. */
  readonly placed: number
  readonly byStatus: ReadonlyArray<readonly [string, number]>
  /** Of those, how many the fake received (at least once), and their lags (ms), sorted. */
  readonly delivered: number
  readonly lagsMs: ReadonlyArray<number>
  /**
   * The lag in two parts (ms, sorted), split at the first delivery attempt's start (recorded by the
   * dispatcher once its claim has committed): createdAt to that start (the rest of the placement, its
   * commit, the claim), and that start to the fake receiving the order (the plugin's call).
   */
  readonly toAttemptMs: ReadonlyArray<number>
  readonly attemptToPosMs: ReadonlyArray<number>
  /** Order requests the fake received for the load's refCodes, and repeats among them. */
  readonly arrivals: number
  readonly repeats: number
  /** Exactly-once problems: refCodes the fake took twice, took without an order, or never got. */
  readonly problems: ReadonlyArray<string>
}

/**
 * The load of POST /api/v1/orders: the templates in turn, each request with a refCode never sent
 * before (`refCodePrefix` and a counter), every answer a 201 holding the order placed.
 */
export const orderLoad = (
  headers: Record<string, string>,
  templates: ReadonlyArray<OrderTemplate>,
  refCodePrefix: string
): MeasureLoad => ({
  path: ordersPath,
  method: "POST",
  headers,
  expectStatus: 201,
  expectBody: "",
  expectBodyPattern: answerPattern,
  vary: "refCode",
  bodyTemplates: templates.map((t) => t.body),
  refCodePrefix
})

const measureLoad = (
  name: string,
  target: RunningTarget,
  headers: Record<string, string>,
  templates: ReadonlyArray<OrderTemplate>,
  refCodePrefix: string,
  settings: BenchSettings
): Promise<Measured> => measure(name, target, orderLoad(headers, templates, refCodePrefix), settings)

/**
 * Places each template once (refCode `prefix` and its index), in turn: each must be a 201 of the
 * expected form whose total is the template's. Resolves with the answers, in the templates' order.
 */
export const placeEachOnce = async (
  templates: ReadonlyArray<OrderTemplate>,
  prefix: string,
  place: (body: Buffer) => Promise<TimedResponse>
): Promise<Array<string>> => {
  const answers: Array<string> = []
  const pattern = new RegExp(answerPattern)
  for (const [k, template] of templates.entries()) {
    const res = await place(withRefCode(template, `${prefix}${k}`))
    expectStatus(`order ${k + 1} (probe)`, res, 201)
    const answer = JSON.parse(res.body) as { totals?: { total?: { amount?: number } } }
    if (answer.totals?.total?.amount !== template.total) {
      throw new Error(
        `order ${k + 1} (probe): total ${JSON.stringify(answer.totals?.total)}, computed ${template.total}: ${res.body.slice(0, 2000)}`
      )
    }
    if (!pattern.test(res.body)) throw new Error(`order ${k + 1} (probe): the 201 is not as expected: ${res.body}`)
    answers.push(res.body)
  }
  return answers
}

/** The index of the answer whose size is nearest the answers' average (the one a baseline sends). */
export const nearestAverageSize = (answers: ReadonlyArray<string>): number => {
  const sizes = answers.map((a) => Buffer.byteLength(a))
  const mean = sizes.reduce((n, s) => n + s, 0) / sizes.length
  return sizes.reduce((best, s, i) => (Math.abs(s - mean) < Math.abs((sizes[best] ?? 0) - mean) ? i : best), 0)
}

/** Each order's lag and the exactly-once checks, from the database (createdAt) and the fake (arrivals). */
const deliveryReport = async (url: string, fake: FakePos, prefix: string): Promise<DeliveryReport> => {
  const orders = psqlRows(
    await psql(
      url,
      `SELECT o.ref_code, o.status, (extract(epoch FROM o.created_at) * 1000)::float8,
         (SELECT (extract(epoch FROM min(a.started_at)) * 1000)::float8 FROM ${tenantSchema}.order_delivery_attempts a
          WHERE a.order_id = o.order_id AND a.kind = 'submit')
       FROM ${tenantSchema}.orders o WHERE o.ref_code LIKE '${prefix}%'`
    )
  )
  const created = new Map(orders.map((r) => [r[0] ?? "", Number(r[2])] as const))
  const attempted = new Map(
    orders.filter((r) => r[3] !== undefined && r[3] !== "").map((r) => [r[0] ?? "", Number(r[3])] as const)
  )
  const statuses = new Map<string, number>()
  for (const r of orders) statuses.set(r[1] ?? "?", (statuses.get(r[1] ?? "?") ?? 0) + 1)
  const got = await fake.arrivals()
  // The first order request (not a cancellation) for each refCode of the load.
  const first = new Map<string, number>()
  let arrivals = 0
  for (const [refCode, at, status] of got.arrivals) {
    if (!refCode.startsWith(prefix) || status === 100) continue
    arrivals++
    if (!first.has(refCode)) first.set(refCode, at)
  }
  const lagsMs: Array<number> = []
  const toAttemptMs: Array<number> = []
  const attemptToPosMs: Array<number> = []
  for (const [refCode, createdAt] of created) {
    const at = first.get(refCode)
    if (at !== undefined) lagsMs.push(at - createdAt)
    const started = attempted.get(refCode)
    if (started !== undefined) toAttemptMs.push(started - createdAt)
    if (started !== undefined && at !== undefined) attemptToPosMs.push(at - started)
  }
  for (const list of [lagsMs, toAttemptMs, attemptToPosMs]) list.sort((a, b) => a - b)
  const problems: Array<string> = []
  const taken = got.taken.filter((r) => r.startsWith(prefix))
  const takenOnce = new Set(taken)
  if (takenOnce.size !== taken.length) {
    problems.push(`the fake took ${taken.length - takenOnce.size} refCodes more than once`)
  }
  const unknown = [...takenOnce].filter((r) => !created.has(r))
  if (unknown.length > 0) {
    problems.push(`the fake took ${unknown.length} orders the database does not hold (e.g. ${unknown[0]})`)
  }
  const missing = [...created.keys()].filter((r) => !takenOnce.has(r))
  if (missing.length > 0) {
    problems.push(`${missing.length} orders never reached the fake as taken orders (e.g. ${missing[0]})`)
  }
  return {
    placed: created.size,
    byStatus: [...statuses.entries()].sort((a, b) => b[1] - a[1]),
    delivered: lagsMs.length,
    lagsMs,
    toAttemptMs,
    attemptToPosMs,
    arrivals,
    repeats: arrivals - first.size,
    problems
  }
}

const runOrders = async (
  config: OrdersConfig,
  settings: BenchSettings,
  env: Record<string, string>,
  dataDir: string,
  database: ScratchDatabase,
  keys: Keys
): Promise<OrdersResult> => {
  const runId = Date.now().toString(36)
  const fake = await startFakePos(config.posDelayMs)
  let service: RunningService | undefined
  try {
    console.log(`  fake Deliverect Channel API at ${fake.url}, answering orders after ${config.posDelayMs} ms`)
    service = await startService("postgres", env, { dataDir, apiKey: keys.partner })

    // Outlets, as Deliverect registers channel links (one batch); the catalog at all of them.
    const outlets = await call(service, keys.pos, "POST", "/api/v1/outlets/sync", outletRegistrations(config.outlets), {
      "x-provider": provider
    })
    expectStatus("outlet sync", outlets, 200)
    const byLink = new Map(
      (JSON.parse(outlets.body) as { outlets: ReadonlyArray<{ outletId: string; externalId: string }> }).outlets.map(
        (o) => [o.externalId, o.outletId]
      )
    )
    const outletIds = Array.from({ length: config.outlets }, (_, i) => {
      const id = byLink.get(channelLinkId(i))
      if (id === undefined) throw new Error(`the outlet sync did not answer channel link ${channelLinkId(i)}`)
      return id
    })
    const synced = await call(
      service,
      keys.pos,
      "POST",
      "/api/v1/products/sync",
      catalogPush(config.catalogItems, config.outlets, true),
      { "x-provider": provider }
    )
    expectStatus("products sync", synced, 200)
    console.log(
      `  ${config.outlets} outlets, ${fmt.int(config.catalogItems)} products at each (sync ${(synced.ms / 1000).toFixed(1)} s)`
    )

    // Each outlet's credentials: the fake's.
    for (let i = 0; i < config.outlets; i++) {
      await runAdmin(
        ["store", "set-credentials", tenantId, provider, channelLinkId(i), "--json", JSON.stringify(fake.credentials)],
        env
      )
    }

    // Each body once: a 201 with the total computed here, then delivered to the fake.
    const templates = Array.from({ length: templateCount }, (_, k) => orderTemplate(k, outletIds, config.catalogItems))
    const probePrefix = `probe-${runId}-`
    const placing = service
    const answers = await placeEachOnce(templates, probePrefix, (body) =>
      call(placing, keys.partner, "POST", ordersPath, body)
    )
    const probes = await pollDatabase(
      database.url,
      progressQuery(probePrefix),
      (r) => allDelivered(r) && r[0]?.[0] === String(templateCount),
      60_000
    )
    const probeStats = await fake.stats()
    if (!probes.done || probeStats.taken !== templateCount) {
      throw new Error(
        `the ${templateCount} probe orders were not delivered within 60 s: orders/RECEIVED/unfinished outbox rows ` +
          `${probes.rows[0]?.join("/")}, the fake took ${probeStats.taken} (${JSON.stringify(probeStats)})\n${service.output()}`
      )
    }
    const sizes = answers.map((a) => Buffer.byteLength(a))
    // The baseline answers one of the service's own 201s, the one closest to the average size.
    const rawIndex = nearestAverageSize(answers)
    const rawBody = answers[rawIndex] ?? ""
    const probeAnswer = await call(
      service,
      keys.partner,
      "POST",
      ordersPath,
      withRefCode(templates[rawIndex]!, `${probePrefix}${rawIndex}`)
    )
    // A replay of the same refCode and body: the same bytes, and the headers the baseline copies.
    if (probeAnswer.status !== 201 || probeAnswer.body !== rawBody) {
      throw new Error(`a replay of a probe order answered ${probeAnswer.status}, not the same 201`)
    }
    const rawHeaders = copiedHeaders(probeAnswer)
    console.log(
      `  ${templateCount} order bodies (${templates.filter((t) => t.lines === 1).length} of one line, the others two), ` +
        `each placed once and delivered; 201 bodies ${Math.min(...sizes)}-${Math.max(...sizes)} bytes`
    )

    // The load.
    const headers = { host, "x-api-key": keys.partner, "content-type": "application/json" }
    const loadPrefix = `load-${runId}-`
    const serviceIdleMb = peakRssMb(service.pid)
    const fakeBefore = processUsage(fake.pid)
    const serviceBefore = processUsage(service.pid)
    const postgresBefore = await backendCpu(database.url)
    const measured: Array<Measured> = []
    measured.push(await measureLoad(rows.service, service, headers, templates, loadPrefix, settings))
    const loadEnded = performance.now()
    process.stdout.write(`  waiting for the dispatcher to deliver every order (at most ${config.drainSeconds} s) ...`)
    const drained = await pollDatabase(
      database.url,
      progressQuery(loadPrefix),
      allDelivered,
      config.drainSeconds * 1000
    )
    const drainSeconds = (performance.now() - loadEnded) / 1000
    const fakeAfter = processUsage(fake.pid)
    const serviceAfter = processUsage(service.pid)
    const postgresAfter = await backendCpu(database.url)
    console.log(
      drained.done
        ? ` ${drainSeconds.toFixed(1)} s`
        : ` not done after ${drainSeconds.toFixed(1)} s (orders/RECEIVED/unfinished outbox rows ${drained.rows[0]?.join("/")})`
    )
    const delivery = await deliveryReport(database.url, fake, loadPrefix)
    const { tokenRequests } = await fake.stats()
    if (!service.alive()) throw new Error(`the service exited\n${service.output()}`)
    const servicePeakMb = await service.stop()
    service = undefined

    // The baseline: the same POSTs, the same kind of answer.
    const raw = await startRawServer(rawBody, { headers: rawHeaders, status: 201 })
    try {
      measured.push(await measureLoad(rows.raw, raw, headers, templates, `raw-${runId}-`, settings))
    } finally {
      await raw.stop()
    }
    return {
      measured,
      answerBytes: { min: Math.min(...sizes), max: Math.max(...sizes), raw: Buffer.byteLength(rawBody) },
      serviceIdleMb,
      servicePeakMb,
      fakePeakMb: await fake.stop(),
      fakeUsage: usageBetween(fakeBefore, fakeAfter),
      serviceUsage: usageBetween(serviceBefore, serviceAfter),
      postgresCpuSeconds: backendCpuBetween(postgresBefore, postgresAfter),
      tokenRequests,
      drain: { seconds: drainSeconds, done: drained.done },
      delivery
    }
  } finally {
    await service?.stop()
    await fake.stop()
  }
}

// ---------------------------------------------------------------------------------------------
// The section

const percentile = (sorted: ReadonlyArray<number>, p: number): number | undefined => {
  if (sorted.length === 0) return undefined
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

/** Answers other than a 201 in the measured run (the warm-up's are listed apart). */
const refusedMeasured = (result: LoadResult) =>
  Object.entries(result.errorKinds)
    .filter(([kind]) => kind.startsWith("status ") && !kind.endsWith("(warm-up)"))
    .reduce((n, [, count]) => n + count, 0)

/** Orders accepted (201) a second over the measured run. */
const acceptedPerSecond = (result: LoadResult) =>
  result.seconds === 0 ? 0 : (result.requests - refusedMeasured(result)) / result.seconds

const run = async (settings: BenchSettings): Promise<SectionOutcome> => {
  const config = ordersSettings()
  const failures: Array<string> = []
  if (config.serverUrl === undefined) {
    const message =
      "orders: needs PostgreSQL: set BENCH_DATABASE_URL or DATABASE_URL (a server to make a scratch database on)"
    console.log(loud(message))
    return { failures: [message] }
  }
  console.log(
    `orders: POST ${ordersPath} on PostgreSQL (Host: ${host}) at ${config.outlets} outlets of ${fmt.int(config.catalogItems)} ` +
      `products, ${templateCount} order bodies in turn, each with a new refCode; the dispatcher delivers them to a fake ` +
      `Deliverect answering in ${config.posDelayMs} ms (a process of its own)`
  )
  const dataDir = makeTempDir("pos-bench-orders-")
  let database: ScratchDatabase | undefined
  let result: OrdersResult | undefined
  try {
    database = await createScratchDatabase(config.serverUrl, "pos_bench_orders")
    console.log(`  scratch database ${database.name}`)
    const env: Record<string, string> = {
      STORAGE: "postgres",
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      // On PostgreSQL a credential is stored only under CREDENTIALS_KEYS (the CLI and the service share it).
      CREDENTIALS_KEYS: `bench:${randomBytes(32).toString("base64")}`
    }
    await runAdmin(["tenant", "create", tenantId], env)
    const issue = async (kind: string) => {
      const issued = await runAdmin(["key", "issue", tenantId, "--kind", kind, "--name", `bench ${kind}`], env)
      const key = /posk_\S+/.exec(issued.stdout)?.[0]
      if (key === undefined) throw new Error(`no key in the output of key issue --kind ${kind}:\n${issued.stdout}`)
      return key
    }
    const keys: Keys = { pos: await issue("pos"), partner: await issue("partner") }
    result = await runOrders(config, settings, env, dataDir, database, keys)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    console.log(loud(message.split("\n")[0] ?? message))
    console.log(message)
    failures.push(`orders: ${message.split("\n")[0]}`)
  } finally {
    removeTempDir(dataDir)
    await database
      ?.drop()
      .catch((error: unknown) => failures.push(`orders: dropping ${database?.name}: ${String(error)}`))
  }
  if (result === undefined) return { failures }
  return report(config, settings, result, failures)
}

const report = (
  config: OrdersConfig,
  settings: BenchSettings,
  result: OrdersResult,
  failures: Array<string>
): SectionOutcome => {
  const service = result.measured.find((m) => m.name === rows.service)?.result
  const raw = result.measured.find((m) => m.name === rows.raw)?.result
  const { delivery } = result
  console.log("")
  console.log(
    formatTable(
      [
        "measurement",
        "201/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "requests",
        "errors",
        "server cpu",
        "us/req",
        "client cpu"
      ],
      result.measured.map(({ name, result: r }) => [
        name,
        fmt.int(acceptedPerSecond(r)),
        fmt.ms(r.latencyMs.p50),
        fmt.ms(r.latencyMs.p99),
        fmt.ms(r.latencyMs.max),
        fmt.int(r.requests),
        fmt.int(r.errors),
        fmt.pct(r.targetCpuPercent),
        cpuMicros(r),
        fmt.pct(r.clientCpuPercent)
      ])
    )
  )
  const spread = (sorted: ReadonlyArray<number>) =>
    [percentile(sorted, 50), percentile(sorted, 99), sorted[sorted.length - 1]]
      .map((v) => (v === undefined ? "n/a" : fmt.ms(v)))
      .join(" / ")
  const perOrder = (seconds: number | undefined) =>
    seconds === undefined || delivery.placed === 0 ? "n/a" : fmt.int((seconds * 1e6) / delivery.placed)
  const cpu = (usage: ProcessUsage | undefined) =>
    usage === undefined
      ? "n/a"
      : `${(usage.user + usage.system).toFixed(1)} s (${usage.user.toFixed(1)} + ${usage.system.toFixed(1)}), ${perOrder(usage.user + usage.system)} us`
  const syscalls = (usage: ProcessUsage | undefined) =>
    usage === undefined || delivery.placed === 0
      ? "n/a"
      : `${(usage.reads / delivery.placed).toFixed(1)} / ${(usage.writes / delivery.placed).toFixed(1)}`
  console.log("")
  console.log(
    formatTable(
      ["dispatcher (orders of the load, warm-up included)", "value"],
      [
        ["orders placed (in the database)", fmt.int(delivery.placed)],
        ["by status", delivery.byStatus.map(([s, n]) => `${s} ${fmt.int(n)}`).join(", ")],
        ["delivered (received by the fake POS)", fmt.int(delivery.delivered)],
        ["order requests the POS received / repeats", `${fmt.int(delivery.arrivals)} / ${fmt.int(delivery.repeats)}`],
        [
          "all delivered after the load ended",
          result.drain.done ? `${result.drain.seconds.toFixed(1)} s` : `NOT within ${config.drainSeconds} s`
        ],
        ["lag, createdAt -> the POS receives it: p50 / p99 / max ms", spread(delivery.lagsMs)],
        ["  createdAt -> delivery attempt starts: p50 / p99 / max ms", spread(delivery.toAttemptMs)],
        ["  attempt starts -> the POS receives it: p50 / p99 / max ms", spread(delivery.attemptToPosMs)],
        ["service CPU, load and delivery: s (user + system), us per order", cpu(result.serviceUsage)],
        ["  system calls per order: reads / writes", syscalls(result.serviceUsage)],
        [
          "PostgreSQL CPU (the service's backends): s, us per order",
          result.postgresCpuSeconds === undefined
            ? "n/a"
            : `${result.postgresCpuSeconds.toFixed(1)} s, ${perOrder(result.postgresCpuSeconds)} us`
        ],
        ["fake POS CPU: s (user + system), us per order", cpu(result.fakeUsage)],
        ["POS token requests (whole run)", fmt.int(result.tokenRequests)],
        [
          "service VmHWM before the load / at the end",
          `${fmt.mb(result.serviceIdleMb)} / ${fmt.mb(result.servicePeakMb)}`
        ],
        ["fake POS VmHWM", fmt.mb(result.fakePeakMb)]
      ]
    )
  )
  console.log(
    `(201 bodies ${result.answerBytes.min}-${result.answerBytes.max} bytes; the raw server answers one of them, ` +
      `${result.answerBytes.raw} bytes, with the service's headers; lag = the fake's receive time - the order's createdAt)`
  )

  const ordersPerSecond = service === undefined ? 0 : acceptedPerSecond(service)
  const lagP99 = percentile(delivery.lagsMs, 99)
  const ratio = raw === undefined || raw.rps === 0 ? 0 : ordersPerSecond / raw.rps
  const checks = [
    {
      label: "orders accepted (201) a second",
      shown: fmt.int(ordersPerSecond),
      target: `>= ${targets.ordersPerSecond}`,
      met: ordersPerSecond >= targets.ordersPerSecond
    },
    {
      label: "dispatcher lag (createdAt -> the POS receives it): p99",
      shown: lagP99 === undefined ? "n/a" : `${fmt.ms(lagP99)} ms`,
      target: `< ${fmt.int(targets.lagP99Ms)} ms`,
      met: lagP99 !== undefined && delivery.delivered === delivery.placed && lagP99 < targets.lagP99Ms
    }
  ]
  console.log("")
  console.log(
    formatTable(
      ["target", "measured", "target", "met"],
      checks.map((c) => [c.label, c.shown, c.target, c.met ? "met" : "NOT MET"])
    )
  )
  console.log(`for reference, service 201/s / raw 201/s = ${ratio.toFixed(3)}`)
  for (const check of checks.filter((c) => !c.met)) {
    const message = `orders: ${check.label} ${check.shown}, target ${check.target}: not met`
    if (settings.strict) failures.push(message)
    else console.log(`warning: ${message} (BENCH_STRICT=1 makes this fail the run)`)
  }
  console.log(
    `note: autocannon, the service, the fake POS and PostgreSQL share this machine (${availableParallelism()} cores); ` +
      "cpu columns are % of one core over the measured seconds (the service's includes the dispatcher delivering meanwhile), " +
      'us/req is server CPU per request. Where the service spends its time: BENCH_SERVICE_NODE_FLAGS="--cpu-prof --cpu-prof-dir=<dir>".'
  )
  // Correctness: every failure here fails the run, strict or not.
  if (!result.drain.done || delivery.delivered !== delivery.placed) {
    const message = `orders: ${fmt.int(delivery.placed - delivery.delivered)} of ${fmt.int(delivery.placed)} orders were not delivered`
    console.log(loud(message))
    failures.push(message)
  }
  const notSubmitted = delivery.byStatus.filter(([status]) => status !== "SUBMITTED")
  if (notSubmitted.length > 0) {
    failures.push(`orders: orders not SUBMITTED: ${notSubmitted.map(([s, n]) => `${s} ${n}`).join(", ")}`)
  }
  for (const problem of delivery.problems) {
    console.log(loud(`exactly once: ${problem}`))
    failures.push(`orders: exactly once: ${problem}`)
  }
  failures.push(...failedRequests("orders", result.measured))
  return { failures }
}

export const ordersSection: BenchSection = {
  name: "orders",
  description:
    "orders on PostgreSQL: POST /api/v1/orders with a new refCode each vs raw node:http, and the dispatcher's delivery to a fake Deliverect answering in 20 ms (lag, exactly once)",
  run
}
