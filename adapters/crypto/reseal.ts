import { Effect } from "effect"
import type { ResealReport } from "../../application/ports/pos-credentials.ts"
import type { CredentialSealer } from "./credential-sealer.ts"

/** One stored credential: its text at rest, what it is sealed for, and how to replace it. */
export interface StoredValue<E, R> {
  readonly stored: string
  readonly purpose: string
  /**
   * Replaces the value if it is still `stored` (a compare-and-set, so a value set meanwhile by an
   * operator or a rotation is never overwritten); answers whether it did.
   */
  readonly replace: (sealed: string) => Effect.Effect<boolean, E, R>
}

/**
 * Seals under the current key every value in plain text (written before credentials were
 * encrypted) or under an older key, and checks that the others open. A value that cannot be opened
 * (its key is gone, it was altered or moved from another row), or that cannot be sealed (no key),
 * is left as it is and reported, never thrown: the other values are still resealed. Reports name
 * rows and key ids, never values.
 */
export const resealValues = <E, R>(
  sealer: CredentialSealer,
  values: ReadonlyArray<StoredValue<E, R>>
): Effect.Effect<ResealReport, E, R> =>
  Effect.gen(function* () {
    let current = 0
    let resealed = 0
    const problems: Array<string> = []
    for (const value of values) {
      // Every value is opened, those under the current key too: one that was altered or moved from
      // another row is reported now rather than when a call needs it.
      const plain =
        sealer.formOf(value.stored)._tag === "Plain"
          ? Effect.succeed(value.stored)
          : sealer.open(value.stored, value.purpose)
      const outcome = yield* Effect.result(
        Effect.flatMap(plain, (text) =>
          sealer.needsReseal(value.stored) ? sealer.seal(text, value.purpose) : Effect.succeed(null)
        )
      )
      if (outcome._tag === "Failure") {
        problems.push(outcome.failure.message)
        continue
      }
      // Replaced meanwhile (a compare-and-set that did not match): by a writer, under the current key.
      if (outcome.success !== null && (yield* value.replace(outcome.success))) resealed++
      current++
    }
    return { keyId: sealer.currentKeyId, current, resealed, problems }
  })
