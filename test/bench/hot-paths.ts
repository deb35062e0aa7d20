import { randomBytes } from "node:crypto"
import { readFileSync, writeFileSync } from "node:fs"
import { availableParallelism, loadavg } from "node:os"
import { join } from "node:path"
import {
  type BenchSection,
  type BenchSettings,
  cpuMicros,
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
  type RunningService,
  removeTempDir,
  repoRoot,
  type SectionOutcome,
  type StorageKind,
  sleep,
  startRawServer,
  startService,
  storageFromEnv,
  type TimedResponse
} from "./harness.ts"
import { loyaltyCredential, startLedgerSimulator } from "./loyalty.ts"
import {
  catalogProducts,
  catalogPush,
  composeDraft,
  copiedHeaders,
  type EffectiveMenuAnswer,
  menuItems,
  outletRegistrations,
  publish,
  readAt,
  registeredOutletIds
} from "./menu.ts"
import {
  type FakePos,
  nearestAverageSize,
  orderLoad,
  ordersPath,
  orderTemplate,
  placeEachOnce,
  startFakePos,
  templateCount,
  withRefCode
} from "./orders.ts"
import { invalidKeyBody, issueAdminKey, tokenThroughAdminKey } from "./whoami.ts"

/**
 * `BENCH=table`: one table over the service's hot paths, each measured on one service started as
 * `npm start` starts it (STORAGE, PGlite by default; the demo tenant and its key), then beside a raw
 * node:http server (raw-server.ts) answering the same status, bytes and headers, measured right after
 * it in the same run. Every load is autocannon in its own process (BENCH_CONCURRENCY connections,
 * BENCH_WARMUP_SECONDS + BENCH_SECONDS); every answer is checked (status and exact bytes, or a pattern
 * where answers differ from request to request), and any failed request fails the run.
 *
 * Rows (BENCH_TABLE_ROWS=whoami-key,orders,... to run some of them):
 * - whoami-key: GET /api/v1/auth/whoami with the demo key (X-Api-Key);
 * - whoami-bearer: the same with an OAuth access token (an OAuth client made through the admin API, one
 *   token fetched before the load and sent on every request);
 * - whoami-401-key: a new random key id on every request;
 * - whoami-401-bearer: the token with a new random signature on every request (well-formed, never issued),
 *   which RFC 8032's check of S refuses before the costly part of verification, mostly;
 * - whoami-401-bearer-crafted: the token with a new signature on every request crafted so that only
 *   the full verification refuses it (the real signature's R, a random S below the group order): the
 *   costliest refusal, with no target (a signature must be checked to be refused);
 * - outlets: GET /api/v1/outlets (the demo outlets and the bench's, after the catalog push);
 * - menu: GET /api/v1/outlets/{outletId}/menu at a fixed instant: a Menu V2 menu of the whole catalog
 *   (sections of 100), composed through the editor API and published to one bench outlet alone;
 * - products: GET /api/v1/products?outletId= (the first page, 50 products) of the other bench outlet;
 * - orders: POST /api/v1/orders (orders.ts's bodies, each request with a refCode never sent before) at
 *   that outlet, delivered by the dispatcher meanwhile to the fake Deliverect (fake-pos.ts, its own
 *   process, answering in BENCH_ORDERS_POS_DELAY_MS); the raw run waits until every order is delivered;
 * - sync: POST /api/v1/products/sync (X-Provider: deliverect, a POS key) of the catalog to both bench
 *   outlets, identical to the one already applied, sent again and again;
 * - loyalty: GET /api/v1/loyalty/members/{customerId} through the loyalty proxy to a loyalty-service
 *   simulator in the bench's own process (loyalty.ts).
 *
 * Setup: one admin key from the admin CLI (which reaches the running service through its data
 * directory), then the admin API: the OAuth client, the POS and editor keys, the outlet's credentials,
 * the tenant's loyalty credential. STORAGE=memory therefore runs whoami-key and whoami-401-key only.
 * The service runs with OAUTH_TOKEN_TTL_S=3600 and LOYALTY_URL (see run).
 *
 * Targets: whoami 200 with a key >= 0.30 x raw; with a token >= 0.8 x the key's req/s; each 401 >= the
 * key's 200 req/s. A row whose load generator used >= 90% of a core is flagged: its req/s is a floor.
 *
 * Output: the table on stdout, and as markdown between the bench-table markers of README.md's
 * Benchmarks section when every row ran without an error (BENCH_TABLE_FILE=<path>: that file instead;
 * BENCH_TABLE_FILE=-: nowhere). Env: BENCH_TABLE_ROWS, BENCH_TABLE_FILE, BENCH_TABLE_CATALOG_ITEMS
 * (100), BENCH_ORDERS_POS_DELAY_MS (20), BENCH_ORDERS_DRAIN_SECONDS (120), and the harness's.
 */

