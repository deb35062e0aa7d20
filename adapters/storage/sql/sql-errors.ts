import { Cause, Effect, Layer } from "effect"
import type { SqlClient } from "effect/sql"
import { SNOOZED_INDEFINITELY } from "../../../domain/catalog.ts"
import { StorageError } from "../../../domain/errors.ts"

/** A database failure the caller cannot act on, named by the operation that met it. */
export const storageFailure =
  (operation: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, StorageError, R> =>
    Effect.mapError(effect, (cause) => new StorageError({ operation, cause }))

/**
 * Timestamps come back as Date from sql-pg and PGlite alike; strings are tolerated too. PostgreSQL's
 * `infinity` (a snooze until further notice) comes back as an invalid Date, the string or Infinity:
 * it is the last instant a Date can hold.
 */
export const toDate = (value: unknown): Date => {
  const date = value instanceof Date ? value : new Date(typeof value === "number" ? value : String(value))
  if (!Number.isNaN(date.getTime())) return date
  return value === Number.POSITIVE_INFINITY ||
    String(value).trim().toLowerCase() === "infinity" ||
    value instanceof Date
    ? SNOOZED_INDEFINITELY
    : date
}
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

/**
 * A storage failure's cause in the database's own words, for an operator: the chain of distinct
 * messages from the driver's summary down to the server's or the socket's reason, e.g.
 * `Failed to connect: database "globexdb" does not exist` or `Failed to connect: connect
 * ECONNREFUSED 127.0.0.1:5432`. The summary alone ("PgConnection: Query failed") names no reason.
 * Driver messages quote no connection string, so no password; callers still mask URLs.
 */
export const describeDatabaseCause = (cause: unknown): string => {
  const messages: Array<string> = []
  const seen = new Set<unknown>()
  let current: unknown = cause
  while (current !== undefined && current !== null && !seen.has(current) && messages.length < 8) {
    seen.add(current)
    const text = typeof current === "string" ? current : current instanceof Error ? current.message : messageOf(current)
    const plain = text?.replace(/^Pg\w+: /, "").trim()
    if (plain !== undefined && plain !== "" && messages.at(-1) !== plain) messages.push(plain)
    // SqlError keeps its classified reason in `reason`; the reason keeps the driver's error in `cause`.
    current = typeof current === "object" ? (fieldOf(current, "reason") ?? fieldOf(current, "cause")) : undefined
  }
  return messages.length === 0 ? String(cause) : messages.join(": ")
}

/** Socket errors of a database that is down, restarting or out of reach. */
const networkCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND"
])

/**
 * Whether a storage failure is the database being out of reach for now (down, restarting, its
 * connections cut or used up, a deadlock or serialization failure to retry) rather than a fault of
 * ours: the request may be retried as it is. SQLSTATE class 08 (connection exception), 57P01-57P03
 * (shut down, crashed, not accepting connections yet) and class 53 (insufficient resources: the
 * disk full, out of memory, too many connections) count, so do
 * the sql client's retryable reasons and socket errors.
 */
export const isTransientDatabaseFailure = (cause: unknown): boolean => {
  const seen = new Set<unknown>()
  let current: unknown = cause
  while (typeof current === "object" && current !== null && !seen.has(current) && seen.size < 8) {
    seen.add(current)
    const tag = fieldOf(current, "_tag")
    if (tag === "ConnectionError" || fieldOf(current, "isRetryable") === true) return true
    const code = fieldOf(current, "code")
    if (typeof code === "string" && (networkCodes.has(code) || /^(08...|57P0[123]|53...)$/.test(code))) return true
    current = fieldOf(current, "reason") ?? fieldOf(current, "cause")
  }
  return false
}

const fieldOf = (value: object, key: string): unknown =>
  key in value ? (value as Record<string, unknown>)[key] : undefined

const messageOf = (value: unknown): string | undefined => {
  if (typeof value !== "object" || value === null) return value === undefined ? undefined : String(value)
  const message = fieldOf(value, "message")
  return typeof message === "string" ? message : undefined
}

/**
 * Where a database is, for an operation's name: host, port and database name only. A URL's user,
 * password and parameters (which may hold `password=`) never reach a message.
 */
export const databaseLabel = (url: string): string => {
  try {
    const parsed = new URL(url)
    return `${parsed.host}${parsed.pathname}`
  } catch {
    return "a database of its own"
  }
}
