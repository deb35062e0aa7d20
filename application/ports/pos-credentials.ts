import { Context, type Effect, Schema } from "effect"
import type { NotFound, StorageError } from "../../domain/errors.ts"

/** The two levels of POS credentials: an outlet's, and its POS account's (merchant, business). */
export type CredentialLevel = "outlet" | "account"

/**
 * Stored credentials that cannot be used: sealed under a key the service no longer has, altered,
 * stored in plain text, or no longer matching the plugin's schema. The reason names the level, the
 * row and the key id, never the value. An operator sets them again (or restores the key).
 */
export class UnreadableCredentials extends Schema.TaggedError<UnreadableCredentials>()("UnreadableCredentials", {
  level: Schema.Literals(["outlet", "account"]),
  reason: Schema.String
}) {
  override get message(): string {
    return this.reason
  }
}

/** What a reseal found: how many values it rewrote, and those it had to leave as they were. */
export interface ResealReport {
  /** The key values are sealed under now; null when there is none (no key ring). */
  readonly keyId: string | null
  /** Values sealed under the current key after the reseal (the rewritten ones included). */
  readonly current: number
  /** Values rewritten now (plain text, or sealed under an older key). */
  readonly resealed: number
  /**
   * Values left as they were, each with the reason (the row and the key id, never the value): sealed
   * under a key the ring does not hold, altered, or no key to seal with.
   */
  readonly problems: ReadonlyArray<string>
}

/**
 * A tenant's POS credentials, at both levels: per outlet (beside the outlet's row) and per POS
 * account, keyed by (provider, account id). Values are text (the plugin's Schema encoded as JSON),
 * sealed at rest by the adapter; they are set by operators and by plugins rotating tokens, and are
 * never returned by the API or logged.
 */
export class PosCredentialStore extends Context.Service<
  PosCredentialStore,
  {
    readonly getOutlet: (storeId: string) => Effect.Effect<string | undefined, UnreadableCredentials | StorageError>
    /** Refuses an outlet that does not exist (NotFound). */
    readonly setOutlet: (storeId: string, text: string) => Effect.Effect<void, NotFound | StorageError>
    readonly getAccount: (
      provider: string,
      accountId: string
    ) => Effect.Effect<string | undefined, UnreadableCredentials | StorageError>
    readonly setAccount: (provider: string, accountId: string, text: string) => Effect.Effect<void, StorageError>
    /**
     * Removes an outlet's credentials (its identifiers, from its outlet sync, stay): true when there
     * were some. Calls to its POS and its webhooks then fail as for an outlet never given any.
     */
    readonly deleteOutlet: (storeId: string) => Effect.Effect<boolean, StorageError>
    /** Removes a POS account's credentials: true when there were some. */
    readonly deleteAccount: (provider: string, accountId: string) => Effect.Effect<boolean, StorageError>
    /**
     * Runs `effect` holding a lock on `key` that every instance of the service sharing this tenant's
     * database respects (an advisory lock in a transaction on PostgreSQL and PGlite), so a
     * single-use secret is spent once. Credentials read and written inside see each other.
     */
    readonly withLock: (
      key: string
    ) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StorageError, R>
    /** Seals under the current key every value in plain text or under an older key. */
    readonly reseal: Effect.Effect<ResealReport, StorageError>
  }
>()("pos/application/PosCredentialStore") {}
