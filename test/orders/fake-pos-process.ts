import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Layer, Redacted } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { isKeyRing, parseKeyRing } from "../../adapters/crypto/credential-sealer.ts"
import { layerPgliteStorage } from "../../adapters/storage/pglite/pglite-storage.ts"
import { layerPostgresStorage } from "../../adapters/storage/postgres/postgres-storage.ts"
import { type FakeDeliverect, startFakeDeliverect } from "../../plugins/deliverect/fake-deliverect.ts"
import deliverectMenu from "../../plugins/deliverect/fixtures/menu-sync.json" with { type: "json" }
import deliverectOutlets from "../../plugins/deliverect/fixtures/outlets-batch.json" with { type: "json" }
import type { StorageServices } from "../../runtime/app-layer.ts"
import { HttpRoutes } from "../../runtime/http/server.ts"
import { forceStop, freePort, type ServiceProcess, startService, waitUntilReady } from "../process/service-process.ts"
import { type AdminHarness, makeAdminHarness, makeScratchDatabases } from "../support/admin-cli.ts"
import { freshPgliteCluster, pgliteTemplate } from "../support/pglite-template.ts"

/**
 * The POS side of the process tests of order delivery, and a tenant prepared for services that
 * run as child processes (`npm start`).
 *
 * The fake Deliverect runs in the test process, so it outlives any service process a test kills,
 * and it keeps the one record that matters: the orders (channelOrderIds) the POS has. Between the
 * services and the fake sits a gate, which decides per order what happens to its requests: they
 * pass, or they are kept from the POS, or they reach the POS and their answer is kept from the
 * service, or the gate answers 503 itself (for one order, or for every order's first tries). The
 * first two are the moments a service may die in while it delivers an order; the last is a POS
 * that is down.
 */

/**
 * What the gate does with an order's requests (token requests always pass):
 * - `open`: passes them to the POS and its answers back;
 * - `before`: keeps them from the POS, unanswered: the POS never sees the order;
 * - `after`: passes them to the POS, which takes the order, and keeps its answer from the service;
 * - `unavailable`: answers them 503 itself, as a POS that is down does.
 */
export type GateMode = "open" | "before" | "after" | "unavailable"

export interface GatedPos {
  readonly fake: FakeDeliverect
  /** Outlet credentials whose base URL is the gate's. */
  readonly credentials: FakeDeliverect["credentials"]
  /** What happens to the requests of the order with this refCode (channelOrderId) from now on. */
  gate(refCode: string, mode: GateMode): void
  /** What happens to the requests of every order not gated on its own (`open` at first): a POS that goes down. */
  gateEvery(mode: GateMode): void
  /** The order's requests the gate has not let through both ways (kept, answered 503, or their answer kept). */
  held(refCode: string): number
  /** Resolves as soon as the gate has held `count` of the order's requests. */
  waitUntilHeld(refCode: string, count: number, timeoutMs?: number): Promise<void>
  /** How many of the order's requests reached the POS. */
  reachedPos(refCode: string): number
  /** The distinct channelOrderIds the POS has (orders taken, and repeats it filed as duplicates). */
  ordersAtPos(): ReadonlySet<string>
  close(): Promise<void>
}

const readBody = (incoming: IncomingMessage) =>
  new Promise<Buffer>((done, fail) => {
    const chunks: Array<Buffer> = []
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk))
    incoming.on("end", () => done(Buffer.concat(chunks)))
    incoming.on("error", fail)
  })

const channelOrderIdOf = (body: Buffer | string): string | undefined => {
  try {
    const id = (JSON.parse(body.toString()) as { channelOrderId?: unknown }).channelOrderId
    return typeof id === "string" ? id : undefined
  } catch {
    return undefined
  }
}

export interface GateOptions {
  /** Every order's first this many requests are answered 503 (before any mode applies): a POS that comes back. */
  readonly failFirst?: number
}

