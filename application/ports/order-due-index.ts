import { Context, type Effect } from "effect"
import type { StorageError } from "../../domain/errors.ts"

/** A tenant with order deliveries due, as the index knows it. */
export interface DueTenant {
  readonly tenantId: string
  readonly dueAt: Date
  /**
   * Moves on every `mark`: `settle` only writes when nothing was marked since it was read. A
   * tenant's versions never repeat, also across its entry being removed and marked again, so a
   * version read before a removal never settles an entry marked after it.
   */
  readonly version: number
}

/**
 * Which tenants have order deliveries due, in the control database: the dispatcher finds its work
 * here without opening every tenant's pool. The tenant's outbox stays the truth; the index only
 * says where to look. A placement marks its tenant after its commit; a dispatcher that emptied a
 * tenant's due work settles the entry to the outbox's next due time (or removes it), unless the
 * tenant was marked meanwhile. A mark lost in a crash between the two commits is found by the
 * dispatcher's periodic full sweep.
 */
export class OrderDueIndex extends Context.Service<
  OrderDueIndex,
  {
    /** The tenant has work due at `dueAt` (kept when an earlier time is already indexed). */
    readonly mark: (tenantId: string, dueAt: Date) => Effect.Effect<void, StorageError>
    /** Tenants with work due at `now`, earliest first. */
    readonly due: (now: Date, limit: number) => Effect.Effect<ReadonlyArray<DueTenant>, StorageError>
    /**
     * After draining a tenant: its next due time, or null to forget it; only when its version is
     * still `version`. True when written.
     */
    readonly settle: (tenantId: string, version: number, next: Date | null) => Effect.Effect<boolean, StorageError>
    /** The tenant's entry, or null when it has none. */
    readonly find: (tenantId: string) => Effect.Effect<DueTenant | null, StorageError>
    /** The earliest indexed due time of any tenant (to sleep until), or null. */
    readonly earliest: () => Effect.Effect<Date | null, StorageError>
  }
>()("pos/application/OrderDueIndex") {}
