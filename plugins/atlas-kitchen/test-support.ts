import type { CatalogContext, PayloadRejected } from "@pos-integration/sdk"
import { Cause, Effect, Exit } from "effect"

/** Helpers for this plugin's tests (no test-runner imports here: see test/architecture). */

export const noContext: CatalogContext = { externalOutletId: null, currency: null }

export const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect)

/** The typed failure of an effect expected to fail; a success or a defect rejects the promise. */
export const failure = <A, E>(effect: Effect.Effect<A, E>): Promise<E> => Effect.runPromise(Effect.flip(effect))

export const pathsOf = (rejected: PayloadRejected): ReadonlyArray<string> => rejected.issues.map((issue) => issue.path)

/**
 * How an effect ended, for junk inputs: "success", the typed error's tag, or "defect" (a throw or a
 * die), which a decoder must never produce.
 */
export const outcome = async <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E>): Promise<string> => {
  const exit = await Effect.runPromiseExit(Effect.suspend(() => effect)).catch(() => undefined)
  if (exit === undefined) return "defect"
  if (Exit.isSuccess(exit)) return "success"
  if (Cause.hasDies(exit.cause)) return "defect"
  const error = Cause.findErrorOption(exit.cause)
  return error._tag === "Some" ? error.value._tag : "defect"
}

/** A deep copy of a JSON fixture, to edit into a variant. */
export const copy = <T>(value: T): T => structuredClone(value)
