import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { forceStop, freePort, type ServiceProcess, startService, waitUntilReady } from "../process/service-process.ts"
import {
  closeConnections,
  eventually,
  type GatedPos,
  getOrder,
  type OrderView,
  onEveryRun,
  placeOrder,
  prepareShop,
  processStorages,
  type ServiceStorage,
  type Shop,
  startGatedPos
} from "./fake-pos-process.ts"

// Exactly-once delivery of an order when the service dies while delivering it: the service is
// `npm start` in a child process, killed with SIGKILL (no shutdown, no finalizer) at a chosen
// moment, and started again on the same data. The fake POS lives in this process, behind a gate
// that holds an order's request at that moment:
// - "before": the order's commit and the dispatcher's claim are done and the order request is on
//   its way, but the gate keeps it from the POS: the POS has not seen the order when the service dies;
// - "after": the POS has taken the order and the gate keeps its answer from the service, which
//   therefore dies before it can mark the order SUBMITTED.
// A third order rides along in the first kill: its POS answers 503, so the service is retrying it
// with backoff (the retry's state in the database) when it dies.
// After the restart, the dead process's lease runs out, the new process claims the row again, and
// the POS must hold each order once: a resend of an order the POS took carries the same
// channelOrderId, which Deliverect files as a duplicate of the first.
//
// Each case runs on every storage at once (the embedded PGlite data directory, and PostgreSQL when
// DATABASE_URL is set), each storage with its own service process and POS: most of a case is
// waiting for a process to start and for a lease to run out.

const settings = {
  // The lease is at least the call's deadline plus 5 s (order-dispatch.ts): 7 s here. The call's
  // deadline is long enough that the dead process never gave up on a held call before the kill
  // (the attempts recorded show it: none before the restart).
  ORDER_LEASE_MS: "1000",
  POS_CALL_TIMEOUT_MS: "2000",
  ORDER_RETRY_BASE_MS: "10",
  ORDER_RETRY_MAX_MS: "200",
  ORDER_MAX_ATTEMPTS: "100",
  ORDER_SWEEP_MS: "1000",
  DEMO: "false",
  SHUTDOWN_GRACE_MS: "2000"
}
const leaseMs = 7000

const storages = processStorages()

/** One storage's service process, its POS, and the tenant on it. */
interface Run {
  readonly name: string
  readonly port: number
  readonly data: ServiceStorage
  readonly pos: GatedPos
  readonly shop: Shop
  current: ServiceProcess | undefined
  /** Every refCode placed, so that the last check covers everything the POS holds. */
  readonly placed: Array<string>
}

const start = async (run: Run) => {
  run.current = startService({ PORT: String(run.port), HOST: "127.0.0.1", ...settings, ...run.data.env })
  await waitUntilReady(run.current)
}

/** SIGKILL to node (the service itself) and to npm; answers when it happened. */
const kill = async (run: Run) => {
  const service = run.current!
  const at = Date.now()
  await forceStop(service)
  expect(service.npm.signalCode).toBe("SIGKILL")
  return at
}

const place = async (run: Run, refCode: string) => {
  run.placed.push(refCode)
  const order = await placeOrder(run.port, run.shop, refCode)
  expect(order.status).toBe("RECEIVED")
  return order
}

/** The order once it has left RECEIVED. */
const settled = (run: Run, orderId: string) =>
  eventually<OrderView>(
    async () => {
      const order = await getOrder(run.port, run.shop, orderId)
      return order.status === "RECEIVED" ? undefined : order
    },
    30_000,
    () => `order ${orderId} is still RECEIVED (${run.name})\n${run.current?.output().slice(-4000)}`
  )

/** SUBMITTED by the restarted process, and taken by the POS once (a resend it filed as a duplicate). */
const submittedOnce = (run: Run, order: OrderView, killedAt: number) => {
  expect(order.status).toBe("SUBMITTED")
  expect(order.timeline.map((entry) => entry.status)).toEqual(["RECEIVED", "SUBMITTED"])
  expect(Date.parse(order.timeline[1]!.at)).toBeGreaterThan(killedAt)
  expect(run.pos.fake.taken.filter((ref) => ref === order.refCode)).toEqual([order.refCode])
}

