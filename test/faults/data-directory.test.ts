import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  callService,
  colaOrder,
  type GatedPos,
  getOrder,
  pgliteStorage,
  prepareShop,
  type ServiceStorage,
  type Shop,
  startGatedPos
} from "../orders/fake-pos-process.ts"
import {
  forceStop,
  freePort,
  lockHolder,
  type ServiceProcess,
  startService,
  waitUntilReady
} from "../process/service-process.ts"
import { eventually } from "../support/eventually.ts"

// The embedded data directory failing under the service: not writable, full (from the start, or
// filling up while it runs), or locked by another service that runs or was just killed. As root
// (CI) neither permissions nor a full disk can be arranged, so the failures are injected into the
// process's file system layer (fs-faults.ts, loaded with NODE_OPTIONS), where the lock, the key
// file and PGlite's own files are all written. Expected: a clear one-line error or a clean
// takeover, and never a corrupt directory: once the fault is gone the service starts and every
// row is there.

const faults = resolve(import.meta.dirname, "fs-faults.ts")
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** `npm start` on `dataDir`, its file system failing as `mode` says (SIGUSR2 rereads `control`). */
const startOn = (
  dataDir: string,
  port: number,
  mode: "none" | "unwritable" | "full",
  extra: Record<string, string> = {},
  control?: string
) =>
  startService({
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: "127.0.0.1",
    DEMO: "false",
    NODE_OPTIONS: `--import ${faults}`,
    FS_FAULT_DIR: dataDir,
    FS_FAULT: mode,
    ...(control === undefined ? {} : { FS_FAULT_CONTROL: control }),
    ...extra
  })

/** The one line a failed start prints: `error: ...`, no stack trace. */
const expectCleanFailure = async (service: ServiceProcess, words: RegExp) => {
  const exit = await Promise.race([service.exited, sleep(60_000).then(() => "still running" as const)])
  expect(exit, service.output()).not.toBe("still running")
  expect(exit).toMatchObject({ code: 1 })
  const output = service.output()
  expect(output).toMatch(words)
  expect(output, output).not.toMatch(/^\s+at /m)
}

describe("a data directory that cannot be written, from the start", () => {
  const dirs: Array<string> = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  for (const [mode, words] of [
    ["unwritable", /^error: .*permission denied/m],
    ["full", /^error: .*no space left on device/m]
  ] as const) {
    it(`${mode}: the service stops with one clear line and leaves nothing half made; freed, it starts`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), `pos-fault-${mode}-`))
      dirs.push(dataDir)
      const port = await freePort()
      await expectCleanFailure(startOn(dataDir, port, mode), words)
      // No half-initialised cluster, no stale lock: only what is whole, if anything.
      expect(readdirSync(dataDir).filter((name) => name === "pglite" || name.endsWith(".lock"))).toEqual([])
      const fine = startOn(dataDir, port, "none")
      try {
        await waitUntilReady(fine)
      } finally {
        await forceStop(fine)
      }
    }, 120_000)
  }
})

