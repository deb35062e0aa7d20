import { request } from "node:http"
import { availableParallelism } from "node:os"
import { gunzipSync } from "node:zlib"
import { productId } from "../../domain/ids.ts"
import { menuPush } from "./catalog-sync.ts"
import {
  type BenchSection,
  type BenchSettings,
  cpuMicros,
  cpuSeconds,
  createScratchDatabase,
  expectStatus,
  failedRequests,
  fmt,
  formatTable,
  httpRequest,
  type LoadOptions,
  loud,
  type Measured,
  makeTempDir,
  measure as measureLoad,
  peakRssMb,
  positiveInt,
  type RunningTarget,
  removeTempDir,
  runAdmin,
  type ScratchDatabase,
  type SectionOutcome,
  startRawServer,
  startService,
  type TimedResponse
} from "./harness.ts"

/**
 * `BENCH=menu`: Menu V2 on PostgreSQL (a scratch database made on the server of BENCH_DATABASE_URL
 * or DATABASE_URL, dropped at the end), the real service as its own process.
 *
 * Setup: a tenant and its POS, editor and partner keys (admin CLI); 51 outlets through Deliverect's
 * outlet sync; one catalog of 2,000 products (2 modifier groups of 5 options each, catalog-sync.ts's
 * generator) pushed to all of them in Deliverect's asynchronous form (`stores`).
 *
 * 1. Publish: a draft of 2,000 items (20 sections of 100, each item's base price the POS's, as
 *    Deliverect prices orders itself), weekly hours, assigned to 50 outlets; `POST .../publish`
 *    timed BENCH_MENU_PUBLISH_RUNS times, each after a change (the description), so each creates a
 *    version; then once more without a change (no version). Target: every publish under 2 s.
 * 2. The effective menu of the 51st outlet, which has one 500-item menu: GET
 *    /api/v1/outlets/{outletId}/menu?at=<fixed instant>, no Accept-Encoding (the identity body, the
 *    bytes the baseline sends), by autocannon at BENCH_CONCURRENCY connections, on a service started
 *    afresh for the reads (so its VmHWM is the reads'). Targets: p99 < 50 ms, req/s >= 0.25 x raw.
 * 3. The same with `Accept-Encoding: gzip`, as HTTP clients ask: every answer must be exactly the
 *    gzip bytes a probe got. Targets: p99 < 50 ms, req/s >= 0.25 x raw (gzip).
 * 4. The identity read with If-None-Match naming its ETag (304). Target: req/s >= 0.5 x raw.
 * 5. For reference, GET /api/v1/auth/whoami with the same key and Host on the same process: the
 *    floor of any authenticated answer (tenant, key, scope, the request pipeline), so the 304 ratio
 *    cannot exceed whoami's ratio to the raw 304.
 *
 * Baseline, in the same run: raw node:http (raw-server.ts) answering the same body with the
 * service's headers (etag, vary, cache-control), and a 304 with those headers when If-None-Match is
 * exactly the tag (a string comparison: the baseline's body is hashed once, at start); then a second
 * raw server answering the service's gzip bytes with the gzip answer's headers (content-encoding,
 * etag, vary, cache-control).
 *
 * Env: BENCH_MENU_CATALOG_ITEMS (2,000), BENCH_MENU_PUBLISH_ITEMS (2,000), BENCH_MENU_STORES (50),
 * BENCH_MENU_READ_ITEMS (500), BENCH_MENU_PUBLISH_RUNS (5), BENCH_MENU_MODIFIERS (1; 0: products without
 * modifier groups, a body about a fifth the size), BENCH_DATABASE_URL / DATABASE_URL, and
 * the harness's BENCH_SECONDS, BENCH_WARMUP_SECONDS, BENCH_CONCURRENCY, BENCH_STRICT.
 */

const provider = "deliverect"
const tenantId = "benchmenu"
const host = `${tenantId}.localhost`
const itemsPerSection = 100
const displayTypes = ["GRID", "LIST", "SWIMLANE", "HIGHLIGHT"] as const
/** The instant of every read: the menu is open then (Monday 12:00 in Singapore), and each answer is the same bytes. */
export const readAt = "2026-03-16T04:00:00.000Z"
const hours = {
  timezone: "Asia/Singapore",
  weekly: [1, 2, 3, 4, 5, 6, 7].map((dayOfWeek) => ({ dayOfWeek, opens: "07:00", closes: "23:00" }))
}

const targets = { publishSeconds: 2, readP99Ms: 50, readRawRatio: 0.25, notModifiedRawRatio: 0.5 }

/** The authenticated route with the least work of its own: the floor of every partner answer. */
const whoamiPath = "/api/v1/auth/whoami"