/** The fake Deliverect behind a gate on its own loopback port. */
export const startGatedPos = async (options: GateOptions = {}): Promise<GatedPos> => {
  const fake = await startFakeDeliverect()
  const failFirst = options.failFirst ?? 0
  const seen = new Map<string, number>()
  const target = new URL(fake.url)
  const modes = new Map<string, GateMode>()
  let everyOrder: GateMode = "open"
  const heldCounts = new Map<string, number>()
  const waiters = new Set<() => void>()
  const kept = new Set<ServerResponse>()

  const hold = (refCode: string) => {
    heldCounts.set(refCode, (heldCounts.get(refCode) ?? 0) + 1)
    for (const wake of waiters) wake()
  }
  const keep = (response: ServerResponse) => {
    kept.add(response)
    response.on("close", () => kept.delete(response))
  }

  const forward = (incoming: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingMessage["headers"]; body: Buffer }>((done, fail) => {
      const out = request(
        {
          host: target.hostname,
          port: Number(target.port),
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: target.host },
          agent: false
        },
        (answer) => {
          void readBody(answer).then(
            (bytes) => done({ status: answer.statusCode ?? 502, headers: answer.headers, body: bytes }),
            fail
          )
        }
      )
      out.on("error", fail)
      out.end(body)
    })

  const server = createServer((incoming, response) => {
    void (async () => {
      const body = await readBody(incoming)
      const isOrder = incoming.method === "POST" && /^\/[^/]+\/order\/[^/]+$/.test(incoming.url ?? "")
      const refCode = isOrder ? channelOrderIdOf(body) : undefined
      let mode = refCode === undefined ? "open" : (modes.get(refCode) ?? everyOrder)
      if (refCode !== undefined) {
        seen.set(refCode, (seen.get(refCode) ?? 0) + 1)
        if (seen.get(refCode)! <= failFirst) mode = "unavailable"
      }
      if (refCode !== undefined && mode === "unavailable") {
        hold(refCode)
        response.writeHead(503, { "content-type": "application/json" })
        response.end(JSON.stringify({ error: { code: "service_unavailable", message: "Service unavailable" } }))
        return
      }
      if (refCode !== undefined && mode === "before") {
        keep(response)
        hold(refCode)
        return
      }
      const answer = await forward(incoming, body)
      if (refCode !== undefined && mode === "after") {
        keep(response)
        hold(refCode)
        return
      }
      const { "transfer-encoding": _chunked, connection: _connection, ...headers } = answer.headers
      response.writeHead(answer.status, { ...headers, "content-length": answer.body.length })
      response.end(answer.body)
    })().catch(() => {
      if (!response.headersSent) response.writeHead(502)
      response.end()
    })
  })
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const held = (refCode: string) => heldCounts.get(refCode) ?? 0

  return {
    fake,
    credentials: { ...fake.credentials, baseUrl: url },
    gate: (refCode, mode) => {
      modes.set(refCode, mode)
    },
    gateEvery: (mode) => {
      everyOrder = mode
      // Requests kept while it was down are let go: their calls have timed out by now, or do so now.
      if (mode === "open") for (const response of kept) response.destroy()
    },
    held,
    waitUntilHeld: (refCode, count, timeoutMs = 30_000) =>
      new Promise<void>((done, fail) => {
        const check = () => {
          if (held(refCode) < count) return
          waiters.delete(check)
          clearTimeout(timer)
          done()
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          fail(new Error(`the gate held ${held(refCode)} requests of ${refCode}, expected ${count}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      }),
    reachedPos: (refCode) =>
      fake.requests.filter((r) => r.kind === "order" && channelOrderIdOf(r.body) === refCode).length,
    ordersAtPos: () => new Set([...fake.taken, ...fake.duplicates]),
    close: async () => {
      for (const response of kept) response.destroy()
      server.closeAllConnections()
      await new Promise<void>((done) => server.close(() => done()))
      await fake.close()
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The storage a service process runs on

export interface ServiceStorage {
  /** The service's storage settings (STORAGE, DATA_DIR, DATABASE_URL, CREDENTIALS_KEYS). */
  readonly env: Record<string, string> & { readonly DATA_DIR: string }
  /** The same storage, opened in this process. */
  readonly layer: () => Layer.Layer<StorageServices, unknown>
  /**
   * A query on the PostgreSQL database, for rows no API shows (none on PGlite: its data directory
   * is the running service's alone).
   */
  readonly query?: (text: string) => Promise<ReadonlyArray<Record<string, unknown>>>
  readonly cleanup: () => Promise<void>
}

/** An embedded data directory with a fresh PGlite cluster in it (the suite's pristine one, copied). */
export const pgliteStorage = async (): Promise<ServiceStorage> => {
  const dataDir = mkdtempSync(join(tmpdir(), "pos-orders-"))
  await freshPgliteCluster(join(dataDir, "pglite"))
  return {
    env: { STORAGE: "pglite", DATA_DIR: dataDir },
    layer: () => layerPgliteStorage({ dataDir, tenantPoolSize: 1, template: pgliteTemplate() }),
    cleanup: async () => rmSync(dataDir, { recursive: true, force: true })
  }
}

/** A scratch database of its own on the DATABASE_URL server, and a credentials key for every process on it. */
export const postgresStorage = async (serverUrl: string): Promise<ServiceStorage> => {
  const dataDir = mkdtempSync(join(tmpdir(), "pos-orders-"))
  const databases = makeScratchDatabases(serverUrl)
  const database = await databases.create()
  const keys = `k1:${randomBytes(32).toString("base64")}`
  const ring = parseKeyRing(keys, "CREDENTIALS_KEYS")
  if (!isKeyRing(ring)) throw new Error(ring.problem)
  return {
    env: { STORAGE: "postgres", DATABASE_URL: database.url, CREDENTIALS_KEYS: keys, DATA_DIR: dataDir },
    layer: () => layerPostgresStorage({ url: Redacted.make(database.url), tenantPoolSize: 1, credentialKeys: ring }),
    query: (text) => databases.query(database.name, text) as Promise<ReadonlyArray<Record<string, unknown>>>,
    cleanup: async () => {
      await databases.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A tenant with one Deliverect outlet that sells all day

/**
 * The Marina Bay menu of the Deliverect fixtures, open all day every day: the fixture's hours
 * would make an order's success depend on the hour the test runs at.
 */
export const allDayMenu = () =>
  (deliverectMenu as Array<Record<string, unknown>>).map((menu) => ({
    ...menu,
    availabilities: [1, 2, 3, 4, 5, 6, 7].map((dayOfWeek) => ({ dayOfWeek, startTime: "00:00", endTime: "24:00" }))
  }))

/** Coca-Cola 330ml in the fixture: no modifiers, 350 cents with tax included. */
export const colaPosCode = "DRK-COLA"
export const colaPrice = 350

export interface Shop {
  readonly tenant: string
  /** The Host header naming the tenant. */
  readonly host: string
  readonly posKey: string
  readonly partnerKey: string
  readonly outletId: string
  readonly externalOutletId: string
  readonly productId: string
}

/** One admin command; anything but exit code 0 fails with its output. */
const admin = async (harness: AdminHarness, ...argv: Array<string>) => {
  const outcome = await harness.run(...argv)
  if (outcome.exitCode !== 0) {
    throw new Error(`admin ${argv.join(" ")} exited ${outcome.exitCode}:\n${outcome.stdout}\n${outcome.stderr}`)
  }
  return outcome.stdout
}

/**
 * The tenant, its keys, its outlet with the all-day menu, and the outlet's credentials (the
 * gate's, or the fake's), prepared on the storage before any service process runs on it. The
 * admin commands are `npm run admin`'s command tree, and the outlets and menu go through the
 * service's own HTTP routes with the POS key, as Deliverect pushes them, all in this process:
 * starting a service process takes seconds, and an embedded data directory is one process's at a
 * time, so preparing through a running service would cost a stop and a start more.
 */
export const prepareShop = async (
  storage: ServiceStorage,
  credentials: FakeDeliverect["credentials"],
  tenant = "acme"
): Promise<Shop> => {
  // The harness runs the service's background work too (an order dispatcher among it): harmless
  // here, as no order exists before this returns.
  const harness = await makeAdminHarness(storage.layer())
  // The service's routes over the same services, as test/support/app.ts serves them.
  const routes = HttpRoutes as Layer.Layer<never, never, never>
  const { handler, dispose } = HttpRouter.toWebHandler(
    routes.pipe(Layer.provide(Layer.succeedContext(harness.context)), Layer.provide(HttpServer.layerServices)),
    { disableLogger: true }
  )
  try {
    await admin(harness, "tenant", "create", tenant, "--currency", "SGD", "--timezone", "Asia/Singapore")
    const issue = async (kind: string) => {
      const issued = await admin(harness, "key", "issue", tenant, "--kind", kind, "--name", `orders ${kind}`)
      const key = /posk_\S+/.exec(issued)?.[0]
      if (key === undefined) throw new Error(`no key in the output of key issue --kind ${kind}:\n${issued}`)
      return key
    }
    const posKey = await issue("pos")
    const partnerKey = await issue("partner")
    const host = `${tenant}.localhost`
    const send = async (key: string, method: string, path: string, body?: unknown) => {
      const response = await handler(
        new Request(`http://${host}${path}`, {
          method,
          headers: {
            host,
            "x-api-key": key,
            "x-provider": "deliverect",
            ...(body === undefined ? {} : { "content-type": "application/json" })
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) })
        })
      )
      const text = await response.text()
      if (response.status !== 200) throw new Error(`${method} ${path}: ${response.status} ${text}`)
      return JSON.parse(text) as unknown
    }
    const { outlets } = (await send(posKey, "POST", "/api/v1/outlets/sync", deliverectOutlets)) as {
      readonly outlets: ReadonlyArray<{ readonly outletId: string; readonly externalId: string }>
    }
    const externalOutletId = (deliverectMenu as Array<{ channelLinkId: string }>)[0]!.channelLinkId
    const outlet = outlets.find((o) => o.externalId === externalOutletId)
    if (outlet === undefined) throw new Error(`the outlet sync answered no outlet ${externalOutletId}`)
    await send(posKey, "POST", "/api/v1/products/sync", allDayMenu())
    const { data } = (await send(partnerKey, "GET", `/api/v1/products?outletId=${outlet.outletId}&limit=500`)) as {
      readonly data: ReadonlyArray<{
        readonly productId: string
        readonly posCode: string
        readonly available: boolean
      }>
    }
    const cola = data.find((p) => p.posCode === colaPosCode && p.available)
    if (cola === undefined) throw new Error(`no available ${colaPosCode} at ${outlet.outletId}`)
    await admin(
      harness,
      "store",
      "set-credentials",
      tenant,
      "deliverect",
      externalOutletId,
      "--json",
      JSON.stringify(credentials)
    )
    return { tenant, host, posKey, partnerKey, outletId: outlet.outletId, externalOutletId, productId: cola.productId }
  } finally {
    await dispose()
    await harness.dispose()
  }
}

