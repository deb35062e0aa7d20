import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { type HttpLoyaltyOptions, makeHttpLoyalty } from "../../adapters/loyalty/http-loyalty.ts"
import { type CircuitBreakerSettings, makeCircuitBreaker } from "../../application/loyalty/circuit-breaker.ts"
import type { Loyalty } from "../../application/ports/loyalty.ts"
import { InsufficientPoints, NotFound } from "../../domain/errors.ts"
import { type Fault, loyaltySimulator } from "../support/loyalty-simulator.ts"

const secret = "tenant-loyalty-secret"
const createdAt = new Date("2026-03-16T15:05:33.000Z")

/** Fixed answers: enough to see each field cross the wire and each backend error come back. */
const backend: Loyalty = {
  member: (customerId) =>
    customerId === "nobody"
      ? Effect.fail(new NotFound({ resource: "customer", id: customerId }))
      : Effect.succeed({ customerId, points: 120, tier: "silver" }),
  transactions: () =>
    Effect.succeed([
      { transactionId: "tx_2", type: "REDEEM", points: 50, amount: null, refCode: "r-1", createdAt },
      { transactionId: "tx_1", type: "EARN", points: 12, amount: 1250, refCode: "o-1", createdAt }
    ]),
  rewards: Effect.succeed([{ rewardId: "rw_coffee", name: "Coffee", points: 50 }]),
  earn: (r) => Effect.succeed({ transactionId: `tx_${r.refCode}`, points: 12, balance: 132 }),
  redeem: (r) =>
    r.points !== undefined && r.points > 120
      ? Effect.fail(new InsufficientPoints({ balance: 120, required: r.points }))
      : Effect.succeed({ transactionId: `tx_${r.refCode}`, points: 50, balance: 70 })
}

const setup = (
  options: Partial<HttpLoyaltyOptions> & { readonly breakerSettings?: Partial<CircuitBreakerSettings> } = {}
) =>
  Effect.gen(function* () {
    const sim = yield* loyaltySimulator({ backend, credential: secret, prefix: "/loyalty" })
    const breaker = makeCircuitBreaker({ resetMs: 300, ...options.breakerSettings })
    const loyalty = yield* makeHttpLoyalty({
      baseUrl: `${sim.url}/`,
      credential: Redacted.make(secret),
      timeoutMs: 1_000,
      breaker,
      retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
      ...options
    }).pipe(Effect.provide(FetchHttpClient.layer))
    return { sim, loyalty, breaker }
  })

const earn = { customerId: "cus_1", amount: 1250, currency: "SGD", orderId: null, refCode: "o-1" }

/** The error, checked to carry neither the credential nor anything that could. */
const failureOf = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.map(Effect.flip(effect), (error) => {
    expect(JSON.stringify(error)).not.toContain(secret)
    expect(String(error)).not.toContain(secret)
    return error
  })