/** Names of the measurements (rows of the table, looked up by the checks). */
const rows = {
  service200: "service 200",
  serviceGzip: "service 200 gzip",
  service304: "service 304 (If-None-Match)",
  serviceWhoami: "service whoami 200 (any authenticated answer's floor)",
  raw200: "raw node:http 200",
  rawGzip: "raw node:http 200 gzip",
  raw304: "raw node:http 304"
} as const

// ---------------------------------------------------------------------------------------------
// Settings

const menuSettings = () => {
  const config = {
    catalogItems: positiveInt("BENCH_MENU_CATALOG_ITEMS", 2000),
    publishItems: positiveInt("BENCH_MENU_PUBLISH_ITEMS", 2000),
    stores: positiveInt("BENCH_MENU_STORES", 50),
    readItems: positiveInt("BENCH_MENU_READ_ITEMS", 500),
    publishRuns: positiveInt("BENCH_MENU_PUBLISH_RUNS", 5),
    /** BENCH_MENU_MODIFIERS=0: products without modifier groups (by default 2 groups of 5 options each). */
    modifiers: process.env["BENCH_MENU_MODIFIERS"] !== "0",
    serverUrl: process.env["BENCH_DATABASE_URL"] || process.env["DATABASE_URL"] || undefined
  }
  if (config.publishItems > config.catalogItems || config.readItems > config.catalogItems) {
    throw new Error("BENCH_MENU_PUBLISH_ITEMS and BENCH_MENU_READ_ITEMS must not exceed BENCH_MENU_CATALOG_ITEMS")
  }
  return config
}

type MenuConfig = ReturnType<typeof menuSettings>

// ---------------------------------------------------------------------------------------------
// The catalog: catalog-sync.ts's products, pushed to every outlet at once.

/** A Deliverect channel link id per outlet (24 hex digits). */
export const channelLinkId = (outlet: number) => `65b0c0de0c${outlet.toString(16).padStart(14, "0")}`

/** Our ids of the `count` bench outlets, in order, from the answer of their outlet sync. */
export const registeredOutletIds = (answer: string, count: number): Array<string> => {
  const byLink = new Map(
    (JSON.parse(answer) as { outlets: ReadonlyArray<{ outletId: string; externalId: string }> }).outlets.map((o) => [
      o.externalId,
      o.outletId
    ])
  )
  return Array.from({ length: count }, (_, i) => {
    const id = byLink.get(channelLinkId(i))
    if (id === undefined) throw new Error(`the outlet sync did not answer channel link ${channelLinkId(i)}`)
    return id
  })
}

/** Deliverect's registration of `outlets` channel links, in one outlet sync body. */
export const outletRegistrations = (outlets: number): Buffer =>
  Buffer.from(
    JSON.stringify(
      Array.from({ length: outlets }, (_, i) => ({
        status: "register",
        channelLocationId: `bench-menu-outlet-${i + 1}`,
        channelLinkId: channelLinkId(i),
        locationId: `65b0c0de0d${i.toString(16).padStart(14, "0")}`,
        channelLinkName: `Bench Kitchen ${i + 1}`
      }))
    ),
    "utf8"
  )

interface PushedMenu {
  products: Record<string, { subProducts: Array<string> }>
  modifierGroups: Record<string, unknown>
  modifiers: Record<string, unknown>
}

/**
 * The asynchronous form of Deliverect's menu push: one menu, every outlet named in `stores`; without
 * modifiers, the products keep no modifier group.
 */
export const catalogPush = (items: number, outlets: number, modifiers: boolean): Buffer => {
  const menus = JSON.parse(menuPush(items).toString("utf8")) as Array<PushedMenu>
  if (!modifiers) {
    for (const menu of menus) {
      for (const product of Object.values(menu.products)) product.subProducts = []
      menu.modifierGroups = {}
      menu.modifiers = {}
    }
  }
  const stores = Array.from({ length: outlets }, (_, i) => channelLinkId(i))
  return Buffer.from(JSON.stringify({ body: { menus, stores } }), "utf8")
}

export interface CatalogProduct {
  readonly productId: string
  readonly price: number
}

/** The products the push holds, with their prices: read back from the push itself. */
export const catalogProducts = (push: Buffer): ReadonlyArray<CatalogProduct> => {
  const parsed = JSON.parse(push.toString("utf8")) as {
    body: { menus: ReadonlyArray<{ products: Record<string, { _id: string; price: number }> }> }
  }
  return Object.values(parsed.body.menus[0]?.products ?? {}).map((p) => ({
    productId: productId(provider, p._id),
    price: p.price
  }))
}

// ---------------------------------------------------------------------------------------------
// Talking to the service

interface Keys {
  readonly pos: string
  readonly editor: string
  readonly partner: string
}