const killedBeforeThePos = async (run: Run) => {
  const gate = run.pos
  gate.gate("CRASH-BEFORE-POS", "before")
  gate.gate("CRASH-RETRYING", "unavailable")
  // The retried order first: a tenant's next claim waits for every call of the one before, so a
  // held call would keep its retries back (by POS_CALL_TIMEOUT_MS).
  const retrying = await place(run, "CRASH-RETRYING")
  await gate.waitUntilHeld("CRASH-RETRYING", 3)
  const before = await place(run, "CRASH-BEFORE-POS")
  // Its claim has committed and its request has left the service.
  await gate.waitUntilHeld("CRASH-BEFORE-POS", 1)
  const killedAt = await kill(run)
  expect(gate.reachedPos("CRASH-BEFORE-POS")).toBe(0)
  expect(gate.reachedPos("CRASH-RETRYING")).toBe(0)
  const failedTries = gate.held("CRASH-RETRYING")

  gate.gate("CRASH-BEFORE-POS", "open")
  gate.gate("CRASH-RETRYING", "open")
  await start(run)

  const first = await settled(run, before.orderId)
  submittedOnce(run, first, killedAt)
  expect(gate.fake.duplicates).not.toContain("CRASH-BEFORE-POS")
  // The dead process's try recorded nothing (it never finished); the restarted one's claim is the
  // second, and it came only once the dead process's lease had run out.
  expect(first.deliveries.map((d) => [d.kind, d.attempt, d.outcome])).toEqual([["submit", 2, "delivered"]])
  expect(Date.parse(first.deliveries[0]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(before.createdAt) + leaseMs)

  const second = await settled(run, retrying.orderId)
  submittedOnce(run, second, killedAt)
  expect(gate.fake.duplicates).not.toContain("CRASH-RETRYING")
  // The tries before the kill as recorded (the one in flight at the kill, if any, is not), then the
  // delivery; attempts are numbered by claim, so none twice.
  const outcomes = second.deliveries.map((d) => d.outcome)
  expect(outcomes.at(-1)).toBe("delivered")
  expect(new Set(outcomes.slice(0, -1))).toEqual(new Set(["unavailable"]))
  expect(outcomes.length - 1).toBeGreaterThanOrEqual(failedTries - 1)
  expect(outcomes.length - 1).toBeLessThanOrEqual(failedTries)
  const numbers = second.deliveries.map((d) => d.attempt)
  expect(numbers).toEqual([...numbers].sort((a, b) => a - b))
  expect(new Set(numbers).size).toBe(numbers.length)
}

const killedAfterThePos = async (run: Run) => {
  const gate = run.pos
  gate.gate("CRASH-AFTER-POS", "after")
  const after = await place(run, "CRASH-AFTER-POS")
  await gate.waitUntilHeld("CRASH-AFTER-POS", 1)
  const killedAt = await kill(run)
  expect(gate.fake.taken).toContain("CRASH-AFTER-POS")
  expect(gate.reachedPos("CRASH-AFTER-POS")).toBe(1)

  gate.gate("CRASH-AFTER-POS", "open")
  await start(run)
  const order = await settled(run, after.orderId)
  submittedOnce(run, order, killedAt)
  // The restarted process sent it again; the POS recognised the channelOrderId.
  expect(gate.reachedPos("CRASH-AFTER-POS")).toBe(2)
  expect(gate.fake.duplicates.filter((ref) => ref === "CRASH-AFTER-POS")).toEqual(["CRASH-AFTER-POS"])
  // Nothing was recorded before the kill: the only attempt is the restarted process's.
  expect(order.deliveries.map((d) => [d.kind, d.attempt, d.outcome])).toEqual([["submit", 2, "delivered"]])
  expect(Date.parse(order.deliveries[0]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(after.createdAt) + leaseMs)
}

describe("an order delivered exactly once across a SIGKILL of the service, restarted on the same data", () => {
  const runs: Array<Run> = []
  const available = storages.filter((storage) => storage.available)

  /** The case on every storage at once, each to its end; a failure names its storage. */
  const onEveryStorage = (scenario: (run: Run) => Promise<void>) => onEveryRun(runs, scenario)

  /** What the set-up made, released afterwards even if the set-up failed half-way. */
  const made: Array<() => Promise<void>> = []

  beforeAll(async () => {
    await Promise.all(
      available.map(async (storage) => {
        const data = await storage.make()
        made.push(data.cleanup)
        const pos = await startGatedPos()
        made.push(pos.close)
        const run: Run = {
          name: storage.name,
          port: await freePort(),
          data,
          pos,
          shop: await prepareShop(data, pos.credentials),
          current: undefined,
          placed: []
        }
        made.push(() => forceStop(run.current))
        await start(run)
        runs.push(run)
      })
    )
  }, 120_000)

  afterAll(async () => {
    // The service processes first, then their POS and storage.
    for (const release of made.reverse()) await release()
    closeConnections()
  })

  for (const storage of storages) {
    if (!storage.available) it.skip(`on ${storage.name} (SKIPPED: DATABASE_URL is not set)`, () => {})
  }

  it(
    `killed after the commit and before the POS has the order (and while retrying a POS that answers 503): each delivered once after the restart (${available.map((s) => s.name).join(", ")})`,
    () => onEveryStorage(killedBeforeThePos),
    90_000
  )

  it(
    `killed after the POS took the order and before it is marked SUBMITTED: resent after the restart, the POS holds it once (${available.map((s) => s.name).join(", ")})`,
    () => onEveryStorage(killedAfterThePos),
    90_000
  )

  it("the POS holds every order placed, each once", () =>
    onEveryStorage(async (run) => {
      expect(run.placed.length).toBe(3)
      expect([...run.pos.ordersAtPos()].sort()).toEqual([...run.placed].sort())
      expect([...run.pos.fake.taken].sort()).toEqual([...run.placed].sort())
    }))
})
