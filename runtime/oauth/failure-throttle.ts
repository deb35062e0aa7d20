/**
 * Failed client authentications counted per (tenant host, client id, client address) in a fixed
 * window: past the limit, that client is refused from that address until the window ends, without
 * its secret being checked, so a secret cannot be guessed faster than the limit allows. Keyed by
 * the address as well, so nobody can lock a partner out from elsewhere. In memory, per instance.
 */
export interface FailureThrottle {
  /** Seconds until the key may try again, or 0 when it may now. */
  readonly blockedFor: (key: string, now: number) => number
  readonly failed: (key: string, now: number) => void
  readonly succeeded: (key: string) => void
}

interface Window {
  readonly startedAt: number
  failures: number
}

export const makeFailureThrottle = (options: {
  readonly limit: number
  readonly windowMs: number
  /** Keys tracked at most; the oldest window goes first. */
  readonly maxKeys: number
}): FailureThrottle => {
  const windows = new Map<string, Window>()
  const live = (key: string, now: number) => {
    const window = windows.get(key)
    if (window === undefined) return undefined
    if (now - window.startedAt >= options.windowMs) {
      windows.delete(key)
      return undefined
    }
    return window
  }
  return {
    blockedFor: (key, now) => {
      const window = live(key, now)
      return window === undefined || window.failures < options.limit
        ? 0
        : Math.max(1, Math.ceil((window.startedAt + options.windowMs - now) / 1000))
    },
    failed: (key, now) => {
      const window = live(key, now)
      if (window !== undefined) {
        window.failures += 1
        return
      }
      if (windows.size >= options.maxKeys) {
        const oldest = windows.keys().next()
        if (!oldest.done) windows.delete(oldest.value)
      }
      windows.set(key, { startedAt: now, failures: 1 })
    },
    succeeded: (key) => {
      windows.delete(key)
    }
  }
}