const call = async (
  service: RunningTarget,
  key: string,
  method: string,
  path: string,
  options: {
    readonly body?: unknown
    readonly headers?: Record<string, string>
    readonly timeoutMs?: number
    /** The tenant's host name (this section's tenant by default). */
    readonly host?: string
  } = {}
): Promise<TimedResponse> =>
  httpRequest({
    port: service.port,
    path,
    method,
    headers: {
      host: options.host ?? host,
      "x-api-key": key,
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers
    },
    ...(options.body === undefined
      ? {}
      : { body: Buffer.isBuffer(options.body) ? options.body : Buffer.from(JSON.stringify(options.body), "utf8") }),
    timeoutMs: options.timeoutMs ?? 60_000
  })

interface BytesResponse {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  /** The answer's bytes as sent (not decoded: a gzip answer stays gzip). */
  readonly body: Buffer
}

/** One GET over a fresh connection, keeping the answer's bytes (httpRequest decodes them as UTF-8). */
const getBytes = (port: number, path: string, headers: Record<string, string>): Promise<BytesResponse> =>
  new Promise((done, fail) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET", headers, agent: false }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on("error", fail)
    })
    req.setTimeout(60_000, () => req.destroy(new Error("timeout after 60000 ms")))
    req.on("error", fail)
    req.end()
  })

/** The draft's version from a draft answer's ETag (`"7"`). */
const draftVersion = (what: string, res: TimedResponse): number => {
  const etag = res.headers["etag"]
  const match = typeof etag === "string" ? /^"(\d+)"$/.exec(etag) : null
  if (match?.[1] === undefined) throw new Error(`${what}: no draft ETag in the answer (etag: ${String(etag)})`)
  return Number(match[1])
}

export interface Draft {
  readonly draftId: string
  version: number
}

/**
 * A draft of `products` in sections of 100, with hours and outlets, composed through the editor API
 * (on the tenant of `tenantHost`, this section's by default).
 */
export const composeDraft = async (
  service: RunningTarget,
  key: string,
  name: string,
  products: ReadonlyArray<CatalogProduct>,
  outletIds: ReadonlyArray<string>,
  tenantHost: string = host
): Promise<Draft> => {
  const created = await call(service, key, "POST", "/api/v2/menus/drafts", { body: { name }, host: tenantHost })
  expectStatus("create draft", created, 201)
  const draft: Draft = { draftId: (JSON.parse(created.body) as { draftId: string }).draftId, version: 0 }
  draft.version = draftVersion("create draft", created)
  const base = `/api/v2/menus/drafts/${draft.draftId}`
  const write = async (what: string, method: string, path: string, body: unknown, status = 200) => {
    const res = await call(service, key, method, path, {
      body,
      headers: { "if-match": `"${draft.version}"` },
      host: tenantHost
    })
    expectStatus(what, res, status)
    draft.version = draftVersion(what, res)
    return res
  }
  for (let s = 0; s * itemsPerSection < products.length; s++) {
    const section = await write(
      `create section ${s + 1}`,
      "POST",
      `${base}/sections`,
      { name: `Section ${s + 1}`, displayType: displayTypes[s % displayTypes.length], position: s },
      201
    )
    const sectionId = (JSON.parse(section.body) as { sectionId: string }).sectionId
    const items = products
      .slice(s * itemsPerSection, (s + 1) * itemsPerSection)
      .map((p, i) => ({ productId: p.productId, position: i, basePrice: p.price }))
    await write(`items of section ${s + 1}`, "PUT", `${base}/sections/${sectionId}/items`, items)
  }
  await write("hours", "PUT", `${base}/hours`, hours)
  await write("stores", "PUT", `${base}/stores`, { outletIds })
  return draft
}

export interface PublishRun {
  readonly label: string
  readonly ms: number
  readonly status: number
  readonly version: number
  readonly created: boolean
  readonly cpuSeconds: number | undefined
}

export const publish = async (
  service: RunningTarget,
  key: string,
  draft: Draft,
  label: string,
  tenantHost: string = host
): Promise<PublishRun> => {
  const before = cpuSeconds(service.pid)
  const res = await call(service, key, "POST", `/api/v2/menus/drafts/${draft.draftId}/publish`, {
    headers: { "if-match": `"${draft.version}"` },
    timeoutMs: 120_000,
    host: tenantHost
  })
  const after = cpuSeconds(service.pid)
  if (res.status !== 201 && res.status !== 200) {
    throw new Error(`publish (${label}) answered HTTP ${res.status}: ${res.body.slice(0, 2000)}`)
  }
  draft.version = draftVersion(`publish (${label})`, res)
  const answer = JSON.parse(res.body) as { version: number; created: boolean }
  return {
    label,
    ms: res.ms,
    status: res.status,
    version: answer.version,
    created: answer.created,
    cpuSeconds: before === undefined || after === undefined ? undefined : after - before
  }
}

