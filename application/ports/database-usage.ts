import { Context, type Effect } from "effect"
import type { StorageError } from "../../domain/errors.ts"

/** This process's database connections: how many are in each state, and how many wait. */
export interface ConnectionUsage {
  /** By state: `active` (running a statement), `idle`, `idle in transaction`, ... */
  readonly connections: Readonly<Record<string, number>>
  /** Waiting: sessions blocked on a lock (PostgreSQL), or leases queued for the one session (PGlite). */
  readonly waiting: number
}

/** What `/metrics` shows of the storage's connections (runtime/observability). */
export class DatabaseUsage extends Context.Service<
  DatabaseUsage,
  { readonly usage: Effect.Effect<ConnectionUsage, StorageError> }
>()("pos/application/DatabaseUsage") {}
