import { Context, type Effect } from "effect"
import type { StorageError } from "../../domain/errors.ts"

/** A finished request's answer, stored for replay: the status and the exact body bytes. */
export interface StoredOutcome {
  readonly status: number
  readonly body: string
}

export interface ClaimRequest {
  readonly operation: string
  readonly refCode: string
  readonly fingerprint: string
  /** A fresh token: the claim's owner proves itself with it when it completes or releases. */
  readonly token: string
  readonly now: Date
  /** A claim still running since before this is stale and may be taken over. */
  readonly staleBefore: Date
  /** A stored outcome finished before this has expired and no longer binds the refCode. */
  readonly expiredBefore: Date
}

export type ClaimResult =
  | { readonly _tag: "Claimed" }
  | { readonly _tag: "Replay"; readonly outcome: StoredOutcome }
  | { readonly _tag: "Conflict" }
  | { readonly _tag: "InProgress" }

/**
 * refCode claims per (operation, refCode), in the tenant's database (SPEC section 6). The claim is
 * a unique insert decided by the store, never a read followed by a write.
 */
export class Idempotency extends Context.Service<
  Idempotency,
  {
    readonly claim: (request: ClaimRequest) => Effect.Effect<ClaimResult, StorageError>
    /** Stores the outcome for replay; false when the claim was taken over meanwhile. */
    readonly complete: (
      operation: string,
      refCode: string,
      token: string,
      outcome: StoredOutcome,
      at: Date
    ) => Effect.Effect<boolean, StorageError>
    /** Drops an unfinished claim (an outcome not to be stored): a retry runs again. */
    readonly release: (operation: string, refCode: string, token: string) => Effect.Effect<void, StorageError>
    /**
     * Deletes up to `limit` answers finished before `before`, and claims abandoned since then;
     * answers how many went.
     */
    readonly purge: (before: Date, limit: number) => Effect.Effect<number, StorageError>
  }
>()("pos/application/Idempotency") {}