export interface EffectiveMenuAnswer {
  readonly source: string
  readonly menus: ReadonlyArray<{
    readonly version: number
    readonly open: boolean
    readonly sections: ReadonlyArray<{ readonly items: ReadonlyArray<{ readonly available: boolean }> }>
  }>
}

export const menuItems = (answer: EffectiveMenuAnswer) =>
  answer.menus.flatMap((m) => m.sections.flatMap((s) => s.items))

// ---------------------------------------------------------------------------------------------
// Setup and publish: one service

interface SetupResult {
  readonly readOutletId: string
  readonly publishRuns: ReadonlyArray<PublishRun>
  readonly unchangedRun: PublishRun
  readonly catalogSyncSeconds: number
  readonly largeMenuBytes: number
  readonly peakMb: number | undefined
}

const setupAndPublish = async (
  config: MenuConfig,
  env: Record<string, string>,
  dataDir: string,
  keys: Keys
): Promise<SetupResult> => {
  const outletCount = config.stores + 1
  const service = await startService("postgres", env, { dataDir, apiKey: keys.partner })
  try {
    // Outlets, as Deliverect registers channel links (one batch).
    const outlets = await call(service, keys.pos, "POST", "/api/v1/outlets/sync", {
      body: outletRegistrations(outletCount),
      headers: { "x-provider": provider }
    })
    expectStatus("outlet sync", outlets, 200)
    const outletIds = registeredOutletIds(outlets.body, outletCount)
    const publishOutlets = outletIds.slice(0, config.stores)
    const readOutletId = outletIds[config.stores]!

    // The catalog, at every outlet.
    const push = catalogPush(config.catalogItems, outletCount, config.modifiers)
    process.stdout.write(
      `  catalog: ${fmt.int(config.catalogItems)} products to ${outletCount} outlets (${(push.length / 1048576).toFixed(1)} MiB) ...`
    )
    const synced = await call(service, keys.pos, "POST", "/api/v1/products/sync", {
      body: push,
      headers: { "x-provider": provider },
      timeoutMs: 600_000
    })
    expectStatus("products sync", synced, 200)
    const syncAnswer = JSON.parse(synced.body) as {
      data: ReadonlyArray<{ counts: { products: { created: number; unchanged: number; updated: number } } }>
    }
    if (syncAnswer.data.length !== outletCount) {
      throw new Error(`the products sync answered ${syncAnswer.data.length} outlets, expected ${outletCount}`)
    }
    console.log(` ${(synced.ms / 1000).toFixed(1)} s`)
    const products = catalogProducts(push)

    // 1. The large menu: composed once, then published after a change, run after run.
    process.stdout.write(
      `  composing a ${fmt.int(config.publishItems)}-item draft for ${config.stores} outlets through the editor API ...`
    )
    const composeStarted = performance.now()
    const large = await composeDraft(
      service,
      keys.editor,
      "Bench All Day",
      products.slice(0, config.publishItems),
      publishOutlets
    )
    console.log(` ${((performance.now() - composeStarted) / 1000).toFixed(1)} s`)
    const runs: Array<PublishRun> = []
    for (let run = 1; run <= config.publishRuns; run++) {
      if (run > 1) {
        const patched = await call(service, keys.editor, "PATCH", `/api/v2/menus/drafts/${large.draftId}`, {
          body: { description: `Change ${run}` },
          headers: { "if-match": `"${large.version}"` }
        })
        expectStatus(`change before publish ${run}`, patched, 200)
        large.version = draftVersion(`change before publish ${run}`, patched)
      }
      const result = await publish(service, keys.editor, large, `publish ${run}, after a change`)
      console.log(
        `  ${result.label}: ${fmt.ms(result.ms)} ms, HTTP ${result.status}, version ${result.version}` +
          (result.cpuSeconds === undefined ? "" : `, service CPU ${result.cpuSeconds.toFixed(2)} s`)
      )
      if (result.status !== 201 || !result.created || result.version !== run) {
        throw new Error(
          `publish ${run} answered HTTP ${result.status}, created ${result.created}, version ${result.version}: expected 201, a new version ${run}`
        )
      }
      runs.push(result)
    }
    const unchangedRun = await publish(service, keys.editor, large, "publish without a change")
    console.log(
      `  ${unchangedRun.label}: ${fmt.ms(unchangedRun.ms)} ms, HTTP ${unchangedRun.status}, version ${unchangedRun.version}`
    )
    if (unchangedRun.status !== 200 || unchangedRun.created || unchangedRun.version !== config.publishRuns) {
      throw new Error(`a publish without a change created a version (HTTP ${unchangedRun.status})`)
    }
    // One of its outlets serves the last version, whole.
    const served = await call(service, keys.partner, "GET", `/api/v1/outlets/${publishOutlets[0]}/menu?at=${readAt}`)
    expectStatus("effective menu of a publish outlet", served, 200)
    const servedAnswer = JSON.parse(served.body) as EffectiveMenuAnswer
    const servedItems = menuItems(servedAnswer)
    if (
      servedAnswer.source !== "menu-v2" ||
      servedAnswer.menus[0]?.version !== config.publishRuns ||
      servedItems.length !== config.publishItems ||
      servedItems.some((i) => !i.available)
    ) {
      throw new Error(
        `a publish outlet's menu: source ${servedAnswer.source}, version ${servedAnswer.menus[0]?.version}, ` +
          `${servedItems.length} items (${servedItems.filter((i) => !i.available).length} unavailable)`
      )
    }

    // 2. The menu the reads measure: its own outlet, 500 items.
    const read = await composeDraft(service, keys.editor, "Bench Lunch", products.slice(0, config.readItems), [
      readOutletId
    ])
    const readPublished = await publish(service, keys.editor, read, "publish of the read menu")
    if (readPublished.status !== 201) throw new Error(`the read menu's publish answered ${readPublished.status}`)
    return {
      readOutletId,
      publishRuns: runs,
      unchangedRun,
      catalogSyncSeconds: synced.ms / 1000,
      largeMenuBytes: Buffer.byteLength(served.body),
      peakMb: peakRssMb(service.pid)
    }
  } finally {
    await service.stop()
  }
}

