import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  type Acquire,
  type CircuitBreaker,
  type CircuitBreakerSettings,
  type CircuitState,
  defaultCircuitBreakerSettings,
  makeCircuitBreaker,
  trialInFlightRetryMs
} from "./circuit-breaker.ts"

const allowed = (a: Acquire): number => {
  if (a._tag !== "Allowed") throw new Error(`expected Allowed, got ${JSON.stringify(a)}`)
  return a.epoch
}

const fail = (b: CircuitBreaker, at: number) => b.onFailure(at, allowed(b.tryAcquire(at)))
const succeed = (b: CircuitBreaker, at: number) => b.onSuccess(at, allowed(b.tryAcquire(at)))

describe("circuit breaker", () => {
  it("defaults to SPEC section 11", () => {
    const { consecutiveFailures, failureRatio, minimumCalls, windowMs, resetMs } = defaultCircuitBreakerSettings
    expect([consecutiveFailures, failureRatio, minimumCalls, windowMs, resetMs]).toEqual([5, 0.5, 20, 30_000, 30_000])
  })

  it("opens after 5 consecutive failures and rejects with the time left until half-open", () => {
    const breaker = makeCircuitBreaker()
    for (let i = 0; i < 4; i++) fail(breaker, 1000)
    expect(breaker.state(1000)).toBe("closed")
    fail(breaker, 1000)
    expect(breaker.state(1000)).toBe("open")
    expect(breaker.tryAcquire(11_000)).toEqual({ _tag: "Rejected", retryAfterMs: 20_000 })
  })

  it("a success in between resets the consecutive count", () => {
    const breaker = makeCircuitBreaker()
    for (let i = 0; i < 4; i++) fail(breaker, 0)
    succeed(breaker, 0)
    for (let i = 0; i < 4; i++) fail(breaker, 0)
    expect(breaker.state(0)).toBe("closed")
  })

  it("opens at a 50% failure ratio over at least 20 calls in the window, not before 20 calls", () => {
    const breaker = makeCircuitBreaker()
    for (let i = 0; i < 9; i++) {
      succeed(breaker, i)
      fail(breaker, i)
    }
    succeed(breaker, 10)
    expect(breaker.state(10)).toBe("closed") // 9 failures of 19 calls
    fail(breaker, 11) // 10 of 20
    expect(breaker.state(11)).toBe("open")
  })

  it("forgets calls older than the window", () => {
    const run = (later: number) => {
      const breaker = makeCircuitBreaker()
      for (let i = 0; i < 9; i++) {
        fail(breaker, 0)
        succeed(breaker, 0)
      }
      succeed(breaker, 0)
      fail(breaker, later)
      return breaker.state(later)
    }
    expect(run(29_000)).toBe("open") // 10 failures of 20 calls
    expect(run(30_000)).toBe("closed") // 1 failure of 1 call
  })

  it("half-open lets one trial through; its success closes the breaker with fresh counters", () => {
    const breaker = makeCircuitBreaker({ resetMs: 100 })
    for (let i = 0; i < 5; i++) fail(breaker, 0)
    expect(breaker.state(100)).toBe("half-open")
    const trial = allowed(breaker.tryAcquire(100))
    expect(breaker.tryAcquire(101)).toEqual({ _tag: "Rejected", retryAfterMs: trialInFlightRetryMs })
    breaker.onSuccess(150, trial)
    expect(breaker.state(150)).toBe("closed")
    for (let i = 0; i < 4; i++) fail(breaker, 150)
    expect(breaker.state(150)).toBe("closed")
  })

  it("tells how long it will refuse without taking the half-open trial", () => {
    const breaker = makeCircuitBreaker({ resetMs: 100 })
    expect(breaker.refusingForMs(0)).toBe(0)
    for (let i = 0; i < 5; i++) fail(breaker, 0)
    expect(breaker.refusingForMs(40)).toBe(60)
    expect(breaker.refusingForMs(100)).toBe(0)
    expect(breaker.refusingForMs(100)).toBe(0) // asking twice takes nothing
    const trial = allowed(breaker.tryAcquire(100))
    expect(breaker.refusingForMs(101)).toBe(trialInFlightRetryMs)
    breaker.onSuccess(110, trial)
    expect(breaker.refusingForMs(110)).toBe(0)
  })

  it("a failed trial re-opens it for another reset period", () => {
    const breaker = makeCircuitBreaker({ resetMs: 100 })
    for (let i = 0; i < 5; i++) fail(breaker, 0)
    breaker.onFailure(130, allowed(breaker.tryAcquire(120)))
    expect(breaker.tryAcquire(200)).toEqual({ _tag: "Rejected", retryAfterMs: 30 })
    expect(breaker.state(230)).toBe("half-open")
  })

  it("a late result of a call admitted before the breaker opened does not decide the trial", () => {
    const breaker = makeCircuitBreaker({ resetMs: 100 })
    const slow = allowed(breaker.tryAcquire(0))
    for (let i = 0; i < 5; i++) fail(breaker, 0)
    const trial = allowed(breaker.tryAcquire(100))
    breaker.onSuccess(110, slow)
    expect(breaker.state(110)).toBe("half-open")
    breaker.onFailure(120, trial)
    expect(breaker.state(120)).toBe("open")
  })

  it("calls whose caller left count neither way: any number of them never opens it, nor resets the count", () => {
    const breaker = makeCircuitBreaker()
    for (let i = 0; i < 100; i++) breaker.onAbandoned(0, allowed(breaker.tryAcquire(0)))
    expect(breaker.state(0)).toBe("closed")
    for (let i = 0; i < 4; i++) fail(breaker, 0)
    breaker.onAbandoned(0, allowed(breaker.tryAcquire(0)))
    fail(breaker, 0)
    expect(breaker.state(0)).toBe("open")
  })

  it("an abandoned trial lets the next call be the trial at once", () => {
    const breaker = makeCircuitBreaker({ resetMs: 100 })
    for (let i = 0; i < 5; i++) fail(breaker, 0)
    const trial = allowed(breaker.tryAcquire(100))
    expect(breaker.tryAcquire(105)).toEqual({ _tag: "Rejected", retryAfterMs: trialInFlightRetryMs })
    breaker.onAbandoned(110, trial)
    expect(breaker.state(110)).toBe("half-open")
    const next = allowed(breaker.tryAcquire(110))
    // The abandoned trial's late report no longer decides anything.
    breaker.onFailure(115, trial)
    expect(breaker.state(115)).toBe("half-open")
    breaker.onSuccess(120, next)
    expect(breaker.state(120)).toBe("closed")
  })
})

