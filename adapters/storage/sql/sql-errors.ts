import { Cause, Effect, Layer } from "effect"
import type { SqlClient } from "effect/sql"
import { StorageError } from "../../../domain/errors.ts"

/** A database failure the caller cannot act on, named by the operation that met it. */
export const storageFailure =
  (operation: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, StorageError, R> =>
    Effect.mapError(effect, (cause) => new StorageError({ operation, cause }))

/** Timestamps come back as Date from sql-pg and PGlite alike; strings are tolerated too. */
export const toDate = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)))
export const toDateOrNull = (value: unknown): Date | null =>
  value === null || value === undefined ? null : toDate(value)

/** A layer (a pool, a driver) that failed to start, as a storage failure. */
export const layerStorageFailure =
  (operation: string) =>
  <A, E, R>(layer: Layer.Layer<A, E, R>): Layer.Layer<A, StorageError, R> =>
    Layer.catchCause(layer, (cause) =>
      Layer.effectContext(Effect.fail(new StorageError({ operation, cause: Cause.squash(cause) })))
    )

/** Carries the caller's own failure through a transaction, so only the database's are mapped. */
class Passthrough<E> {
  readonly error: E
  constructor(error: E) {
    this.error = error
  }
}

/**
 * Runs `effect` in one transaction: its own failures come out as they are (and roll it back), the
 * database's as a StorageError named by `operation`.
 */
export const inTransaction =
  (sql: SqlClient.SqlClient, operation: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StorageError, R> =>
    sql
      .withTransaction(Effect.mapError(effect, (error) => new Passthrough(error)))
      .pipe(
        Effect.mapError((error) =>
          error instanceof Passthrough ? (error.error as E) : new StorageError({ operation, cause: error })
        )
      )
