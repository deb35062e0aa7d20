import type { RenderedBody } from "./conditional-response.ts"

/**
 * Answers rendered once and served again while nothing they depend on has changed (the effective
 * menu's, the product list's): each slot (a tenant's outlet) keeps the one answer rendered last,
 * under the key it was rendered for and for the instants it holds for; a read serves it only under
 * the same key, within those instants. Within a byte budget, least recently used first out.
 */
export class RenderedAnswers {
  private readonly entries = new Map<string, Entry>()
  private bytes = 0
  readonly budget: number
  constructor(budget: number) {
    this.budget = budget
  }

  get size() {
    return this.bytes
  }

  /** The answer kept for `slot` under `key`, when `at` is within its bounds. */
  get(slot: string, key: string, at: Date): RenderedBody | undefined {
    const found = this.entries.get(slot)
    if (found === undefined || found.key !== key) return undefined
    if (found.validFrom !== null && at.getTime() < found.validFrom) return undefined
    if (found.validUntil !== null && at.getTime() >= found.validUntil) return undefined
    this.entries.delete(slot)
    this.entries.set(slot, found)
    return found.body
  }

  /** Keeps `body` for `slot` under `key`, for instants in [validFrom, validUntil) (null: unbounded). */
  set(
    slot: string,
    key: string,
    body: RenderedBody,
    validFrom: Date | null = null,
    validUntil: Date | null = null
  ): void {
    const previous = this.entries.get(slot)
    if (previous !== undefined) {
      this.entries.delete(slot)
      this.bytes -= weight(previous)
    }
    const entry: Entry = {
      key,
      body,
      validFrom: validFrom?.getTime() ?? null,
      validUntil: validUntil?.getTime() ?? null
    }
    if (weight(entry) > this.budget) return
    this.entries.set(slot, entry)
    this.bytes += weight(entry)
    for (const [oldest, value] of this.entries) {
      if (this.bytes <= this.budget) break
      this.entries.delete(oldest)
      this.bytes -= weight(value)
    }
  }
}

interface Entry {
  readonly key: string
  readonly body: RenderedBody
  /** Epoch milliseconds: the first instant served, and the first not served (null: unbounded). */
  readonly validFrom: number | null
  readonly validUntil: number | null
}

/** The body twice (the string and its bytes) and the key, counted in bytes as UTF-16 strings are held. */
const weight = (entry: Entry) => entry.body.bytes.byteLength + 2 * (entry.body.json.length + entry.key.length)
