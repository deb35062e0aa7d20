/**
 * Values by key within a byte budget, least recently used first out: what the rendered answers and
 * their compressed variants are kept in. A value heavier than the whole budget is not kept.
 */
export class ByteBudgetCache<V> {
  private readonly entries = new Map<string, V>()
  private bytes = 0
  readonly budget: number
  private readonly weigh: (key: string, value: V) => number

  constructor(budget: number, weigh: (key: string, value: V) => number) {
    this.budget = budget
    this.weigh = weigh
  }

  /** The bytes held. */
  get size() {
    return this.bytes
  }

  /** The value under `key`, unless `usable` refuses it; a value served becomes the most recently used. */
  get(key: string, usable: (value: V) => boolean = () => true): V | undefined {
    const found = this.entries.get(key)
    if (found === undefined || !usable(found)) return undefined
    this.entries.delete(key)
    this.entries.set(key, found)
    return found
  }

  /** Keeps `value` under `key` (replacing what was there), then lets the least recently used go. */
  set(key: string, value: V): void {
    const previous = this.entries.get(key)
    if (previous !== undefined) {
      this.entries.delete(key)
      this.bytes -= this.weigh(key, previous)
    }
    const weight = this.weigh(key, value)
    if (weight > this.budget) return
    this.entries.set(key, value)
    this.bytes += weight
    for (const [oldest, kept] of this.entries) {
      if (this.bytes <= this.budget) break
      this.entries.delete(oldest)
      this.bytes -= this.weigh(oldest, kept)
    }
  }
}
