import { describe, expect, it } from "@effect/vitest"
import { type Context, Effect, Fiber, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { ClientAbort } from "effect/http/HttpServerError"
import { makeHttpLoyalty, type RetrySettings } from "../../adapters/loyalty/http-loyalty.ts"
import { type CircuitBreakerSettings, makeCircuitBreaker } from "../../application/loyalty/circuit-breaker.ts"
import type { Loyalty, LoyaltyError } from "../../application/ports/loyalty.ts"
import { NotFound } from "../../domain/errors.ts"
import { loyaltySimulator } from "../support/loyalty-simulator.ts"

const secret = "tenant-loyalty-secret"

const backend: Loyalty = {
  member: (customerId) =>
    customerId === "nobody"
      ? Effect.fail(new NotFound({ resource: "customer", id: customerId }))
      : Effect.succeed({ customerId, points: 120, tier: "silver" }),
  transactions: () => Effect.succeed([]),
  rewards: Effect.succeed([{ rewardId: "rw_coffee", name: "Coffee", points: 50 }]),
  earn: (r) => Effect.succeed({ transactionId: `tx_${r.refCode}`, points: 12, balance: 132 }),
  redeem: (r) => Effect.succeed({ transactionId: `tx_${r.refCode}`, points: 50, balance: 70 })
}

const setup = (
  options: { timeoutMs?: number; retry?: RetrySettings; breaker?: Partial<CircuitBreakerSettings> } = {}
) =>
  Effect.gen(function* () {
    const sim = yield* loyaltySimulator({ backend, credential: secret })
    const breaker = makeCircuitBreaker({ resetMs: 300, ...options.breaker })
    const loyalty = yield* makeHttpLoyalty({
      baseUrl: sim.url,
      credential: Redacted.make(secret),
      timeoutMs: options.timeoutMs ?? 1_000,
      breaker,
      retry: options.retry ?? { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 }
    }).pipe(Effect.provide(FetchHttpClient.layer))
    return { sim, loyalty, breaker }
  })

const timed = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const started = Date.now()
    const error = yield* Effect.flip(effect)
    return { error, elapsed: Date.now() - started }
  })

const earn = { customerId: "cus_1", amount: 1250, currency: "SGD", orderId: null, refCode: "o-1" }

describe("http loyalty: one deadline per call", () => {
  it.live("an upstream slower than the timeout is an UpstreamTimeout, in time, and the request is abandoned", () =>
    Effect.gen(function* () {
      const { sim, loyalty } = yield* setup({ timeoutMs: 300 })
      sim.setFault({ _tag: "Delay", ms: 5_000 })
      const calls: ReadonlyArray<Effect.Effect<unknown, LoyaltyError>> = [loyalty.member("cus_1"), loyalty.earn(earn)]
      for (const call of calls) {
        const { error, elapsed } = yield* timed(call)
        expect(error).toEqual(expect.objectContaining({ _tag: "UpstreamTimeout", upstream: "loyalty-service" }))
        expect(elapsed).toBeLessThan(300 + 250)
      }
      // The aborted fetch closed its connection: nothing is left waiting on the simulator.
      yield* Effect.sleep(100)
      expect(sim.inFlight()).toBe(0)
      expect(sim.calls).toHaveLength(2)
    })
  )

  it.live("retries and their backoff stay inside the same deadline", () =>
    Effect.gen(function* () {
      const { sim, loyalty } = yield* setup({
        timeoutMs: 300,
        retry: { attempts: 3, baseDelayMs: 250, maxDelayMs: 250 }
      })
      sim.setFault({ _tag: "Status", status: 503 })
      const { error, elapsed } = yield* timed(loyalty.rewards)
      expect(["UpstreamFailure", "UpstreamTimeout"]).toContain(error._tag)
      expect(elapsed).toBeLessThan(300 + 250)
      expect(sim.calls.length).toBeLessThanOrEqual(3)
    })
  )
})

