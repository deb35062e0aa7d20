import { Context, type Effect } from "effect"
import type { AdminKeyRecord, AuditEntry, NewAdminKey, NewAuditEntry } from "../../domain/admin.ts"
import type { StorageError } from "../../domain/errors.ts"

/** Operators' admin keys, in the control database. Ids are numbers assigned by the store, ascending. */
export class AdminKeys extends Context.Service<
  AdminKeys,
  {
    readonly insert: (key: NewAdminKey) => Effect.Effect<AdminKeyRecord, StorageError>
    readonly findById: (id: number) => Effect.Effect<AdminKeyRecord | undefined, StorageError>
    /** Every key, by id. */
    readonly list: Effect.Effect<ReadonlyArray<AdminKeyRecord>, StorageError>
    /** Sets `revokedAt` if the key is not revoked yet; answers the key as stored, or undefined if unknown. */
    readonly revoke: (id: number, at: Date) => Effect.Effect<AdminKeyRecord | undefined, StorageError>
    readonly touch: (id: number, at: Date) => Effect.Effect<void, StorageError>
  }
>()("pos/application/AdminKeys") {}

export interface AuditQuery {
  readonly tenantId: string | null
  /** An action (`api-key.rotate`) or a resource's prefix (`api-key.`). */
  readonly action: string | null
  /** Entries with a smaller id only (the previous page's last id). */
  readonly beforeId: number | null
  readonly limit: number
}

/** The admin audit log, in the control database: appended to, never changed. */
export class AuditLog extends Context.Service<
  AuditLog,
  {
    readonly record: (entry: NewAuditEntry) => Effect.Effect<AuditEntry, StorageError>
    /** Newest first (by id, descending), at most `limit`. */
    readonly list: (query: AuditQuery) => Effect.Effect<ReadonlyArray<AuditEntry>, StorageError>
  }
>()("pos/application/AuditLog") {}
