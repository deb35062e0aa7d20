import { Context, type Effect } from "effect"
import type { StorageError } from "../../domain/errors.ts"
import type { NewOAuthClient, NewSigningKey, OAuthClientRecord, SigningKeyRecord } from "../../domain/oauth.ts"

/** A tenant's OAuth 2.0 clients, kept in the tenant's own database. Ids are numbers assigned by the store. */
export class OAuthClients extends Context.Service<
  OAuthClients,
  {
    readonly insert: (client: NewOAuthClient) => Effect.Effect<OAuthClientRecord, StorageError>
    readonly findById: (id: number) => Effect.Effect<OAuthClientRecord | undefined, StorageError>
    /** Every client, by id. */
    readonly list: Effect.Effect<ReadonlyArray<OAuthClientRecord>, StorageError>
    /** Sets `revokedAt` if the client is not revoked yet; answers the client as stored, or undefined if unknown. */
    readonly revoke: (id: number, at: Date) => Effect.Effect<OAuthClientRecord | undefined, StorageError>
    /**
     * A new secret: the current one becomes the previous, working until `previousExpiresAt` (the
     * secret that was previous before is dropped). Answers the client as stored, or undefined if unknown.
     */
    readonly rotateSecret: (
      id: number,
      secretHash: string,
      previousExpiresAt: Date
    ) => Effect.Effect<OAuthClientRecord | undefined, StorageError>
    /**
     * The ids of the revoked clients: a token of one of them is refused. The runtime holds the set in
     * memory (at most a cache TTL old), so checking a token costs no storage call.
     */
    readonly revokedIds: Effect.Effect<ReadonlySet<number>, StorageError>
    readonly touch: (id: number, at: Date) => Effect.Effect<void, StorageError>
  }
>()("pos/application/OAuthClients") {}

/**
 * The keys that sign access tokens, in the control database (for every tenant). Private keys are
 * sealed at rest by the adapter, as credentials are.
 */
export class SigningKeys extends Context.Service<
  SigningKeys,
  {
    /** Every key, by `activatesAt` then `kid`. */
    readonly list: Effect.Effect<ReadonlyArray<SigningKeyRecord>, StorageError>
    /** Fails (StorageError) when the private key cannot be sealed (no key to seal with). */
    readonly insert: (key: NewSigningKey) => Effect.Effect<SigningKeyRecord, StorageError>
    /** Removes these keys (retired: every token they signed has expired); unknown kids are ignored. */
    readonly remove: (kids: ReadonlyArray<string>) => Effect.Effect<void, StorageError>
    /**
     * Claims the rotation job until `until` for `owner` (an instance), when it is free at `now` or
     * already this owner's: true when the caller holds the claim. One instance at a time rotates.
     */
    readonly claimRotation: (owner: string, now: Date, until: Date) => Effect.Effect<boolean, StorageError>
  }
>()("pos/application/SigningKeys") {}