/** A naive reference: the whole history kept and re-scanned, no queue, no epochs of its own. */
const referenceModel = (s: CircuitBreakerSettings) => {
  let state: { tag: "closed" } | { tag: "open"; until: number } | { tag: "trial" } = { tag: "closed" }
  let period = 0
  const history: Array<{ at: number; failed: boolean }> = []
  const openAt = (now: number) => {
    period++
    state = { tag: "open", until: now + s.resetMs }
  }
  return {
    acquire: (now: number): Acquire => {
      if (state.tag === "closed") return { _tag: "Allowed", epoch: period }
      if (state.tag === "trial") return { _tag: "Rejected", retryAfterMs: trialInFlightRetryMs }
      if (now < state.until) return { _tag: "Rejected", retryAfterMs: state.until - now }
      period++
      state = { tag: "trial" }
      return { _tag: "Allowed", epoch: period }
    },
    report: (now: number, epoch: number, failed: boolean) => {
      if (epoch !== period) return
      if (state.tag === "trial") {
        if (failed) return openAt(now)
        period++
        state = { tag: "closed" }
        return
      }
      if (state.tag !== "closed") return
      history.push({ at: now, failed })
      if (!failed) return
      let run = 0
      for (let i = history.length - 1; i >= 0 && history[i]!.failed; i--) run++
      const window = history.filter((h) => h.at > now - s.windowMs)
      const ratio = window.filter((h) => h.failed).length / window.length
      if (run >= s.consecutiveFailures || (window.length >= s.minimumCalls && ratio >= s.failureRatio)) {
        openAt(now)
        history.length = 0 // counters restart after the breaker closes again
      }
    },
    /** The caller left: nothing recorded; a trial left so makes the breaker ready for another. */
    abandon: (now: number, epoch: number) => {
      if (epoch !== period || state.tag !== "trial") return
      period++
      state = { tag: "open", until: now }
    },
    state: (now: number): CircuitState =>
      state.tag === "closed" ? "closed" : state.tag === "trial" || now >= state.until ? "half-open" : "open"
  }
}

// Coarse steps so that calls often land exactly on the window and reset boundaries.
const dt = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 6 }).map((n) => n * 50)
)
const event = fc.oneof(
  fc.record({ kind: fc.constant("call" as const), failed: fc.boolean(), dt }),
  fc.record({ kind: fc.constant("start" as const), dt }),
  fc.record({ kind: fc.constant("finish" as const), pick: fc.nat(), failed: fc.boolean(), dt }),
  fc.record({ kind: fc.constant("abandon" as const), pick: fc.nat(), dt })
)

describe("circuit breaker against a reference model", () => {
  it("agrees on every answer, and never lets two calls through while half-open", () => {
    const settings = fc.record({
      consecutiveFailures: fc.integer({ min: 2, max: 8 }),
      failureRatio: fc.constantFrom(0.25, 0.5, 0.75),
      minimumCalls: fc.integer({ min: 1, max: 10 }),
      windowMs: fc.integer({ min: 1, max: 40 }).map((n) => n * 50),
      resetMs: fc.integer({ min: 1, max: 20 }).map((n) => n * 50)
    })
    fc.assert(
      fc.property(settings, fc.array(event, { maxLength: 200, size: "max" }), (settings, events) => {
        const breaker = makeCircuitBreaker(settings)
        const model = referenceModel(settings)
        const pending: Array<number> = []
        let now = 0
        for (const e of events) {
          now += e.dt
          if (e.kind === "abandon") {
            if (pending.length === 0) continue
            const [epoch] = pending.splice(e.pick % pending.length, 1)
            breaker.onAbandoned(now, epoch!)
            model.abandon(now, epoch!)
          } else if (e.kind === "finish") {
            if (pending.length === 0) continue
            const [epoch] = pending.splice(e.pick % pending.length, 1)
            if (e.failed) breaker.onFailure(now, epoch!)
            else breaker.onSuccess(now, epoch!)
            model.report(now, epoch!, e.failed)
          } else {
            const wasHalfOpen = breaker.state(now) === "half-open"
            const got = breaker.tryAcquire(now)
            expect(got).toEqual(model.acquire(now))
            if (got._tag === "Rejected") expect(got.retryAfterMs).toBeGreaterThan(0)
            if (wasHalfOpen && got._tag === "Allowed") expect(breaker.tryAcquire(now)._tag).toBe("Rejected")
            if (got._tag === "Allowed" && e.kind === "call") {
              if (e.failed) breaker.onFailure(now, got.epoch)
              else breaker.onSuccess(now, got.epoch)
              model.report(now, got.epoch, e.failed)
            } else if (got._tag === "Allowed") pending.push(got.epoch)
          }
          expect(breaker.state(now)).toBe(model.state(now))
        }
      })
    )
  })
})