// ---------------------------------------------------------------------------------------------
// The HTTP API of a service process

export interface Answer {
  readonly status: number
  readonly body: string
}

/** Kept-alive connections: placing a thousand orders on fresh ones would measure connects. */
const agent = new Agent({ keepAlive: true, maxSockets: 64 })

/** An API call to a service process on loopback, for the tenant's host. */
export const callService = (
  port: number,
  shop: Shop,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {}
): Promise<Answer> =>
  new Promise<Answer>((done, fail) => {
    const bytes = body === undefined ? undefined : Buffer.from(JSON.stringify(body), "utf8")
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        agent,
        headers: {
          host: shop.host,
          "x-api-key": shop.partnerKey,
          ...headers,
          ...(bytes === undefined ? {} : { "content-type": "application/json", "content-length": bytes.length })
        }
      },
      (res) => {
        void readBody(res).then((text) => done({ status: res.statusCode ?? 0, body: text.toString("utf8") }), fail)
      }
    )
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: no answer within 60 s`)))
    req.on("error", fail)
    req.end(bytes)
  })

/** Closes the kept-alive connections (a killed service's are gone anyway). */
export const closeConnections = () => agent.destroy()

export interface PlacedOrder {
  readonly orderId: string
  readonly refCode: string
  readonly status: string
  readonly createdAt: string
}

/** One cola, paid. */
export const colaOrder = (shop: Shop, refCode: string) => ({
  refCode,
  outletId: shop.outletId,
  fulfilment: { type: "PICKUP", asap: true },
  customer: { name: "Mei Ling", phone: "+6591234567" },
  items: [{ productId: shop.productId, quantity: 1 }],
  payment: { status: "PAID", amount: colaPrice, method: "card" }
})

/** One cola, paid, placed through the service on `port`; anything but 201 fails with the answer. */
export const placeOrder = async (port: number, shop: Shop, refCode: string): Promise<PlacedOrder> => {
  const answer = await callService(port, shop, "POST", "/api/v1/orders", colaOrder(shop, refCode))
  if (answer.status !== 201) throw new Error(`placing ${refCode}: ${answer.status} ${answer.body}`)
  return JSON.parse(answer.body) as PlacedOrder
}

export interface OrderView {
  readonly orderId: string
  readonly refCode: string
  readonly status: string
  readonly timeline: ReadonlyArray<{ readonly at: string; readonly status: string | null; readonly source: string }>
  readonly deliveries: ReadonlyArray<{
    readonly kind: string
    readonly attempt: number
    readonly startedAt: string
    readonly finishedAt: string
    readonly outcome: string
    readonly reason: string | null
  }>
}

export const getOrder = async (port: number, shop: Shop, orderId: string): Promise<OrderView> => {
  const answer = await callService(port, shop, "GET", `/api/v1/orders/${orderId}`)
  if (answer.status !== 200) throw new Error(`GET ${orderId}: ${answer.status} ${answer.body}`)
  return JSON.parse(answer.body) as OrderView
}

export { eventually } from "../support/eventually.ts"

/** The storages a service process can run on here: the embedded data directory, and PostgreSQL when DATABASE_URL is set. */
export const processStorages = () => {
  const serverUrl = process.env["DATABASE_URL"]
  return [
    { name: "PGlite data directory", available: true, make: pgliteStorage },
    {
      name: "PostgreSQL",
      available: serverUrl !== undefined && serverUrl !== "",
      make: () => postgresStorage(serverUrl ?? "")
    }
  ] as const
}

/**
 * A scenario on every storage's run at once, each to its end; a failure names its storage (the
 * first one's stack kept, the others' messages added).
 */
export const onEveryRun = async <R extends { readonly name: string }>(
  runs: ReadonlyArray<R>,
  scenario: (run: R) => Promise<void>
) => {
  const outcomes = await Promise.allSettled(runs.map(scenario))
  const failures = outcomes.flatMap((outcome, i) =>
    outcome.status === "rejected" ? [{ name: runs[i]!.name, error: outcome.reason as unknown }] : []
  )
  const [first, ...others] = failures
  if (first === undefined) return
  const also = others.map((other) => `\n(and ${other.name}: ${String(other.error)})`).join("")
  if (first.error instanceof Error) {
    first.error.message = `${first.name}: ${first.error.message}${also}`
    throw first.error
  }
  throw new Error(`${first.name}: ${String(first.error)}${also}`)
}

/**
 * A shop on a fresh embedded data directory, with its gated POS, and the service process on it as
 * `npm start` runs it with `env` on top: started (again) with `start`, killed with `kill` (SIGKILL),
 * called as the partner with `call`.
 */
export const startShopService = async (env: Record<string, string>) => {
  const storage = await pgliteStorage()
  const pos = await startGatedPos()
  const shop = await prepareShop(storage, pos.credentials)
  const port = await freePort()
  let current: ServiceProcess | undefined
  return {
    storage,
    pos,
    shop,
    port,
    start: async () => {
      current = startService({ ...storage.env, PORT: String(port), HOST: "127.0.0.1", ...env })
      await waitUntilReady(current)
      return current
    },
    kill: () => forceStop(current),
    call: (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      callService(port, shop, method, path, body, headers),
    cleanup: async () => {
      await forceStop(current)
      closeConnections()
      await pos.close()
      await storage.cleanup()
    }
  }
}
