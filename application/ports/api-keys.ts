import { Context, type Effect } from "effect"
import type { ApiKeyRecord, NewApiKey } from "../../domain/api-key.ts"
import type { StorageError } from "../../domain/errors.ts"

/** A tenant's API keys, kept in the tenant's own database. Key ids are numbers assigned by the store. */
export class ApiKeys extends Context.Service<
  ApiKeys,
  {
    readonly insert: (key: NewApiKey) => Effect.Effect<ApiKeyRecord, StorageError>
    readonly findById: (id: number) => Effect.Effect<ApiKeyRecord | undefined, StorageError>
    readonly list: Effect.Effect<ReadonlyArray<ApiKeyRecord>, StorageError>
    /**
     * The ids of the keys neither revoked nor expired at `at`: a presented key id outside it is refused
     * without reading a row. The runtime keeps it in memory (at most its cache TTL old, plus this
     * process's own issues and revocations), so a flood of made-up key ids never reaches the store.
     */
    readonly liveIds: (at: Date) => Effect.Effect<ReadonlySet<number>, StorageError>
    /** Sets `revokedAt` if the key is not revoked yet; answers the key as stored, or undefined if unknown. */
    readonly revoke: (id: number, at: Date) => Effect.Effect<ApiKeyRecord | undefined, StorageError>
    /**
     * Makes the key expire at `at` at the latest (a rotation's overlap): an earlier expiry is kept.
     * Answers the key as stored, or undefined if unknown.
     */
    readonly expireBy: (id: number, at: Date) => Effect.Effect<ApiKeyRecord | undefined, StorageError>
    readonly touch: (id: number, at: Date) => Effect.Effect<void, StorageError>
  }
>()("pos/application/ApiKeys") {}
