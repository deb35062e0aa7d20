/**
 * A small map whose entries expire after a fixed time. Bounded: when full, the oldest entry goes
 * first (Map keeps insertion order), so hostile input cannot grow it without limit.
 */
export class TtlCache<K, V> {
  readonly #entries = new Map<K, { readonly value: V; readonly expiresAt: number }>()
  readonly #ttlMs: number
  readonly #maxSize: number

  constructor(ttlMs: number, maxSize: number) {
    this.#ttlMs = ttlMs
    this.#maxSize = maxSize
  }

  get(key: K, now: number): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.value
  }

  set(key: K, value: V, now: number): void {
    this.#entries.delete(key)
    if (this.#entries.size >= this.#maxSize) {
      const oldest = this.#entries.keys().next()
      if (oldest.done !== true) this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, { value, expiresAt: now + this.#ttlMs })
  }

  delete(key: K): void {
    this.#entries.delete(key)
  }

  /** The live entries at `now` (expired ones are dropped on the way). */
  entries(now: number): Array<[K, V]> {
    const live: Array<[K, V]> = []
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key)
      else live.push([key, entry.value])
    }
    return live
  }
}