const host = "demo.localhost"
const tenantId = "demo"
const provider = "deliverect"
const whoamiPath = "/api/v1/auth/whoami"
/** Outlet 0 of the bench: the products list, the orders; outlet 1: the Menu V2 menu. */
const benchOutlets = 2
/** Longer than the whole section, so the one token never expires during it. */
const tokenTtlSeconds = 3600
/** At or above this share of one core, the load generator is taken as the limit of its run. */
const saturatedClientCpuPercent = 90

const tableMarkers = { start: "<!-- bench-table:start -->", end: "<!-- bench-table:end -->" } as const

const rowIds = [
  "whoami-key",
  "whoami-bearer",
  "whoami-401-key",
  "whoami-401-bearer",
  "whoami-401-bearer-crafted",
  "outlets",
  "menu",
  "products",
  "orders",
  "sync",
  "loyalty"
] as const

type RowId = (typeof rowIds)[number]

/** The targets, each a ratio of the row's req/s to another's. */
const targets: Partial<
  Record<RowId, { readonly of: "raw" | "whoami-key"; readonly ratio: number; readonly text: string }>
> = {
  "whoami-key": { of: "raw", ratio: 0.3, text: ">= 0.30 x raw" },
  "whoami-bearer": { of: "whoami-key", ratio: 0.8, text: ">= 0.8 x key 200" },
  "whoami-401-key": { of: "whoami-key", ratio: 1, text: ">= key 200" },
  "whoami-401-bearer": { of: "whoami-key", ratio: 1, text: ">= key 200" }
}

// ---------------------------------------------------------------------------------------------
// Settings

