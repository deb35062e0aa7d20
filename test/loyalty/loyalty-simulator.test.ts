import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll, beforeAll, beforeEach } from "vitest"
import { makeEmbeddedLoyalty } from "../../adapters/loyalty/embedded-loyalty.ts"
import { makeLoyaltyTables, makeMemoryLoyaltyLedger } from "../../adapters/storage/memory/memory-loyalty.ts"
import type { Loyalty } from "../../application/ports/loyalty.ts"
import { InsufficientPoints, NotFound, Rejected, UpstreamFailure } from "../../domain/errors.ts"
import type { LoyaltyTransaction, PointsResult } from "../../domain/loyalty.ts"
import { type LoyaltySimulator, loyaltySimulator, startLoyaltySimulator } from "../support/loyalty-simulator.ts"

/** A backend with one member and one reward, whose errors cover every branch of the simulator's mapping. */
const fakeLoyalty = (): Loyalty => {
  let balance = 120
  const posted = new Map<string, PointsResult>()
  const history: Array<LoyaltyTransaction> = []
  const post = (type: "EARN" | "REDEEM", points: number, amount: number | null, refCode: string) =>
    Effect.suspend(() => {
      const seen = posted.get(refCode)
      if (seen !== undefined) return Effect.succeed(seen)
      if (type === "REDEEM" && points > balance)
        return Effect.fail(new InsufficientPoints({ balance, required: points }))
      balance += type === "EARN" ? points : -points
      const result = { transactionId: `tx_${posted.size + 1}`, points, balance }
      posted.set(refCode, result)
      history.unshift({ transactionId: result.transactionId, type, points, amount, refCode, createdAt: new Date() })
      return Effect.succeed(result)
    })
  return {
    member: (customerId) =>
      customerId === "nobody"
        ? Effect.fail(new NotFound({ resource: "customer", id: customerId }))
        : Effect.succeed({ customerId, points: balance, tier: "bronze" }),
    transactions: () => Effect.succeed([...history]),
    rewards: Effect.succeed([{ rewardId: "rw_coffee", name: "Coffee", points: 50 }]),
    earn: (r) =>
      r.customerId === "broken"
        ? Effect.fail(new UpstreamFailure({ upstream: "db", reason: "down" }))
        : r.amount < 0
          ? Effect.fail(
              new Rejected({ status: 422, message: "negative amount", details: "amount must not be negative" })
            )
          : post("EARN", Math.floor(r.amount / 100), r.amount, r.refCode),
    redeem: (r) => post("REDEEM", r.rewardId === undefined ? r.points : 50, null, r.refCode)
  }
}

const credential = "loyalty-secret"
const auth = { authorization: `Bearer ${credential}` }
const json = { ...auth, "content-type": "application/json" }

const call = async (sim: LoyaltySimulator, path: string, init: RequestInit = {}) => {
  const response = await fetch(`${sim.url}${path}`, { headers: auth, ...init })
  return { status: response.status, body: await response.text().then((t) => (t.startsWith("<") ? t : JSON.parse(t))) }
}
const post = (sim: LoyaltySimulator, path: string, body: unknown, key?: string) =>
  call(sim, path, {
    method: "POST",
    headers: key === undefined ? json : { ...json, "idempotency-key": key },
    body: JSON.stringify(body)
  })
const envelope = (code: number, message: string) => ({ error: { code, message, details: expect.any(String) } })

