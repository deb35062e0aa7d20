import { Effect, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeEmbeddedLoyalty } from "../../adapters/loyalty/embedded-loyalty.ts"
import { makeLoyaltyTables, makeMemoryLoyaltyLedger } from "../../adapters/storage/memory/memory-loyalty.ts"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { send } from "../http/support/harness.ts"
import { type Answer, colaOrder, startShopService } from "../orders/fake-pos-process.ts"
import { makeTestApp, type TestApp } from "../support/app.ts"
import { eventually } from "../support/eventually.ts"
import { type Fault, type LoyaltySimulator, startLoyaltySimulator } from "../support/loyalty-simulator.ts"

// Upstreams failing while partners keep calling: the POS down (answering 503, then not answering
// at all) and the loyalty-service failing every way it can (too slow, connections reset, 5xx,
// garbage). Partners are answered at once and only with what the API documents; nothing is lost,
// nothing done twice once the upstream is back.

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** `count` partners, each doing `one(partner, n)` for n = 0, 1, ... until `stop()` says so. */
const partners = (count: number, stop: () => boolean, one: (partner: number, n: number) => Promise<void>) =>
  Promise.all(
    Array.from({ length: count }, async (_, partner) => {
      for (let n = 0; !stop(); n++) await one(partner, n)
    })
  )

describe("the POS down while partners place orders", () => {
  let run: Awaited<ReturnType<typeof startShopService>>

  beforeAll(async () => {
    run = await startShopService({
      POS_CALL_TIMEOUT_MS: "5000",
      ORDER_LEASE_MS: "1000",
      ORDER_RETRY_BASE_MS: "50",
      ORDER_RETRY_MAX_MS: "500",
      ORDER_MAX_ATTEMPTS: "100",
      ORDER_SWEEP_MS: "1000",
      DEMO: "false"
    })
    await run.start()
  }, 120_000)

  afterAll(async () => {
    await run?.cleanup()
  })

  it("takes every order at once, and delivers each once after the POS is back", async () => {
    const placed = new Set<string>()
    const problems: Array<string> = []
    const latencies: Array<number> = []
    let stopping = false
    const traffic = partners(
      6,
      () => stopping,
      async (partner, n) => {
        const refCode = `DOWN-${partner}-${n}`
        const started = performance.now()
        const answer: Answer = await run.call("POST", "/api/v1/orders", colaOrder(run.shop, refCode))
        latencies.push(performance.now() - started)
        if (answer.status === 201) placed.add(refCode)
        else problems.push(`${refCode}: ${answer.status} ${answer.body}`)
      }
    )
    await sleep(500)
    run.pos.gateEvery("unavailable")
    await sleep(1500)
    run.pos.gateEvery("before") // no answer at all: each call runs into POS_CALL_TIMEOUT_MS
    await sleep(2000)
    run.pos.gateEvery("open")
    await sleep(500)
    stopping = true
    await traffic

    expect(problems).toEqual([])
    latencies.sort((a, b) => a - b)
    const p99 = latencies[Math.floor(latencies.length * 0.99)]!
    // Placing never waits for the POS: answered well within the POS call's own deadline.
    expect(p99).toBeLessThan(5000)
    await eventually(
      () => ([...placed].every((refCode) => run.pos.fake.taken.includes(refCode)) ? true : undefined),
      60_000,
      () => `not at the POS: ${[...placed].filter((r) => !run.pos.fake.taken.includes(r)).join(", ")}`
    )
    const takenTwice = run.pos.fake.taken.filter((refCode, i) => run.pos.fake.taken.indexOf(refCode) !== i)
    expect(takenTwice).toEqual([])
    const atPos = new Set(run.pos.fake.taken.filter((refCode) => refCode.startsWith("DOWN-")))
    expect(atPos).toEqual(placed)
    console.info(
      `POS down: ${placed.size} orders placed (p99 ${Math.round(p99)} ms), each taken once by the POS after it came back; ` +
        `${run.pos.fake.duplicates.length} resends filed as duplicates`
    )
  }, 180_000)
})

