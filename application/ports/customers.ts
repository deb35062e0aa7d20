import { Context, type Effect } from "effect"
import type { Customer, CustomerKey } from "../../domain/customer.ts"
import type { AlreadyExists, StorageError } from "../../domain/errors.ts"

/** A lookup answers at most this many customers, the oldest first. */
export const customerLookupLimit = 100

/** A tenant's customers, in the tenant's own database. */
export class Customers extends Context.Service<
  Customers,
  {
    readonly get: (id: string) => Effect.Effect<Customer | undefined, StorageError>
    /** The customers with this key, oldest first, at most customerLookupLimit (phone and email need not be unique). */
    readonly find: (key: CustomerKey) => Effect.Effect<ReadonlyArray<Customer>, StorageError>
    /**
     * Runs `effect` (finds then a write) in one transaction holding a lock on each match key, so two
     * concurrent upserts of the same customer cannot both create it. Keys are opaque strings.
     */
    readonly withMatchLock: (
      keys: ReadonlyArray<string>
    ) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StorageError, R>
    /**
     * Inside withMatchLock: locks the customer's row until the transaction ends and answers it as it
     * is now, so an upsert that matched it by another key cannot write over this one's changes.
     */
    readonly lock: (id: string) => Effect.Effect<Customer | undefined, StorageError>
    /** AlreadyExists when the externalId belongs to another customer. */
    readonly insert: (customer: Customer) => Effect.Effect<void, AlreadyExists | StorageError>
    readonly update: (customer: Customer) => Effect.Effect<void, AlreadyExists | StorageError>
  }
>()("pos/application/Customers") {}