// ---------------------------------------------------------------------------------------------
// The reads: a fresh service, then the raw baseline

const measure = (
  name: string,
  target: RunningTarget,
  path: string,
  load: Pick<LoadOptions, "headers" | "expectStatus" | "expectBody">,
  settings: BenchSettings
): Promise<Measured> => measureLoad(name, target, { ...load, path }, settings)

/** Headers of the service's answer that the baseline sends too (Node adds date, connection, keep-alive). */
export const copiedHeaders = (res: Pick<TimedResponse, "headers">): Record<string, string> => {
  const own = new Set(["date", "connection", "keep-alive", "content-length", "content-type", "x-request-id"])
  return Object.fromEntries(
    Object.entries(res.headers).flatMap(([name, value]) =>
      own.has(name) || value === undefined ? [] : [[name, Array.isArray(value) ? value.join(", ") : value] as const]
    )
  )
}

interface ReadResult {
  readonly measured: ReadonlyArray<Measured>
  readonly bodyBytes: number
  readonly gzipBytes: number
  readonly whoamiBytes: number
  readonly servicePeakMb: number | undefined
  readonly serviceIdleMb: number | undefined
}

const measureReads = async (
  config: MenuConfig,
  settings: BenchSettings,
  env: Record<string, string>,
  dataDir: string,
  keys: Keys,
  readOutletId: string
): Promise<ReadResult> => {
  const path = `/api/v1/outlets/${readOutletId}/menu?at=${readAt}`
  const service = await startService("postgres", env, { dataDir, apiKey: keys.partner })
  const headers = { host, "x-api-key": keys.partner }
  const gzipHeaders = { ...headers, "accept-encoding": "gzip" }
  const measured: Array<Measured> = []
  let body: string
  let etag: string
  let rawHeaders: Record<string, string>
  let gzipBody: Buffer
  let gzipRawHeaders: Record<string, string>
  let whoamiBody: string
  let servicePeakMb: number | undefined
  let serviceIdleMb: number | undefined
  try {
    // The answer the load must get every time, and the same with its tag (304).
    const probe = await call(service, keys.partner, "GET", path)
    expectStatus("effective menu", probe, 200)
    const answer = JSON.parse(probe.body) as EffectiveMenuAnswer
    const items = menuItems(answer)
    if (
      answer.source !== "menu-v2" ||
      answer.menus.length !== 1 ||
      answer.menus[0]?.open !== true ||
      items.length !== config.readItems ||
      items.some((i) => !i.available)
    ) {
      throw new Error(
        `the read outlet's menu: source ${answer.source}, ${answer.menus.length} menus, ${items.length} items: expected one open menu-v2 menu of ${config.readItems} available items`
      )
    }
    if (probe.headers["content-encoding"] !== undefined) throw new Error("the identity read came back encoded")
    body = probe.body
    etag = String(probe.headers["etag"])
    rawHeaders = copiedHeaders(probe)
    const again = await call(service, keys.partner, "GET", path, { headers: { "if-none-match": etag } })
    expectStatus("effective menu with If-None-Match", again, 304)
    if (again.body !== "" || again.headers["etag"] !== etag) {
      throw new Error(`the 304 carried a body or another tag (${String(again.headers["etag"])})`)
    }
    // The gzip answer: the same JSON compressed, the same bytes on every request (the load expects exactly them).
    const gzipProbe = await getBytes(service.port, path, gzipHeaders)
    const gzipAgain = await getBytes(service.port, path, gzipHeaders)
    if (gzipProbe.status !== 200 || gzipProbe.headers["content-encoding"] !== "gzip") {
      throw new Error(
        `the gzip read answered HTTP ${gzipProbe.status}, content-encoding ${String(gzipProbe.headers["content-encoding"])}`
      )
    }
    if (gunzipSync(gzipProbe.body).toString("utf8") !== body) {
      throw new Error("the gzip read does not decompress to the identity body")
    }
    if (gzipAgain.status !== 200 || !gzipAgain.body.equals(gzipProbe.body)) {
      throw new Error("two gzip reads answered different bytes")
    }
    gzipBody = gzipProbe.body
    gzipRawHeaders = copiedHeaders(gzipProbe)
    // whoami with the same key and Host: one body per key, the same on every request.
    const whoami = await call(service, keys.partner, "GET", whoamiPath)
    expectStatus("whoami", whoami, 200)
    const whoamiAgain = await call(service, keys.partner, "GET", whoamiPath)
    if (whoamiAgain.status !== 200 || whoamiAgain.body !== whoami.body) {
      throw new Error(`two whoami reads answered differently: ${whoami.body} / ${whoamiAgain.body}`)
    }
    whoamiBody = whoami.body
    serviceIdleMb = peakRssMb(service.pid)
    console.log(
      `  effective menu: ${fmt.int(Buffer.byteLength(body))} bytes (gzip ${fmt.int(gzipBody.length)} bytes, ` +
        `ETag ${String(gzipProbe.headers["etag"])}), ${items.length} items, ETag ${etag}; ` +
        `whoami ${fmt.int(Buffer.byteLength(whoamiBody))} bytes; service VmHWM before the load ${fmt.mb(serviceIdleMb)}`
    )
    measured.push(
      await measure(rows.service200, service, path, { headers, expectStatus: 200, expectBody: body }, settings)
    )
    measured.push(
      await measure(
        rows.serviceGzip,
        service,
        path,
        { headers: gzipHeaders, expectStatus: 200, expectBody: gzipBody },
        settings
      )
    )
    measured.push(
      await measure(
        rows.service304,
        service,
        path,
        { headers: { ...headers, "if-none-match": etag }, expectStatus: 304, expectBody: "" },
        settings
      )
    )
    measured.push(
      await measure(
        rows.serviceWhoami,
        service,
        whoamiPath,
        { headers, expectStatus: 200, expectBody: whoamiBody },
        settings
      )
    )
  } finally {
    servicePeakMb = await service.stop()
  }

  const raw = await startRawServer(body, { headers: rawHeaders, etag })
  try {
    // The baseline answers exactly these bytes, and a 304 to the same tag.
    const probe = await httpRequest({ port: raw.port, path, method: "GET", headers, timeoutMs: 10_000 })
    if (probe.status !== 200 || probe.body !== body) throw new Error("the raw server does not answer the same bytes")
    measured.push(await measure(rows.raw200, raw, path, { headers, expectStatus: 200, expectBody: body }, settings))
    measured.push(
      await measure(
        rows.raw304,
        raw,
        path,
        { headers: { ...headers, "if-none-match": etag }, expectStatus: 304, expectBody: "" },
        settings
      )
    )
  } finally {
    await raw.stop()
  }

  // The gzip baseline: the service's gzip bytes with the gzip answer's headers.
  const rawGzip = await startRawServer(gzipBody, { headers: gzipRawHeaders })
  try {
    const probe = await getBytes(rawGzip.port, path, gzipHeaders)
    if (
      probe.status !== 200 ||
      !probe.body.equals(gzipBody) ||
      probe.headers["content-encoding"] !== "gzip" ||
      probe.headers["etag"] !== gzipRawHeaders["etag"]
    ) {
      throw new Error("the raw gzip server does not answer the same bytes and headers")
    }
    measured.push(
      await measure(
        rows.rawGzip,
        rawGzip,
        path,
        { headers: gzipHeaders, expectStatus: 200, expectBody: gzipBody },
        settings
      )
    )
  } finally {
    await rawGzip.stop()
  }
  return {
    measured,
    bodyBytes: Buffer.byteLength(body),
    gzipBytes: gzipBody.length,
    whoamiBytes: Buffer.byteLength(whoamiBody),
    servicePeakMb,
    serviceIdleMb
  }
}