describe("http loyalty: the circuit breaker", () => {
  const failFiveTimes = (loyalty: Loyalty) =>
    Effect.forEach([1, 2, 3, 4, 5], () => Effect.flip(loyalty.earn(earn)), { discard: true })

  it.live("opens after 5 consecutive failures, then answers UpstreamUnavailable with no upstream call", () =>
    Effect.gen(function* () {
      const { sim, loyalty, breaker } = yield* setup({ breaker: { resetMs: 30_000 } })
      sim.setFault({ _tag: "Status", status: 500 })
      yield* failFiveTimes(loyalty)
      expect(sim.calls).toHaveLength(5)
      expect(breaker.state(Date.now())).toBe("open")
      sim.clearCalls()
      const calls: ReadonlyArray<Effect.Effect<unknown, LoyaltyError>> = [
        loyalty.member("cus_1"),
        loyalty.rewards,
        loyalty.earn(earn)
      ]
      for (const call of calls) {
        expect(yield* Effect.flip(call)).toMatchObject({
          _tag: "UpstreamUnavailable",
          upstream: "loyalty-service",
          retryAfterSeconds: 30
        })
      }
      expect(sim.calls).toHaveLength(0)
    })
  )

  it.live("a GET's retries count one failure each and are cut short once it opens", () =>
    Effect.gen(function* () {
      const { sim, loyalty } = yield* setup()
      sim.setFault({ _tag: "Reset" })
      expect(yield* Effect.flip(loyalty.rewards)).toMatchObject({ _tag: "UpstreamFailure" })
      expect(yield* Effect.flip(loyalty.rewards)).toMatchObject({ _tag: "UpstreamUnavailable", retryAfterSeconds: 1 })
      expect(sim.calls).toHaveLength(5)
    })
  )

  it.live("recovers after the reset period: one trial, whose success closes it", () =>
    Effect.gen(function* () {
      const { sim, loyalty, breaker } = yield* setup()
      sim.setFault({ _tag: "Garbage" })
      yield* failFiveTimes(loyalty)
      sim.setFault({ _tag: "None" })
      yield* Effect.sleep(350)
      expect(breaker.state(Date.now())).toBe("half-open")
      expect(yield* loyalty.member("cus_1")).toMatchObject({ points: 120 })
      expect(breaker.state(Date.now())).toBe("closed")
      expect(yield* loyalty.rewards).toHaveLength(1)
    })
  )

  it.live("a failed trial opens it again for another reset period", () =>
    Effect.gen(function* () {
      const { sim, loyalty, breaker } = yield* setup()
      sim.setFault({ _tag: "Status", status: 503 })
      yield* failFiveTimes(loyalty)
      yield* Effect.sleep(350)
      sim.clearCalls()
      expect(yield* Effect.flip(loyalty.rewards)).toMatchObject({ _tag: "UpstreamUnavailable" })
      expect(sim.calls).toHaveLength(1) // the trial, not retried past the re-opened breaker
      expect(breaker.state(Date.now())).toBe("open")
    })
  )

  it.live("a caller that hangs up (the HTTP server's client abort) is not an upstream failure", () =>
    Effect.gen(function* () {
      const { sim, loyalty, breaker } = yield* setup({ timeoutMs: 1_000, breaker: { consecutiveFailures: 2 } })
      sim.setFault({ _tag: "Delay", ms: 1_000 })
      const hangUp = (abort: Context.Context<never> | undefined) =>
        Effect.gen(function* () {
          const fiber = yield* Effect.forkChild(loyalty.earn(earn))
          yield* Effect.sleep(50)
          fiber.interruptUnsafe(undefined, abort)
          yield* Fiber.await(fiber)
        })
      for (let i = 0; i < 5; i++) yield* hangUp(ClientAbort.annotation)
      expect(breaker.state(Date.now())).toBe("closed")
      // The same calls cut by anything else (here a plain interruption, as the deadline's) do count.
      yield* hangUp(undefined)
      yield* hangUp(undefined)
      expect(breaker.state(Date.now())).toBe("open")
    })
  )

  it.live("timeouts count as failures; 4xx answers, 401 included, do not", () =>
    Effect.gen(function* () {
      const { sim, loyalty, breaker } = yield* setup({ timeoutMs: 100, breaker: { consecutiveFailures: 2 } })
      sim.setFault({ _tag: "Unauthorized" })
      yield* failFiveTimes(loyalty)
      sim.setFault({ _tag: "None" })
      yield* Effect.forEach([1, 2, 3], () => Effect.flip(loyalty.member("nobody")))
      expect(breaker.state(Date.now())).toBe("closed")
      sim.setFault({ _tag: "Delay", ms: 1_000 })
      yield* Effect.flip(loyalty.earn(earn))
      yield* Effect.flip(loyalty.earn(earn))
      expect(breaker.state(Date.now())).toBe("open")
    })
  )
})