describe("the loyalty-service failing while partners earn", () => {
  let app: TestApp
  let simulator: LoyaltySimulator
  let key: string
  const tenant = "acme" as TenantId
  const host = "acme.localhost"
  const timeoutMs = 300

  beforeAll(async () => {
    simulator = await startLoyaltySimulator({
      backend: makeEmbeddedLoyalty(makeMemoryLoyaltyLedger(makeLoyaltyTables())),
      credential: "tenant-secret"
    })
    app = await makeTestApp(layerMemoryStorage, {
      settings: {
        loyaltyUrl: simulator.url,
        loyaltyTimeoutMs: timeoutMs,
        loyaltyBreaker: { consecutiveFailures: 5, failureRatio: 0.5, minimumCalls: 20, windowMs: 10_000, resetMs: 200 }
      }
    })
    await app.createTenant({ id: tenant, country: "SG", currency: "SGD", timezone: "Asia/Singapore" })
    await app.runtime.runPromise(
      Effect.flatMap(TenantDirectory, (d) =>
        d.setLoyalty(tenant, { url: null, credential: Redacted.make("tenant-secret") })
      )
    )
    key = (await app.issueKey(tenant, { kind: "partner" })).plaintext
  }, 60_000)

  afterAll(async () => {
    await app?.close()
    await simulator?.stop()
  })

  const post = async (path: string, body: unknown) => {
    const response = await send(app, path, {
      method: "POST",
      host,
      key,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body)
    })
    return { status: response.status, text: await response.text() }
  }

  it("answers only 200 or a 502, 503 or 504 envelope, never a 500, and earns each refCode once", async () => {
    const customers: Array<string> = []
    for (let i = 0; i < 6; i++) {
      const made = await post("/api/v1/customers", { name: `Member ${i}`, phone: `+659003000${i}` })
      expect(made.status, made.text).toBe(201)
      customers.push((JSON.parse(made.text) as { customerId: string }).customerId)
    }
    const earned = new Map<string, number>()
    const statuses = new Map<number, number>()
    const problems: Array<string> = []
    let stopping = false
    const traffic = partners(
      6,
      () => stopping,
      async (partner, n) => {
        const refCode = `EARN-${partner}-${n}`
        // A partner retries a refCode until it is answered 200, as the API asks.
        for (let attempt = 0; attempt < 400; attempt++) {
          const answer = await post("/api/v1/loyalty/earn", { customerId: customers[partner], amount: 1000, refCode })
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
          if (answer.status === 200) {
            earned.set(refCode, partner)
            return
          }
          const error = (JSON.parse(answer.text) as { error?: { code?: number; message?: string } }).error
          const retryable =
            [502, 503, 504].includes(answer.status) ||
            (answer.status === 409 && error?.message === "request in progress")
          if (!retryable || error?.code !== answer.status) {
            problems.push(`${refCode}: ${answer.status} ${answer.text}`)
            return
          }
          await sleep(50)
        }
        problems.push(`${refCode}: never earned`)
      }
    )
    const faults: ReadonlyArray<Fault> = [
      { _tag: "Delay", ms: timeoutMs * 3 },
      { _tag: "Reset" },
      { _tag: "Status", status: 500 },
      { _tag: "Status", status: 503 },
      { _tag: "Garbage" }
    ]
    await sleep(300)
    for (const fault of faults) {
      simulator.setFault(fault)
      await sleep(600)
    }
    simulator.setFault({ _tag: "None" })
    await sleep(1000)
    stopping = true
    await traffic

    expect(problems).toEqual([])
    expect(statuses.get(500)).toBeUndefined()
    // Each refCode earned once upstream: 10 points an earn of 1000, whatever the retries.
    for (const [partner, customerId] of customers.entries()) {
      const mine = [...earned.values()].filter((p) => p === partner).length
      const member = await send(app, `/api/v1/loyalty/members/${customerId}`, { host, key })
      expect(await member.json()).toMatchObject({ points: mine * 10 })
    }
    console.info(
      `loyalty failing: ${earned.size} earns, answers ${[...statuses].map(([s, n]) => `${s}×${n}`).join(" ")}`
    )
  }, 120_000)
})