// ---------------------------------------------------------------------------------------------
// The section

const run = async (settings: BenchSettings): Promise<SectionOutcome> => {
  const config = menuSettings()
  const failures: Array<string> = []
  if (config.serverUrl === undefined) {
    const message =
      "menu: needs PostgreSQL: set BENCH_DATABASE_URL or DATABASE_URL (a server to make a scratch database on)"
    console.log(loud(message))
    return { failures: [message] }
  }
  console.log(
    `menu: Menu V2 on PostgreSQL (Host: ${host}); ${fmt.int(config.catalogItems)} products ` +
      `(${config.modifiers ? "2 modifier groups of 5 options each" : "no modifier groups: BENCH_MENU_MODIFIERS=0"}) ` +
      `at ${config.stores + 1} outlets; publish: ${fmt.int(config.publishItems)} items to ${config.stores} outlets, ${config.publishRuns} runs; ` +
      `reads: a ${fmt.int(config.readItems)}-item menu at the last outlet, ?at=${readAt}, no Accept-Encoding and gzip; ` +
      `whoami on the same process`
  )
  const dataDir = makeTempDir("pos-bench-menu-")
  let database: ScratchDatabase | undefined
  let setup: SetupResult | undefined
  let reads: ReadResult | undefined
  try {
    database = await createScratchDatabase(config.serverUrl, "pos_bench_menu")
    console.log(`  scratch database ${database.name}`)
    const env: Record<string, string> = { STORAGE: "postgres", DATA_DIR: dataDir, DATABASE_URL: database.url }
    await runAdmin(["tenant", "create", tenantId], env)
    const issue = async (kind: string) => {
      const issued = await runAdmin(["key", "issue", tenantId, "--kind", kind, "--name", `bench ${kind}`], env)
      const key = /posk_\S+/.exec(issued.stdout)?.[0]
      if (key === undefined) throw new Error(`no key in the output of key issue --kind ${kind}:\n${issued.stdout}`)
      return key
    }
    const keys: Keys = { pos: await issue("pos"), editor: await issue("editor"), partner: await issue("partner") }
    setup = await setupAndPublish(config, env, dataDir, keys)
    reads = await measureReads(config, settings, env, dataDir, keys, setup.readOutletId)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    console.log(loud(message.split("\n")[0] ?? message))
    console.log(message)
    failures.push(`menu: ${message.split("\n")[0]}`)
  } finally {
    removeTempDir(dataDir)
    await database
      ?.drop()
      .catch((error: unknown) => failures.push(`menu: dropping ${database?.name}: ${String(error)}`))
  }
  if (setup === undefined || reads === undefined) return { failures }
  return report(config, settings, setup, reads, failures)
}

