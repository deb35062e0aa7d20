import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  canConnect,
  forceStop,
  freePort,
  idleKeepAliveConnection,
  lockHolder,
  lockPath,
  rawExchange,
  type ServiceProcess,
  send,
  startService,
  waitUntilReady
} from "./service-process.ts"

// The service's life seen from outside, as an operator or an orchestrator sees it: `npm start`,
// readiness, a stop signal with a request in flight, and a restart on the same data directory.
// One data directory serves every case: PGlite's first start (initdb) is the slow part.

let dataDir: string
let port: number
let demoKey: string
let current: ServiceProcess | undefined

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "pos-lifecycle-"))
  port = await freePort()
})
// The cases run in order on one service at a time; whatever a failed case left running is killed here.
afterAll(async () => {
  await forceStop(current)
  rmSync(dataDir, { recursive: true, force: true })
})

const start = (extra: Record<string, string> = {}) => {
  current = startService({
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    DEMO: "true",
    SHUTDOWN_GRACE_MS: "4000",
    ...extra
  })
  return current
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** A customer upsert whose body arrives in two parts, the second `ms` after `after` resolves. */
const slowUpsert = (after: Promise<unknown>, ms: number) =>
  send(port, {
    method: "POST",
    path: "/api/v1/customers",
    headers: { host: `demo.localhost:${port}`, "x-api-key": demoKey, "content-type": "application/json" },
    body: JSON.stringify({ name: "Slow Sender", phone: "+6591234567" }),
    holdBodyUntil: after.then(() => sleep(ms))
  })

/**
 * Sends `signal` to npm (not to node) with a slow request in flight and an idle keep-alive
 * connection open, and checks a clean stop: the request answered (not reset) with
 * `Connection: close`, npm and node gone within 5 s with status 0, the port closed, the lock released.
 */
const stopWith = async (service: ServiceProcess, signal: NodeJS.Signals, delayMs = 0) => {
  const node = lockHolder(dataDir)
  expect(node).toBeDefined()
  const idle = await idleKeepAliveConnection(port)
  let signalled!: () => void
  const signalSent = new Promise<void>((done) => {
    signalled = done
  })
  const inFlight = slowUpsert(signalSent, 700)
  // Let the request's headers arrive, so it is in flight when the signal comes.
  await sleep(200)
  const sentAt = Date.now()
  service.npm.kill(signal)
  signalled()
  if (delayMs > 0) {
    // SHUTDOWN_DELAY_MS: still serving, and a new connection's probe sees the 503.
    await sleep(delayMs / 3)
    const probe = await send(port, { path: "/readyz" })
    expect(probe.status).toBe(503)
    expect(JSON.parse(probe.body)).toMatchObject({ error: { code: 503, message: "temporarily unavailable" } })
  }

  const answer = await inFlight
  expect([200, 201], answer.body).toContain(answer.status)
  expect(answer.headers["connection"]).toBe("close")
  expect(JSON.parse(answer.body)).toMatchObject({ name: "Slow Sender", phone: "+6591234567" })

  const exit = await Promise.race([service.exited, sleep(5000).then(() => "still running" as const)])
  expect(exit, service.output()).toEqual({ code: 0, signal: null })
  expect(Date.now() - sentAt).toBeLessThan(5000)
  await idle.closed
  expect(await canConnect(port)).toBe(false)
  expect(existsSync(lockPath(dataDir))).toBe(false)
  expect(existsSync(`/proc/${node}`)).toBe(false)
  expect(service.output()).toContain("stopping: draining requests in flight")
}

describe("npm start, from start to stop", () => {
  it("prints the demo key before the port opens, then reports ready", async () => {
    const service = start()
    const atOpen = await service.outputWhenPortOpened
    const key = /demo api key: (posk_\S+)/.exec(atOpen)?.[1]
    expect(key, atOpen).toBeDefined()
    demoKey = key!
    await waitUntilReady(service)
    expect((await send(port, { path: "/healthz" })).status).toBe(200)
    // HOST chose the address: loopback only.
    expect(service.output()).toContain(`Listening on http://127.0.0.1:${port}`)
  }, 90_000)

  it("answers a request without a Host header with the envelope and a request id", async () => {
    const whoami = await rawExchange(port, "GET /api/v1/auth/whoami HTTP/1.1\r\nConnection: close\r\n\r\n")
    expect(whoami).toMatch(/^HTTP\/1\.1 401 /)
    expect(whoami).toMatch(/\r\nx-request-id: \S+\r\n/i)
    expect(whoami.slice(whoami.indexOf("\r\n\r\n") + 4)).toBe(
      '{"error":{"code":401,"message":"invalid api key","details":"the provided X-Api-Key is invalid or expired"}}'
    )
    const health = await rawExchange(port, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
    expect(health).toMatch(/^HTTP\/1\.1 200 /)
    expect(health).toMatch(/\r\nx-request-id: \S+\r\n/i)
  })

  it("SIGTERM to npm: finishes the request in flight, closes the port, releases the lock", async () => {
    await stopWith(current!, "SIGTERM")
  })

  it("restarts on the same data directory, without a second demo key", async () => {
    const restarted = start({ SHUTDOWN_DELAY_MS: "900" })
    await waitUntilReady(restarted)
    expect(restarted.output()).not.toContain("demo api key")
  }, 90_000)

  it("SIGINT to npm stops the restarted service the same way, after /readyz answered 503 for SHUTDOWN_DELAY_MS", async () => {
    await stopWith(current!, "SIGINT", 900)
  })
})