describe("loyalty simulator", () => {
  let sim: LoyaltySimulator
  beforeAll(async () => {
    sim = await startLoyaltySimulator({ backend: fakeLoyalty(), credential, prefix: "/loyalty" })
  })
  afterAll(() => sim.stop())
  beforeEach(() => {
    sim.setFault({ _tag: "None" })
    sim.clearCalls()
  })

  it("answers the contract's reads under its prefix, decoding path segments", async () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/loyalty$/)
    expect(await call(sim, "/v1/members/cus_1")).toEqual({
      status: 200,
      body: { customerId: "cus_1", points: 120, tier: "bronze" }
    })
    expect((await call(sim, "/v1/members/cus%2F2%20x")).body).toMatchObject({ customerId: "cus/2 x" })
    expect(await call(sim, "/v1/rewards")).toEqual({
      status: 200,
      body: { data: [{ rewardId: "rw_coffee", name: "Coffee", points: 50 }] }
    })
    expect(await call(sim, "/v1/members/nobody")).toEqual({ status: 404, body: envelope(404, "customer not found") })
    expect(sim.calls.map((c) => c.path)).toEqual([
      "/loyalty/v1/members/cus_1",
      "/loyalty/v1/members/cus%2F2%20x",
      "/loyalty/v1/rewards",
      "/loyalty/v1/members/nobody"
    ])
  })

  it("checks the bearer credential", async () => {
    expect(await call(sim, "/v1/rewards", { headers: {} })).toEqual({
      status: 401,
      body: envelope(401, "invalid api key")
    })
    const wrong = await call(sim, "/v1/rewards", { headers: { authorization: "Bearer other" } })
    expect(wrong.status).toBe(401)
    expect(sim.calls.map((c) => c.authorization)).toEqual([undefined, "Bearer other"])
  })

  it("earns and redeems with the Idempotency-Key as refCode, and maps the backend's errors", async () => {
    const earned = await post(sim, "/v1/points/earn", { customerId: "cus_1", amount: 1250, currency: "SGD" }, "ord-1")
    expect(earned).toEqual({ status: 200, body: { transactionId: expect.any(String), points: 12, balance: 132 } })
    const again = await post(sim, "/v1/points/earn", { customerId: "cus_1", amount: 1250, currency: "SGD" }, "ord-1")
    expect(again.body).toEqual(earned.body)
    expect(await post(sim, "/v1/points/earn", { customerId: "cus_1", amount: 5, currency: "SGD" })).toEqual({
      status: 400,
      body: envelope(400, "invalid request")
    })
    expect((await post(sim, "/v1/points/earn", { customerId: "cus_1" }, "x")).status).toBe(400)
    expect(await post(sim, "/v1/points/redeem", { customerId: "cus_1", points: 1000 }, "r-1")).toEqual({
      status: 409,
      body: envelope(409, "insufficient points")
    })
    expect((await post(sim, "/v1/points/redeem", { customerId: "cus_1", rewardId: "rw_coffee" }, "r-2")).body).toEqual({
      transactionId: expect.any(String),
      points: 50,
      balance: 82
    })
    expect(await post(sim, "/v1/points/earn", { customerId: "cus_1", amount: -1, currency: "SGD" }, "neg")).toEqual({
      status: 422,
      body: { error: { code: 422, message: "negative amount", details: "amount must not be negative" } }
    })
    expect((await post(sim, "/v1/points/earn", { customerId: "broken", amount: 1, currency: "SGD" }, "b")).status).toBe(
      500
    )
    const history = await call(sim, "/v1/members/cus_1/transactions")
    expect(history.body.data.map((t: { refCode: string }) => t.refCode)).toEqual(["r-2", "ord-1"])
    expect(history.body.data[0].createdAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/)
    expect(sim.calls[0]).toMatchObject({
      method: "POST",
      idempotencyKey: "ord-1",
      body: { customerId: "cus_1", amount: 1250, currency: "SGD" }
    })
  })

  it("injects each fault, for the next K calls only when asked", async () => {
    sim.setFault({ _tag: "Status", status: 503 }, { calls: 2 })
    expect(await call(sim, "/v1/rewards")).toEqual({ status: 503, body: envelope(503, "temporarily unavailable") })
    expect((await call(sim, "/v1/rewards")).status).toBe(503)
    expect((await call(sim, "/v1/rewards")).status).toBe(200)
    sim.setFault({ _tag: "Garbage" })
    expect(await call(sim, "/v1/rewards")).toMatchObject({ status: 200, body: expect.stringMatching(/^<html>/) })
    sim.setFault({ _tag: "Unauthorized" })
    expect((await call(sim, "/v1/rewards")).status).toBe(401)
    sim.setFault({ _tag: "Reset" })
    await expect(call(sim, "/v1/rewards")).rejects.toThrow()
    sim.setFault({ _tag: "Delay", ms: 150 }, { calls: 1 })
    const started = Date.now()
    expect((await call(sim, "/v1/rewards")).status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(sim.calls).toHaveLength(7)
    expect(sim.inFlight()).toBe(0)
  })
})

const embedded = (): Loyalty => makeEmbeddedLoyalty(makeMemoryLoyaltyLedger(makeLoyaltyTables()))

describe("loyalty simulator as an Effect resource", () => {
  it.live("is stopped when its scope closes", () =>
    Effect.gen(function* () {
      const url = yield* Effect.scoped(
        Effect.gen(function* () {
          const sim = yield* loyaltySimulator({ backend: fakeLoyalty(), credential })
          const answer = yield* Effect.promise(() => call(sim, "/v1/members/cus_1"))
          expect(answer.status).toBe(200)
          return sim.url
        })
      )
      const after = yield* Effect.promise(() =>
        fetch(`${url}/v1/rewards`, { headers: auth }).then(
          () => "answered",
          () => "refused"
        )
      )
      expect(after).toBe("refused")
    })
  )

  it.live("behaves like the embedded ledger it is given", () =>
    Effect.gen(function* () {
      const sim = yield* loyaltySimulator({ backend: embedded(), credential })
      const earned = yield* Effect.promise(() =>
        post(sim, "/v1/points/earn", { customerId: "cus_9", amount: 1999, currency: "SGD" }, "e-1")
      )
      expect(earned).toEqual({ status: 200, body: { transactionId: expect.any(String), points: 19, balance: 19 } })
      const member = yield* Effect.promise(() => call(sim, "/v1/members/cus_9"))
      expect(member.body).toEqual({ customerId: "cus_9", points: 19, tier: "bronze" })
      const tooMuch = yield* Effect.promise(() =>
        post(sim, "/v1/points/redeem", { customerId: "cus_9", points: 20 }, "r")
      )
      expect(tooMuch).toEqual({ status: 409, body: envelope(409, "insufficient points") })
    })
  )
})