describe("a data directory with data, failing and locked", () => {
  let storage: ServiceStorage
  let pos: GatedPos
  let shop: Shop
  let port: number
  let control: string
  const started: Array<ServiceProcess> = []
  const start = (mode: "none" | "unwritable" | "full") => {
    const service = startOn(storage.env.DATA_DIR, port, mode, storage.env, control)
    started.push(service)
    return service
  }
  const place = (refCode: string) => callService(port, shop, "POST", "/api/v1/orders", colaOrder(shop, refCode))

  beforeAll(async () => {
    storage = await pgliteStorage()
    pos = await startGatedPos()
    shop = await prepareShop(storage, pos.credentials)
    port = await freePort()
    control = join(mkdtempSync(join(tmpdir(), "pos-fault-control-")), "mode")
    writeFileSync(control, "none")
  }, 120_000)

  afterAll(async () => {
    for (const service of started) await forceStop(service)
    await pos?.close()
    await storage?.cleanup()
  })

  it("full at start: a clear line, or a start; freed, every row is there", async () => {
    const first = start("none")
    await waitUntilReady(first)
    expect((await place("FS-BEFORE")).status).toBe(201)
    first.npm.kill("SIGTERM")
    expect(await first.exited).toEqual({ code: 0, signal: null })

    const full = start("full")
    const outcome = await Promise.race([
      full.exited.then(() => "exited" as const),
      waitUntilReady(full).then(() => "ready" as const)
    ]).catch(() => "exited" as const)
    if (outcome === "exited") await expectCleanFailure(full, /^error: .*no space left on device/m)
    else await forceStop(full)

    const freed = start("none")
    await waitUntilReady(freed)
    const again = await place("FS-BEFORE")
    expect(again.status, again.body).toBe(201)
  }, 120_000)

  it("filling up while it runs: writes answer 503; a broken commit stops the service with one line; freed, nothing is lost", async () => {
    const service = started.at(-1)!
    // The node process (the lock names it; npm does not pass SIGUSR2 on).
    const node = lockHolder(storage.env.DATA_DIR)!
    // The earlier order delivered first, so the disk fills under a partner's request, not the dispatcher's.
    await eventually(
      () => (pos.fake.taken.includes("FS-BEFORE") ? true : undefined),
      30_000,
      () => "FS-BEFORE never reached the POS"
    )
    writeFileSync(control, "full")
    process.kill(node, "SIGUSR2")
    await sleep(200)
    const answers: Array<number> = []
    for (let i = 0; i < 5 && service.npm.exitCode === null; i++) {
      const answer = await place("FS-FULL").catch(() => undefined)
      if (answer === undefined) break // the service went away mid-request
      answers.push(answer.status)
      if (answer.status !== 503) expect(answer.status, answer.body).toBe(201)
      else expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 503 } })
      if (answer.status === 201) break
      await sleep(100)
    }
    await Promise.race([service.exited, sleep(3000)])
    const stopped = service.npm.exitCode !== null || service.npm.signalCode !== null
    console.info(
      `data directory full while running: orders answered ${answers.join(", ") || "nothing"}; the service ${
        stopped
          ? `stopped: ${service
              .output()
              .split("\n")
              .find((line) => line.startsWith("error:"))}`
          : "kept running"
      }`
    )
    if (stopped) {
      expect(await service.exited).toEqual({ code: 1, signal: null })
      expect(service.output()).toMatch(/^error: the embedded database stopped after: .*; the service exits/m)
      expect(service.output()).not.toMatch(/^\s+at /m)
    }
    writeFileSync(control, "none")
    if (!stopped) process.kill(node, "SIGUSR2")
    else await waitUntilReady(start("none"))
    // Freed (and restarted after a stop): the order goes through once, the earlier one is there.
    const placed = await place("FS-FULL")
    expect([200, 201], placed.body).toContain(placed.status)
    const listed = await callService(port, shop, "GET", "/api/v1/orders?limit=50")
    const refCodes = (JSON.parse(listed.body) as { data: Array<{ refCode: string }> }).data.map((o) => o.refCode)
    expect(refCodes.sort()).toEqual(["FS-BEFORE", "FS-FULL"])
  }, 120_000)

  it("locked by a running service: a second one stops naming it; killed, the next takes over at once", async () => {
    const running = started.findLast((s) => s.npm.exitCode === null)!
    const holder = lockHolder(storage.env.DATA_DIR)
    expect(holder).toBeDefined()
    const second = startOn(storage.env.DATA_DIR, await freePort(), "none", storage.env)
    started.push(second)
    await expectCleanFailure(second, new RegExp(`in use by process ${holder}`))
    expect((await callService(port, shop, "GET", `/api/v1/outlets/${shop.outletId}`)).status).toBe(200)

    await forceStop(running)
    const next = start("none")
    await waitUntilReady(next)
    expect(lockHolder(storage.env.DATA_DIR)).not.toBe(holder)
    const listed = await callService(port, shop, "GET", "/api/v1/orders?limit=50")
    const orders = (JSON.parse(listed.body) as { data: Array<{ orderId: string; refCode: string }> }).data
    expect(orders.map((o) => o.refCode).sort()).toEqual(["FS-BEFORE", "FS-FULL"])
    for (const order of orders) expect((await getOrder(port, shop, order.orderId)).refCode).toBe(order.refCode)
  }, 120_000)
})