const report = (
  config: MenuConfig,
  settings: BenchSettings,
  setup: SetupResult,
  reads: ReadResult,
  failures: Array<string>
): SectionOutcome => {
  // Report.
  const slowest = Math.max(...setup.publishRuns.map((r) => r.ms))
  const mean = setup.publishRuns.reduce((n, r) => n + r.ms, 0) / setup.publishRuns.length
  console.log("")
  console.log(
    formatTable(
      ["publish", "ms", "HTTP", "version", "service CPU s"],
      [...setup.publishRuns, setup.unchangedRun].map((r) => [
        r.label,
        fmt.ms(r.ms),
        String(r.status),
        String(r.version),
        r.cpuSeconds === undefined ? "n/a" : r.cpuSeconds.toFixed(2)
      ])
    )
  )
  console.log(
    `(${fmt.int(config.publishItems)} items in ${Math.ceil(config.publishItems / itemsPerSection)} sections, ${config.stores} outlets; ` +
      `the effective menu of one of them afterwards: ${fmt.int(setup.largeMenuBytes)} bytes; ` +
      `catalog sync to ${config.stores + 1} outlets took ${setup.catalogSyncSeconds.toFixed(1)} s; ` +
      `setup and publish service VmHWM ${fmt.mb(setup.peakMb)})`
  )
  console.log("")
  console.log(
    formatTable(
      [
        "measurement",
        "req/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "requests",
        "errors",
        "server cpu",
        "us/req",
        "client cpu"
      ],
      Object.values(rows)
        .flatMap((row) => reads.measured.filter((m) => m.name === row))
        .map(({ name, result }) => [
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
    )
  )
  console.log(
    `(body ${fmt.int(reads.bodyBytes)} bytes, ${fmt.int(reads.gzipBytes)} bytes with gzip; whoami ${fmt.int(reads.whoamiBytes)} bytes; ` +
      `service VmHWM ${fmt.mb(reads.servicePeakMb)} after the reads, ${fmt.mb(reads.serviceIdleMb)} before them; ` +
      "the raw servers answer the service's bytes (identity, gzip) and headers, and 304 when If-None-Match is the identity tag)"
  )

  const result = (name: string) => reads.measured.find((m) => m.name === name)?.result
  const rps = (name: string) => result(name)?.rps ?? 0
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b)
  /** Small ratios keep two significant digits (0.00041), so a miss by far is not shown as zero. */
  const showRatio = (value: number) => (value > 0 && value < 0.01 ? value.toPrecision(2) : value.toFixed(3))
  const checks = [
    {
      label: `publish of ${fmt.int(config.publishItems)} items to ${config.stores} outlets, slowest of ${setup.publishRuns.length} (mean ${fmt.ms(mean)} ms)`,
      shown: `${fmt.ms(slowest)} ms`,
      target: `< ${fmt.int(targets.publishSeconds * 1000)} ms`,
      met: slowest < targets.publishSeconds * 1000
    },
    {
      label: "effective menu 200: p99",
      shown: `${fmt.ms(result(rows.service200)?.latencyMs.p99 ?? Number.NaN)} ms`,
      target: `< ${targets.readP99Ms} ms`,
      met: (result(rows.service200)?.latencyMs.p99 ?? Number.POSITIVE_INFINITY) < targets.readP99Ms
    },
    {
      label: "effective menu 200: req/s / raw 200",
      shown: showRatio(ratio(rps(rows.service200), rps(rows.raw200))),
      target: `>= ${targets.readRawRatio}`,
      met: ratio(rps(rows.service200), rps(rows.raw200)) >= targets.readRawRatio
    },
    {
      label: "effective menu 200 gzip: p99",
      shown: `${fmt.ms(result(rows.serviceGzip)?.latencyMs.p99 ?? Number.NaN)} ms`,
      target: `< ${targets.readP99Ms} ms`,
      met: (result(rows.serviceGzip)?.latencyMs.p99 ?? Number.POSITIVE_INFINITY) < targets.readP99Ms
    },
    {
      label: "effective menu 200 gzip: req/s / raw 200 gzip",
      shown: showRatio(ratio(rps(rows.serviceGzip), rps(rows.rawGzip))),
      target: `>= ${targets.readRawRatio}`,
      met: ratio(rps(rows.serviceGzip), rps(rows.rawGzip)) >= targets.readRawRatio
    },
    {
      label: "effective menu 304: req/s / raw 304",
      shown: showRatio(ratio(rps(rows.service304), rps(rows.raw304))),
      target: `>= ${targets.notModifiedRawRatio}`,
      met: ratio(rps(rows.service304), rps(rows.raw304)) >= targets.notModifiedRawRatio
    }
  ]
  console.log("")
  console.log(
    formatTable(
      ["target", "measured", "target", "met"],
      checks.map((c) => [c.label, c.shown, c.target, c.met ? "met" : "NOT MET"])
    )
  )
  // Whoami does the work every authenticated answer does (tenant, key, scope, the request pipeline) and little else:
  // a 304, which does that and reads the menu's key, cannot be cheaper.
  console.log(
    `the 304 ratio cannot exceed whoami's: whoami/raw 304 = ${showRatio(ratio(rps(rows.serviceWhoami), rps(rows.raw304)))}`
  )
  // By Little's law, a p99 under 50 ms at 50 connections needs about 1,000 answers a second: the baseline's own p99 says
  // what this machine can do with this body.
  for (const [row, what] of [
    [rows.raw200, "the same body"],
    [rows.rawGzip, "the same gzip bytes"]
  ] as const) {
    const rawP99 = result(row)?.latencyMs.p99
    console.log(
      `for reference, ${row} with ${what}: p99 ${rawP99 === undefined ? "n/a" : `${fmt.ms(rawP99)} ms`}` +
        ` (${rawP99 !== undefined && rawP99 < targets.readP99Ms ? "within" : "itself above"} the ${targets.readP99Ms} ms target)`
    )
  }
  for (const check of checks.filter((c) => !c.met)) {
    const message = `menu: ${check.label} ${check.shown}, target ${check.target}: not met`
    if (settings.strict) failures.push(message)
    else console.log(`warning: ${message} (BENCH_STRICT=1 makes this fail the run)`)
  }
  console.log(
    `note: autocannon and the server are separate processes on the same machine (${availableParallelism()} cores), ` +
      "so they compete for CPU; cpu columns are % of one core over the measured seconds, us/req is server CPU per request. " +
      'Where the service spends its time: BENCH_SERVICE_NODE_FLAGS="--cpu-prof --cpu-prof-dir=<dir>".'
  )
  failures.push(...failedRequests("menu", reads.measured))
  return { failures }
}

export const menuSection: BenchSection = {
  name: "menu",
  description:
    "Menu V2 on PostgreSQL: publish of a 2,000-item menu to 50 outlets; the effective menu of a 500-item menu (200, 200 gzip, 304) and whoami vs raw node:http",
  run
}
