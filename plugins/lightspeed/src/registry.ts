import { PayloadRejected } from "@pos-integration/sdk"
import { Effect } from "effect"
import { sameSnapshot } from "./same-snapshot.ts"

/**
 * The objects of one kind in one payload, keyed by external id, in first-seen order. The same object
 * listed twice (a product in two menu screens) is kept once; the same id describing two different
 * objects is refused, naming both places.
 */
export class Registry<T extends { readonly externalId: string }> {
  private readonly entries = new Map<string, { readonly value: T; readonly path: string }>()
  private readonly kind: string

  /** `kind` names the vendor's key in messages (sku, ikentooModifierId, ...). */
  constructor(kind: string) {
    this.kind = kind
  }

  add(value: T, path: string): Effect.Effect<void, PayloadRejected> {
    const seen = this.entries.get(value.externalId)
    if (seen === undefined) {
      this.entries.set(value.externalId, { value, path })
      return Effect.void
    }
    return sameSnapshot(seen.value, value)
      ? Effect.void
      : Effect.fail(
          PayloadRejected.one(
            path,
            `${this.kind} ${JSON.stringify(value.externalId)} describes two different objects (also at ${seen.path})`
          )
        )
  }

  values(): ReadonlyArray<T> {
    return [...this.entries.values()].map((entry) => entry.value)
  }
}
