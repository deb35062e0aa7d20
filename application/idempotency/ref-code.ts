import { Clock, Effect, Random } from "effect"
import { RefCodeConflict, RequestInProgress, type StorageError } from "../../domain/errors.ts"
import { Idempotency, type StoredOutcome } from "../ports/idempotency.ts"

/** About one finished request in this many purges a batch of expired answers. */
const PURGE_ONE_IN = 64
const PURGE_BATCH = 500

export interface RefCodeClaim {
  /** The operation the refCode belongs to (`loyalty.earn`): refCodes are scoped by tenant and operation. */
  readonly operation: string
  readonly refCode: string
  /** SHA-256 of the canonical JSON of the decoded request. */
  readonly fingerprint: string
  /** A claim unfinished for this long is stale and may be taken over (twice the upstream timeout). */
  readonly staleAfterMs: number
  /** How long a finished answer is replayed (at least 7 days). */
  readonly retainMs: number
}

/**
 * Runs `effect` at most once per (operation, refCode) with SPEC section 6's rules: the claim is a
 * unique insert; the same payload finished replays the stored answer; another payload is a 409
 * refcode conflict; the same payload still running is a 409 request in progress. `effect`
 * succeeds with the final answer to store; when it fails (the answer is not final: a 409, a 5xx,
 * an unknown upstream outcome) the claim is released, so a retry runs again (the refCode travels
 * on as the upstream's own idempotency key, which keeps that retry from doing the effect twice).
 */
export const withRefCode = <E, R>(
  claim: RefCodeClaim,
  effect: Effect.Effect<StoredOutcome, E, R>
): Effect.Effect<StoredOutcome, E | RefCodeConflict | RequestInProgress | StorageError, R | Idempotency> =>
  Effect.gen(function* () {
    const store = yield* Idempotency
    const now = yield* Clock.currentTimeMillis
    const token = globalThis.crypto.randomUUID()
    const result = yield* store.claim({
      operation: claim.operation,
      refCode: claim.refCode,
      fingerprint: claim.fingerprint,
      token,
      now: new Date(now),
      staleBefore: new Date(now - claim.staleAfterMs),
      expiredBefore: new Date(now - claim.retainMs)
    })
    switch (result._tag) {
      case "Conflict":
        return yield* new RefCodeConflict({ refCode: claim.refCode })
      case "InProgress":
        return yield* new RequestInProgress({ refCode: claim.refCode })
      case "Replay":
        return result.outcome
    }
    const release = store.release(claim.operation, claim.refCode, token)
    const exit = yield* Effect.exit(effect).pipe(Effect.onInterrupt(() => Effect.ignore(release)))
    if (exit._tag === "Failure") {
      yield* release
    } else {
      const outcome = exit.value
      const finished = new Date(yield* Clock.currentTimeMillis)
      const stored = yield* store.complete(claim.operation, claim.refCode, token, outcome, finished)
      if (!stored)
        yield* Effect.logWarning("refCode claim was taken over before its answer was stored", claim.operation)
      // Now and then a finished request clears a batch of expired answers, so they do not pile
      // up (a customer upsert's answer holds personal data). A failure here is not the caller's.
      if ((yield* Random.nextIntBetween(0, PURGE_ONE_IN, { halfOpen: true })) === 0) {
        yield* store
          .purge(new Date(now - claim.retainMs), PURGE_BATCH)
          .pipe(Effect.catch((error) => Effect.logWarning("purging expired refCodes failed", error.message)))
      }
    }
    return yield* exit
  })
