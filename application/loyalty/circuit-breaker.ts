/**
 * A per-tenant circuit breaker for the loyalty-service (SPEC section 11). It owns no timers: every
 * operation takes the current time, so the state machine is deterministic and tested without waiting.
 */

export interface CircuitBreakerSettings {
  /** Opens after this many failures in a row. */
  readonly consecutiveFailures: number
  /** Opens when failures / calls reaches this over the window... */
  readonly failureRatio: number
  /** ...provided the window holds at least this many calls. */
  readonly minimumCalls: number
  readonly windowMs: number
  /** How long it stays open before one trial call is let through. */
  readonly resetMs: number
}

export const defaultCircuitBreakerSettings: CircuitBreakerSettings = {
  consecutiveFailures: 5,
  failureRatio: 0.5,
  minimumCalls: 20,
  windowMs: 30_000,
  resetMs: 30_000
}

/** What callers are told to wait while the half-open trial is still in flight: it ends within one call's deadline. */
export const trialInFlightRetryMs = 1_000

/**
 * `epoch` names the breaker period the call was let through in. A result from an earlier period (a
 * slow call admitted before the breaker opened) is ignored, so it can never pass for the trial's.
 */
export type Acquire =
  | { readonly _tag: "Allowed"; readonly epoch: number }
  | { readonly _tag: "Rejected"; readonly retryAfterMs: number }

export type CircuitState = "closed" | "open" | "half-open"

export interface CircuitBreaker {
  readonly tryAcquire: (nowMs: number) => Acquire
  readonly onSuccess: (nowMs: number, epoch: number) => void
  readonly onFailure: (nowMs: number, epoch: number) => void
  /**
   * The caller left before the answer (a partner's client hung up): the call says nothing about the
   * upstream, so it counts neither way. A half-open trial abandoned so lets the next call be the trial.
   */
  readonly onAbandoned: (nowMs: number, epoch: number) => void
  readonly state: (nowMs: number) => CircuitState
  /**
   * How long calls will still be refused, without taking the half-open trial: 0 when a call would
   * be let through. Lets a caller answer 503 before doing any work of its own.
   */
  readonly refusingForMs: (nowMs: number) => number
}

export const makeCircuitBreaker = (overrides: Partial<CircuitBreakerSettings> = {}): CircuitBreaker => {
  const settings = { ...defaultCircuitBreakerSettings, ...overrides }
  let epoch = 0
  let mode: "closed" | "open" | "trial" = "closed"
  let openUntil = 0
  let consecutive = 0
  // The sliding window as a queue of call times and outcomes; `head` skips expired entries
  // without shifting the arrays on every call.
  let times: Array<number> = []
  let failed: Array<boolean> = []
  let head = 0
  let failures = 0

  const resetCounters = () => {
    consecutive = 0
    times = []
    failed = []
    head = 0
    failures = 0
  }

  const prune = (nowMs: number) => {
    while (head < times.length && times[head]! <= nowMs - settings.windowMs) {
      if (failed[head]) failures--
      head++
    }
    if (head > 1024 && head * 2 > times.length) {
      times = times.slice(head)
      failed = failed.slice(head)
      head = 0
    }
  }

  const record = (nowMs: number, isFailure: boolean) => {
    prune(nowMs)
    times.push(nowMs)
    failed.push(isFailure)
    if (isFailure) failures++
  }

  const open = (nowMs: number) => {
    epoch++
    mode = "open"
    openUntil = nowMs + settings.resetMs
    resetCounters()
  }

  return {
    tryAcquire: (nowMs) => {
      if (mode === "closed") return { _tag: "Allowed", epoch }
      if (mode === "trial") return { _tag: "Rejected", retryAfterMs: trialInFlightRetryMs }
      if (nowMs < openUntil) return { _tag: "Rejected", retryAfterMs: openUntil - nowMs }
      epoch++
      mode = "trial"
      return { _tag: "Allowed", epoch }
    },
    onSuccess: (nowMs, callEpoch) => {
      if (callEpoch !== epoch) return
      if (mode === "trial") {
        epoch++
        mode = "closed"
        resetCounters()
      } else if (mode === "closed") {
        consecutive = 0
        record(nowMs, false)
      }
    },
    onFailure: (nowMs, callEpoch) => {
      if (callEpoch !== epoch) return
      if (mode === "trial") return open(nowMs)
      if (mode !== "closed") return
      consecutive++
      record(nowMs, true)
      const calls = times.length - head
      // Checked on failures only: a success never opens the breaker.
      if (
        consecutive >= settings.consecutiveFailures ||
        (calls >= settings.minimumCalls && failures / calls >= settings.failureRatio)
      ) {
        open(nowMs)
      }
    },
    onAbandoned: (nowMs, callEpoch) => {
      if (callEpoch !== epoch || mode !== "trial") return
      epoch++
      mode = "open"
      openUntil = nowMs
    },
    state: (nowMs) => (mode === "closed" ? "closed" : mode === "trial" || nowMs >= openUntil ? "half-open" : "open"),
    refusingForMs: (nowMs) =>
      mode === "closed" ? 0 : mode === "trial" ? trialInFlightRetryMs : Math.max(0, openUntil - nowMs)
  }
}