describe("http loyalty: the contract", () => {
  it.live("reads and posts over the wire with the tenant's credential and the refCode as Idempotency-Key", () =>
    Effect.gen(function* () {
      const { sim, loyalty } = yield* setup()
      expect(yield* loyalty.member("cus/1 x")).toEqual({ customerId: "cus/1 x", points: 120, tier: "silver" })
      expect(yield* loyalty.transactions("cus_1")).toEqual([
        { transactionId: "tx_2", type: "REDEEM", points: 50, amount: null, refCode: "r-1", createdAt },
        { transactionId: "tx_1", type: "EARN", points: 12, amount: 1250, refCode: "o-1", createdAt }
      ])
      expect(yield* loyalty.rewards).toEqual([{ rewardId: "rw_coffee", name: "Coffee", points: 50 }])
      expect(yield* loyalty.earn(earn)).toEqual({ transactionId: "tx_o-1", points: 12, balance: 132 })
      yield* loyalty.earn({ ...earn, orderId: "ord_7", refCode: "o-2" })
      yield* loyalty.redeem({ customerId: "cus_1", rewardId: "rw_coffee", refCode: "r-1" })
      yield* loyalty.redeem({ customerId: "cus_1", points: 50, refCode: "r-2" })
      expect(sim.calls.map((c) => [c.method, c.path, c.idempotencyKey, c.body])).toEqual([
        ["GET", "/loyalty/v1/members/cus%2F1%20x", undefined, undefined],
        ["GET", "/loyalty/v1/members/cus_1/transactions", undefined, undefined],
        ["GET", "/loyalty/v1/rewards", undefined, undefined],
        ["POST", "/loyalty/v1/points/earn", "o-1", { customerId: "cus_1", amount: 1250, currency: "SGD" }],
        [
          "POST",
          "/loyalty/v1/points/earn",
          "o-2",
          { customerId: "cus_1", amount: 1250, currency: "SGD", orderId: "ord_7" }
        ],
        ["POST", "/loyalty/v1/points/redeem", "r-1", { customerId: "cus_1", rewardId: "rw_coffee" }],
        ["POST", "/loyalty/v1/points/redeem", "r-2", { customerId: "cus_1", points: 50 }]
      ])
      expect(new Set(sim.calls.map((c) => c.authorization))).toEqual(new Set([`Bearer ${secret}`]))
    })
  )

  it.live("passes 400/404/409 through with the upstream's message, or a generic one", () =>
    Effect.gen(function* () {
      const { sim, loyalty } = yield* setup()
      expect(yield* failureOf(loyalty.member("nobody"))).toMatchObject({
        _tag: "Rejected",
        status: 404,
        message: "customer not found",
        details: "no customer with id 'nobody'"
      })
      expect(yield* failureOf(loyalty.redeem({ customerId: "cus_1", points: 500, refCode: "r-9" }))).toMatchObject({
        _tag: "Rejected",
        status: 409,
        message: "insufficient points"
      })
      sim.setFault({ _tag: "Raw", status: 400, body: "bad" })
      expect(yield* failureOf(loyalty.rewards)).toMatchObject({
        _tag: "Rejected",
        status: 400,
        message: "invalid request",
        details: "the loyalty-service answered 400"
      })
      sim.setFault({
        _tag: "Raw",
        status: 409,
        body: '{"error":{"code":409,"message":"refcode conflict","details":"x"}}'
      })
      expect(yield* failureOf(loyalty.earn(earn))).toMatchObject({
        status: 409,
        message: "refcode conflict",
        details: "x"
      })
      expect(sim.calls).toHaveLength(4) // never retried
    })
  )
})

const faults: ReadonlyArray<readonly [string, Fault, number, RegExp]> = [
  ["a 500", { _tag: "Status", status: 500 }, 3, /answered 500/],
  ["a 503", { _tag: "Status", status: 503 }, 3, /answered 503/],
  ["a reset connection", { _tag: "Reset" }, 3, /could not reach/],
  ["a 200 that is not JSON", { _tag: "Garbage" }, 3, /unreadable/],
  ["a 200 of the wrong shape", { _tag: "Raw", status: 200, body: '{"customerId":7}' }, 3, /unreadable/],
  ["a 401", { _tag: "Unauthorized" }, 1, /refused the tenant's credential \(401\)/],
  ["a 403", { _tag: "Raw", status: 403, body: "{}" }, 1, /refused the tenant's credential \(403\)/],
  ["an unexpected 418", { _tag: "Raw", status: 418, body: "{}" }, 1, /unexpected 418/]
]

describe("http loyalty: faults", () => {
  for (const [name, fault, attempts, reason] of faults) {
    it.live(`${name} is an UpstreamFailure after ${attempts} attempt(s) of a GET, one of a POST`, () =>
      Effect.gen(function* () {
        const { sim, loyalty } = yield* setup()
        sim.setFault(fault)
        const error = yield* failureOf(loyalty.member("cus_1"))
        expect(error).toMatchObject({
          _tag: "UpstreamFailure",
          upstream: "loyalty-service",
          reason: expect.stringMatching(reason)
        })
        expect(sim.calls).toHaveLength(attempts)
        sim.clearCalls()
        expect(yield* failureOf(loyalty.earn(earn))).toMatchObject({ _tag: "UpstreamFailure" })
        expect(sim.calls).toHaveLength(1)
      })
    )
  }

  it.live("a GET that fails once succeeds on the next attempt", () =>
    Effect.gen(function* () {
      const { sim, loyalty } = yield* setup()
      sim.setFault({ _tag: "Reset" }, { calls: 1 })
      expect(yield* loyalty.rewards).toHaveLength(1)
      sim.setFault({ _tag: "Status", status: 503 }, { calls: 2 })
      expect(yield* loyalty.rewards).toHaveLength(1)
      expect(sim.calls).toHaveLength(5)
    })
  )
})