const tableSettings = () => {
  const filter = (process.env["BENCH_TABLE_ROWS"] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
  const unknown = filter.filter((id) => !rowIds.includes(id as RowId))
  if (unknown.length > 0) {
    throw new Error(`unknown BENCH_TABLE_ROWS row(s): ${unknown.join(", ")}; known: ${rowIds.join(", ")}`)
  }
  return {
    rows: new Set<RowId>(filter.length === 0 ? rowIds : (filter as Array<RowId>)),
    everyRow: filter.length === 0 || rowIds.every((id) => filter.includes(id)),
    catalogItems: intFromEnv("BENCH_TABLE_CATALOG_ITEMS", 100, 1),
    posDelayMs: intFromEnv("BENCH_ORDERS_POS_DELAY_MS", 20, 0),
    drainSeconds: intFromEnv("BENCH_ORDERS_DRAIN_SECONDS", 120, 1),
    file: process.env["BENCH_TABLE_FILE"]
  }
}

type TableConfig = ReturnType<typeof tableSettings>

// ---------------------------------------------------------------------------------------------
// The rows: what the service is sent, and what it answered (which the raw server then answers)

interface Answer {
  readonly status: number
  readonly body: string
  /** The service's headers that raw-server.ts does not send of itself (www-authenticate, etag, vary, ...). */
  readonly headers: Record<string, string>
}

interface RowSpec {
  readonly id: RowId
  readonly label: string
  readonly request: string
  readonly load: MeasureLoad
  /** The raw server answers this, the service's own answer. */
  readonly answer: Answer
  /** The raw run's load where it differs from the service's (refCodes of its own). */
  readonly rawLoad?: MeasureLoad
  /** Runs after the service's load and before the raw server's (e.g. until the orders are delivered). */
  readonly settle?: (service: LoadResult) => Promise<void>
}

interface RowResult {
  readonly spec: RowSpec
  readonly service: LoadResult
  readonly raw: LoadResult
  /** The service's VmHWM just after its run (the peak so far: rows run in table order). */
  readonly peakMb: number | undefined
}

const answerOf = (res: TimedResponse): Answer => ({
  status: res.status,
  body: res.body,
  headers: copiedHeaders(res)
})

/** A regular expression's source matching `text` itself. */
const literal = (text: string) => text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&")

/** `body` as a pattern (its source), where each match of `varying` may be any match of `source`. */
const patternOf = (body: string, varying: RegExp, source: string) =>
  `^${body.split(varying).map(literal).join(source)}$`

/** The running service and what every row's setup uses. */
interface Setup {
  readonly service: RunningService
  readonly config: TableConfig
  readonly runId: string
  readonly partner: Record<string, string>
  /** An admin key (admin CLI, the first time it is asked for); the rest of the setup goes through the admin API. */
  readonly adminKey: () => Promise<string>
  readonly send: (options: {
    readonly method: string
    readonly path: string
    readonly headers: Record<string, string>
    readonly body?: Buffer
  }) => Promise<TimedResponse>
}

/** The same GET twice: both must answer `status` with the same bytes (the load expects exactly them). */
const stableGet = async (setup: Setup, what: string, path: string, headers: Record<string, string>, status = 200) => {
  const first = await setup.send({ method: "GET", path, headers })
  expectStatus(what, first, status)
  const second = await setup.send({ method: "GET", path, headers })
  if (second.status !== status || second.body !== first.body) {
    throw new Error(
      `${what}: two requests answered differently: ${first.body.slice(0, 500)} / ${second.body.slice(0, 500)}`
    )
  }
  return first
}

/** A call of the admin API on the demo tenant (`/admin/api/v1/tenants/demo` and `path`), answered `status`. */
const admin = async (setup: Setup, method: string, path: string, body: unknown, status: number) => {
  const res = await setup.send({
    method,
    path: `/admin/api/v1/tenants/${tenantId}${path}`,
    headers: { host, "x-api-key": await setup.adminKey(), "content-type": "application/json" },
    body: Buffer.from(JSON.stringify(body))
  })
  expectStatus(`${method} /admin/api/v1/tenants/${tenantId}${path}`, res, status)
  return res
}

const issueKey = async (setup: Setup, kind: "pos" | "editor"): Promise<string> => {
  const issued = await admin(setup, "POST", "/keys", { kind, name: `bench table ${kind}` }, 201)
  return (JSON.parse(issued.body) as { secret: string }).secret
}

const whoamiRows = async (setup: Setup, want: (id: RowId) => boolean): Promise<Array<RowSpec>> => {
  const rows: Array<RowSpec> = []
  const request = `GET ${whoamiPath}`
  const refusal = (res: TimedResponse, what: string) => {
    if (res.status !== 401 || res.body !== invalidKeyBody) {
      throw new Error(`${what} answered ${res.status}: ${res.body}`)
    }
    return answerOf(res)
  }
  if (want("whoami-key")) {
    const probe = await stableGet(setup, "whoami with the demo key", whoamiPath, setup.partner)
    rows.push({
      id: "whoami-key",
      label: "whoami 200, X-Api-Key",
      request,
      load: { path: whoamiPath, headers: setup.partner, expectStatus: 200, expectBody: probe.body },
      answer: answerOf(probe)
    })
  }
  const token =
    want("whoami-bearer") || want("whoami-401-bearer") || want("whoami-401-bearer-crafted")
      ? await tokenThroughAdminKey(setup.service.port, await setup.adminKey())
      : undefined
  const bearer = { host, authorization: `Bearer ${token}` }
  if (want("whoami-bearer")) {
    const probe = await stableGet(setup, "whoami with a bearer token", whoamiPath, bearer)
    if (!probe.body.includes('"scheme":"bearer"')) throw new Error(`whoami with a bearer token: ${probe.body}`)
    rows.push({
      id: "whoami-bearer",
      label: "whoami 200, bearer token",
      request,
      load: { path: whoamiPath, headers: bearer, expectStatus: 200, expectBody: probe.body },
      answer: answerOf(probe)
    })
  }
  if (want("whoami-401-key")) {
    const probe = await setup.send({
      method: "GET",
      path: whoamiPath,
      headers: { ...setup.partner, "x-api-key": `posk_987654321_${"Z".repeat(40)}` }
    })
    rows.push({
      id: "whoami-401-key",
      label: "whoami 401, random key ids",
      request,
      load: { path: whoamiPath, headers: setup.partner, expectStatus: 401, expectBody: invalidKeyBody, vary: "keyId" },
      answer: refusal(probe, "whoami with a garbage key")
    })
  }
  const forgedRow = async (id: "whoami-401-bearer" | "whoami-401-bearer-crafted", label: string) => {
    // The token with another signature, as the load sends each request.
    const forged = bearer.authorization.replace(/[^.]*$/, randomBytes(64).toString("base64url"))
    const probe = await setup.send({ method: "GET", path: whoamiPath, headers: { host, authorization: forged } })
    rows.push({
      id,
      label,
      request,
      load: {
        path: whoamiPath,
        headers: bearer,
        expectStatus: 401,
        expectBody: invalidKeyBody,
        vary: id === "whoami-401-bearer" ? "bearer" : "bearerCrafted"
      },
      answer: refusal(probe, "whoami with a forged bearer token")
    })
  }
  if (want("whoami-401-bearer")) await forgedRow("whoami-401-bearer", "whoami 401, forged bearer tokens")
  if (want("whoami-401-bearer-crafted")) await forgedRow("whoami-401-bearer-crafted", "whoami 401, crafted forgeries")
  return rows
}

/** The bench outlets (Deliverect's outlet sync) and the catalog pushed to both of them. */
const catalogSetup = async (setup: Setup) => {
  const posKey = await issueKey(setup, "pos")
  const posHeaders = { host, "x-api-key": posKey, "x-provider": provider, "content-type": "application/json" }
  const outlets = await setup.send({
    method: "POST",
    path: "/api/v1/outlets/sync",
    headers: posHeaders,
    body: outletRegistrations(benchOutlets)
  })
  expectStatus("outlet sync", outlets, 200)
  const outletIds = registeredOutletIds(outlets.body, benchOutlets)
  const push = catalogPush(setup.config.catalogItems, benchOutlets, true)
  const synced = await setup.send({ method: "POST", path: "/api/v1/products/sync", headers: posHeaders, body: push })
  expectStatus("products sync", synced, 200)
  console.log(
    `  ${benchOutlets} bench outlets, ${fmt.int(setup.config.catalogItems)} products at each ` +
      `(push ${fmt.int(push.length)} bytes, first sync ${fmt.ms(synced.ms)} ms)`
  )
  return { posHeaders, outletIds, push }
}

type Catalog = Awaited<ReturnType<typeof catalogSetup>>

const menuRow = async (setup: Setup, catalog: Catalog): Promise<RowSpec> => {
  const editorKey = await issueKey(setup, "editor")
  const outletId = catalog.outletIds[1]!
  const products = catalogProducts(catalog.push)
  const draft = await composeDraft(setup.service, editorKey, "Bench Table", products, [outletId], host)
  const published = await publish(setup.service, editorKey, draft, "the table's menu", host)
  if (published.status !== 201) throw new Error(`publishing the table's menu answered ${published.status}`)
  const path = `/api/v1/outlets/${outletId}/menu?at=${readAt}`
  const probe = await stableGet(setup, "effective menu", path, setup.partner)
  const answer = JSON.parse(probe.body) as EffectiveMenuAnswer
  const items = menuItems(answer)
  if (answer.source !== "menu-v2" || items.length !== products.length || items.some((i) => !i.available)) {
    throw new Error(
      `the effective menu: source ${answer.source}, ${items.length} items: expected menu-v2, ${products.length} available items`
    )
  }
  return {
    id: "menu",
    label: `effective menu (Menu V2, ${fmt.int(items.length)} items)`,
    request: "GET /api/v1/outlets/{outletId}/menu",
    load: { path, headers: setup.partner, expectStatus: 200, expectBody: probe.body },
    answer: answerOf(probe)
  }
}

/** Orders at bench outlet 0, delivered to the fake Deliverect; the raw run waits until all are delivered. */
const ordersRow = async (setup: Setup, catalog: Catalog, fake: FakePos): Promise<RowSpec> => {
  const outletId = catalog.outletIds[0]!
  await admin(setup, "PUT", `/outlets/${outletId}/credentials`, fake.credentials, 200)
  const templates = Array.from({ length: templateCount }, (_, k) =>
    orderTemplate(k, [outletId], setup.config.catalogItems)
  )
  const headers = { ...setup.partner, "content-type": "application/json" }
  const place = (body: Buffer) => setup.send({ method: "POST", path: ordersPath, headers, body })
  const probePrefix = `table-probe-${setup.runId}-`
  const answers = await placeEachOnce(templates, probePrefix, place)
  const rawIndex = nearestAverageSize(answers)
  const rawBody = answers[rawIndex] ?? ""
  // A replay of the same refCode and body: the same bytes, and the headers the baseline copies.
  const replay = await place(withRefCode(templates[rawIndex]!, `${probePrefix}${rawIndex}`))
  if (replay.status !== 201 || replay.body !== rawBody) {
    throw new Error(`a replay of a probe order answered ${replay.status}, not the same 201`)
  }
  const delivered = async (count: number) => {
    const deadline = Date.now() + setup.config.drainSeconds * 1000
    for (;;) {
      const { taken } = await fake.stats()
      if (taken >= count) return
      if (Date.now() > deadline) {
        throw new Error(
          `the dispatcher delivered ${taken} of ${count} orders within ${setup.config.drainSeconds} s (BENCH_ORDERS_DRAIN_SECONDS)`
        )
      }
      await sleep(250)
    }
  }
  await delivered(templateCount)
  return {
    id: "orders",
    label: "order submission",
    request: `POST ${ordersPath}`,
    load: orderLoad(headers, templates, `table-load-${setup.runId}-`),
    rawLoad: orderLoad(headers, templates, `table-raw-${setup.runId}-`),
    answer: answerOf(replay),
    settle: async (service) => {
      const started = performance.now()
      process.stdout.write("    waiting for the dispatcher to deliver every order ...")
      await delivered(templateCount + service.warmupRequests + service.requests)
      console.log(` ${((performance.now() - started) / 1000).toFixed(1)} s`)
    }
  }
}

const syncRow = async (setup: Setup, catalog: Catalog): Promise<RowSpec> => {
  const path = "/api/v1/products/sync"
  const probe = await setup.send({ method: "POST", path, headers: catalog.posHeaders, body: catalog.push })
  expectStatus("identical products sync", probe, 200)
  const counts = (JSON.parse(probe.body) as { data: ReadonlyArray<{ counts: { products: { unchanged: number } } }> })
    .data
  if (counts.length !== benchOutlets || counts.some((c) => c.counts.products.unchanged !== setup.config.catalogItems)) {
    throw new Error(`the identical products sync did not answer every product unchanged: ${probe.body.slice(0, 2000)}`)
  }
  return {
    id: "sync",
    label: `products sync, identical (${fmt.int(setup.config.catalogItems)} products x ${benchOutlets} outlets)`,
    request: `POST ${path}`,
    load: {
      path,
      method: "POST",
      headers: catalog.posHeaders,
      body: catalog.push.toString("utf8"),
      expectStatus: 200,
      expectBody: "",
      // Each answer names the syncs it recorded.
      expectBodyPattern: patternOf(probe.body, /syn_[0-9a-z]+/g, "syn_[0-9a-z]+")
    },
    answer: answerOf(probe)
  }
}

const loyaltyRow = async (setup: Setup): Promise<RowSpec> => {
  await admin(setup, "PUT", "/loyalty", { credential: loyaltyCredential }, 200)
  // A phone of its own: a database kept from an earlier run may hold the last one's customer.
  const phone = `+6591${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`
  const created = await setup.send({
    method: "POST",
    path: "/api/v1/customers",
    headers: { ...setup.partner, "content-type": "application/json" },
    body: Buffer.from(JSON.stringify({ name: "Bench Table", phone }))
  })
  if (created.status !== 200 && created.status !== 201) {
    throw new Error(`creating a customer answered ${created.status}: ${created.body}`)
  }
  const customerId = (JSON.parse(created.body) as { customerId: string }).customerId
  const path = `/api/v1/loyalty/members/${customerId}`
  const probe = await stableGet(setup, "loyalty member", path, setup.partner)
  return {
    id: "loyalty",
    label: "loyalty member (proxied to the simulator)",
    request: "GET /api/v1/loyalty/members/{customerId}",
    load: { path, headers: setup.partner, expectStatus: 200, expectBody: probe.body },
    answer: answerOf(probe)
  }
}

// ---------------------------------------------------------------------------------------------
// The run

const runRow = async (
  setup: Setup,
  spec: RowSpec,
  settings: BenchSettings
): Promise<{ readonly row: RowResult; readonly measured: ReadonlyArray<Measured> }> => {
  console.log(`  -- ${spec.id}: ${spec.label}, ${spec.request}`)
  const service = await measure("service", setup.service, spec.load, settings)
  const peakMb = peakRssMb(setup.service.pid)
  await spec.settle?.(service.result)
  const raw = await startRawServer(spec.answer.body, { headers: spec.answer.headers, status: spec.answer.status })
  let rawMeasured: Measured
  try {
    rawMeasured = await measure("raw node:http", raw, spec.rawLoad ?? spec.load, settings)
  } finally {
    await raw.stop()
  }
  return {
    row: { spec, service: service.result, raw: rawMeasured.result, peakMb },
    measured: [
      { name: `${spec.id} (service)`, result: service.result },
      { name: `${spec.id} (raw node:http)`, result: rawMeasured.result }
    ]
  }
}

interface TargetCheck {
  readonly id: RowId
  readonly text: string
  readonly value: number | undefined
  readonly met: boolean | undefined
}

const targetOf = (row: RowResult, rows: ReadonlyArray<RowResult>): TargetCheck | undefined => {
  const target = targets[row.spec.id]
  if (target === undefined) return undefined
  const base = target.of === "raw" ? row.raw : rows.find((r) => r.spec.id === target.of)?.service
  const value = base === undefined || base.rps === 0 ? undefined : row.service.rps / base.rps
  return { id: row.spec.id, text: target.text, value, met: value === undefined ? undefined : value >= target.ratio }
}

/** The load generator's own limit: at or above this CPU, a run's req/s is a floor. */
const saturation = (row: RowResult): string | undefined => {
  const runs = [
    ["service", row.service],
    ["raw", row.raw]
  ] as const
  const saturated = runs.filter(([, r]) => r.clientCpuPercent >= saturatedClientCpuPercent)
  if (saturated.length === 0) return undefined
  const names = saturated.map(([name]) => name).join(" and ")
  return `WARNING: autocannon saturated (${names} run): ${names} req/s is a floor`
}

const ratioText = (value: number | undefined) =>
  value === undefined ? "n/a" : value > 0 && value < 0.01 ? value.toPrecision(2) : value.toFixed(2)

const header = [
  "hot path",
  "request",
  "service req/s",
  "raw req/s",
  "service/raw",
  "service p50 / p99 ms",
  "server us/req (service / raw)",
  "autocannon CPU (service / raw run)",
  "service VmHWM",
  "target",
  "met",
  "notes"
]

const tableRows = (rows: ReadonlyArray<RowResult>): Array<Array<string>> =>
  rows.map((row) => {
    const check = targetOf(row, rows)
    const warning = saturation(row)
    return [
      row.spec.label,
      row.spec.request,
      fmt.int(row.service.rps),
      fmt.int(row.raw.rps),
      ratioText(row.raw.rps === 0 ? undefined : row.service.rps / row.raw.rps),
      `${fmt.ms(row.service.latencyMs.p50)} / ${fmt.ms(row.service.latencyMs.p99)}`,
      `${cpuMicros(row.service)} / ${cpuMicros(row.raw)}`,
      `${fmt.pct(row.service.clientCpuPercent)} / ${fmt.pct(row.raw.clientCpuPercent)}`,
      fmt.mb(row.peakMb),
      check?.text ?? "",
      check === undefined
        ? ""
        : check.met === undefined
          ? `n/a (${targets[check.id]?.of} not run)`
          : `${ratioText(check.value)} ${check.met ? "met" : "MISSED"}`,
      warning ?? ""
    ]
  })

const markdownTable = (cells: ReadonlyArray<ReadonlyArray<string>>): string => {
  const escapeCell = (cell: string) => cell.replace(/\|/g, "\\|")
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map((_, i) => (i < 2 || i >= header.length - 3 ? "---" : "---:")).join("|")}|`,
    ...cells.map((row) => `| ${row.map(escapeCell).join(" | ")} |`)
  ].join("\n")
}

const stamp = (storage: StorageKind, settings: BenchSettings, load: ReadonlyArray<number>) => {
  const at = new Date()
    .toISOString()
    .replace(/:\d\d\.\d+Z$/, " UTC")
    .replace("T", " ")
  return (
    `Measured ${at}: node ${process.version}, ${availableParallelism()} cores, load average ` +
    `${load.map((n) => n.toFixed(2)).join(" / ")} (1 / 5 / 15 min, as the section started), storage ${storage}, ` +
    `${settings.concurrency} connections, ${settings.warmupSeconds} s warm-up + ${settings.seconds} s per run.`
  )
}

/** Writes the markdown where BENCH_TABLE_FILE says, else between README.md's markers; says where. */
const writeTable = (markdown: string, file: string | undefined): string => {
  if (file === "-") return "BENCH_TABLE_FILE=-: the table is written nowhere"
  if (file !== undefined && file.trim() !== "") {
    writeFileSync(file, `${markdown}\n`)
    return `the table is written to ${file}`
  }
  const readme = join(repoRoot, "README.md")
  const text = readFileSync(readme, "utf8")
  const start = text.indexOf(tableMarkers.start)
  const end = text.indexOf(tableMarkers.end)
  if (start < 0 || end < start) throw new Error(`README.md has no ${tableMarkers.start} ... ${tableMarkers.end}`)
  writeFileSync(readme, `${text.slice(0, start + tableMarkers.start.length)}\n${markdown}\n${text.slice(end)}`)
  return "the table is written to README.md (between its bench-table markers)"
}

const run = async (settings: BenchSettings): Promise<SectionOutcome> => {
  const config = tableSettings()
  const storage = storageFromEnv()
  const load = loadavg()
  const want = (id: RowId) => config.rows.has(id)
  const failures: Array<string> = []
  console.log(
    `table: ${[...config.rows].join(", ")} on one service (storage=${storage}, Host: ${host}), each beside raw node:http ` +
      `answering the same status, bytes and headers; catalog ${fmt.int(config.catalogItems)} products`
  )

  // The admin CLI reaches a running service through its data directory on PGlite, and through the
  // database on PostgreSQL; in memory it has a store of its own, so no admin key (hence no token, no
  // other key, no credential) it issues is the service's.
  const withoutAdmin: ReadonlyArray<RowId> = ["whoami-key", "whoami-401-key"]
  const needAdmin = [...config.rows].filter((id) => !withoutAdmin.includes(id))
  if (storage === "memory" && needAdmin.length > 0) {
    const message = `table: STORAGE=memory: the admin CLI cannot reach the running service, which rows ${needAdmin.join(", ")} need (BENCH_TABLE_ROWS=${withoutAdmin.join(",")} runs without it)`
    console.log(loud(message))
    return { failures: [message] }
  }
  const needsCatalog = (["outlets", "menu", "products", "orders", "sync"] as const).some(want)
  const simulator = want("loyalty") ? await startLedgerSimulator() : undefined
  const fake = want("orders") ? await startFakePos(config.posDelayMs) : undefined
  const dataDir = makeTempDir("pos-bench-table-")
  let service: RunningService | undefined
  let servicePeakMb: number | undefined
  const results: Array<RowResult> = []
  const measured: Array<Measured> = []
  try {
    service = await startService(
      storage,
      {
        OAUTH_TOKEN_TTL_S: String(tokenTtlSeconds),
        // The load generator ends each run by closing its connections, calls in flight included: the
        // service counts none of those as a failure of the loyalty-service (the caller left).
        ...(simulator === undefined ? {} : { LOYALTY_URL: simulator.url }),
        // On PostgreSQL a credential (the outlet's, the loyalty service's) is stored only under CREDENTIALS_KEYS.
        ...(storage === "postgres" && (process.env["CREDENTIALS_KEYS"] ?? "") === ""
          ? { CREDENTIALS_KEYS: `bench:${randomBytes(32).toString("base64")}` }
          : {})
      },
      { dataDir }
    )
    const running = service
    let adminKey: Promise<string> | undefined
    const setup: Setup = {
      service: running,
      config,
      runId: Date.now().toString(36),
      partner: { host, "x-api-key": running.apiKey },
      adminKey: () => {
        adminKey ??= issueAdminKey(storage, dataDir)
        return adminKey
      },
      send: (options) => httpRequest({ ...options, port: running.port, timeoutMs: 120_000 })
    }

    // Setup, every row's probes, then the loads in table order.
    const specs: Array<RowSpec> = await whoamiRows(setup, want)
    if (needsCatalog) {
      const catalog = await catalogSetup(setup)
      if (want("outlets")) {
        const probe = await stableGet(setup, "outlet list", "/api/v1/outlets", setup.partner)
        const listed = (JSON.parse(probe.body) as { data: ReadonlyArray<{ outletId: string }> }).data
        if (!catalog.outletIds.every((id) => listed.some((o) => o.outletId === id))) {
          throw new Error(`the outlet list does not hold the bench outlets: ${probe.body.slice(0, 2000)}`)
        }
        specs.push({
          id: "outlets",
          label: `outlet list (${listed.length} outlets)`,
          request: "GET /api/v1/outlets",
          load: { path: "/api/v1/outlets", headers: setup.partner, expectStatus: 200, expectBody: probe.body },
          answer: answerOf(probe)
        })
      }
      if (want("menu")) specs.push(await menuRow(setup, catalog))
      if (want("products")) {
        const path = `/api/v1/products?outletId=${catalog.outletIds[0]}`
        const probe = await stableGet(setup, "product list", path, setup.partner)
        const listed = (JSON.parse(probe.body) as { data: ReadonlyArray<unknown> }).data
        if (listed.length === 0) throw new Error("the product list of a bench outlet is empty")
        specs.push({
          id: "products",
          label: `product list (${listed.length} products, with modifiers)`,
          request: "GET /api/v1/products?outletId=",
          load: { path, headers: setup.partner, expectStatus: 200, expectBody: probe.body },
          answer: answerOf(probe)
        })
      }
      if (want("orders") && fake !== undefined) specs.push(await ordersRow(setup, catalog, fake))
      if (want("sync")) specs.push(await syncRow(setup, catalog))
    }
    if (want("loyalty")) specs.push(await loyaltyRow(setup))

    for (const spec of specs) {
      const done = await runRow(setup, spec, settings)
      results.push(done.row)
      measured.push(...done.measured)
      if (spec.id === "loyalty") simulator?.clearCalls()
    }
    if (!running.alive()) throw new Error(`the service exited\n${running.output()}`)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    console.log(loud(message.split("\n")[0] ?? message))
    console.log(message)
    if (service !== undefined && !service.alive()) console.log(service.output())
    failures.push(`table: ${message.split("\n")[0]}`)
  } finally {
    servicePeakMb = await service?.stop()
    await fake?.stop()
    await simulator?.stop()
    removeTempDir(dataDir)
  }
  failures.push(...failedRequests("table", measured))

  // Report.
  const cells = tableRows(results)
  console.log("")
  console.log(formatTable(header, cells))
  const peakLine = `Service peak RSS over the section (VmHWM, read as it stopped): ${fmt.mb(servicePeakMb)}.`
  console.log(peakLine)
  for (const check of results.map((row) => targetOf(row, results))) {
    if (check === undefined || check.met !== false) continue
    const message = `table: ${check.id} ${ratioText(check.value)}, target ${check.text}: missed`
    if (settings.strict) failures.push(message)
    else console.log(`warning: ${message} (BENCH_STRICT=1 makes this fail the run)`)
  }
  console.log(
    `note: autocannon, the service and the raw server share this machine (${availableParallelism()} cores): server ` +
      "us/req (its CPU per answered request) compares better across runs than req/s."
  )

  const markdown = [
    stamp(storage, settings, load),
    "",
    markdownTable(cells),
    "",
    `Rows ran in this order on one service process; its VmHWM is the peak so far, read after the row's run. ${peakLine}`
  ].join("\n")
  if (failures.length > 0) {
    console.log("the table is not written: the section had errors")
  } else if (!config.everyRow && (config.file === undefined || config.file.trim() === "")) {
    console.log("README.md is not rewritten: BENCH_TABLE_ROWS chose some rows only (BENCH_TABLE_FILE writes them)")
  } else {
    console.log(writeTable(markdown, config.file))
  }
  return { failures }
}

export const hotPathsSection: BenchSection = {
  name: "table",
  description:
    "one table over every hot path (whoami with a key, a token, two 401s; outlets, menu, products, orders, products sync, loyalty), each vs raw node:http, written into README.md",
  run
}
