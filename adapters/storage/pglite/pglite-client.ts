/**
 * A `SqlClient` driver for PGlite (PostgreSQL compiled to WebAssembly).
 *
 * One PGlite instance is one PostgreSQL session, shared by every tenant, each
 * in its own schema. A `PgliteSession` (one per instance) holds a one-permit
 * semaphore that every client over the instance takes before it talks to the
 * database, and the client sets its tenant's `search_path` first, so no
 * statement ever runs on another tenant's schema or inside another fiber's
 * transaction.
 *
 * Leases:
 * - a plain statement (and a stream's query) holds the permit for that one
 *   statement: a stream's rows are fetched at once and the permit returned
 *   before they are emitted, so a consumer may query while it reads;
 * - `withTransaction` and `reserve` hold the permit for their whole duration.
 *   Inside an open transaction, use only that client: a statement from another
 *   client over the same instance (or `reserve`) waits for the permit forever.
 *
 * Values come back as PGlite parses them, except `int8`: PGlite gives a
 * `number` when it is safe and a `bigint` otherwise; `pgliteSession` makes the
 * instance always give a `bigint` (int8[] too), as `@effect/sql-pg` does, so
 * the same schemas decode on both.
 * `timestamptz`, `timestamp` and `date` are `Date` (`infinity` is the number
 * `Infinity`), `json`/`jsonb` are parsed, `numeric` is a string, `bytea` is a
 * `Uint8Array`.
 */

import * as PgClient from "@effect/sql-pg/PgClient"
import { type ParserOptions, PGlite, type Results, types } from "@electric-sql/pglite"
import { Context, Effect, Layer, Predicate, Schema, type Scope, Semaphore, Stream } from "effect"
import { Reactivity } from "effect/reactivity"
import { SqlClient, type SqlConnection, SqlError, Statement } from "effect/sql"

export interface PgliteSession {
  readonly db: PGlite
  /** One permit: held by whoever is talking to the database. */
  readonly semaphore: Semaphore.Semaphore
  /** The statement that last set `search_path`, or undefined when unknown. */
  searchPath: string | undefined
  /** Whether someone holds the permit, and how many wait for it (what `/metrics` shows). */
  usage: { busy: number; waiting: number }
  /**
   * Why the instance can no longer be used, once a write has failed for want of space or on I/O
   * (see `breaks`). PostgreSQL would restart the backend and recover from the WAL; PGlite is one
   * backend in this process, so every later statement fails at once as unreachable (503) and
   * `onBroken` is told, once.
   */
  broken: string | undefined
  onBroken: ((reason: string) => void) | undefined
}

// Keyed by instance so that every client over one PGlite shares one semaphore,
// however it was obtained.
const sessions = new WeakMap<PGlite, PgliteSession>()

/**
 * The instance's one session. The first call also makes the instance parse
 * int8 as bigint: set on the instance, not per query, because PGlite copies
 * its whole parser table for every query that passes parsers (half the
 * throughput), and its int8[] parser reads the element parser from there.
 */
export const pgliteSession = (db: PGlite): PgliteSession => {
  const existing = sessions.get(db)
  if (existing !== undefined) return existing
  db.parsers[types.INT8] = (value: string) => BigInt(value)
  const session: PgliteSession = {
    db,
    semaphore: Semaphore.makeUnsafe(1),
    searchPath: undefined,
    usage: { busy: 0, waiting: 0 },
    broken: undefined,
    onBroken: undefined
  }
  sessions.set(db, session)
  return session
}

export interface OpenPgliteOptions {
  /**
   * PostgreSQL's shared_buffers, in MB (PGlite's own default is 128 MB). The page cache lives in
   * PGlite's memory, inside this process, and every page a sync touches stays there until the cache
   * is full: 16 MB instead of 128 MB kept a 10,000-product sync about 110 MB lower at its peak, and it
   * ran no slower (the data directory's files stay in the OS page cache, outside the process).
   */
  readonly sharedBuffersMb?: number | undefined
  /** A dump of a cluster to start from (`dumpDataDir`), in place of initdb; for a database in memory. */
  readonly loadDataDir?: Blob | undefined
}

/** Opens PGlite (in memory when `dataDir` is undefined) and closes it with the scope. */
export const openPglite = (
  dataDir?: string,
  options: OpenPgliteOptions = {}
): Effect.Effect<PgliteSession, SqlError.SqlError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () =>
        PGlite.create(dataDir, {
          ...(options.sharedBuffersMb === undefined
            ? {}
            : { startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${options.sharedBuffersMb}MB`] }),
          ...(options.loadDataDir === undefined ? {} : { loadDataDir: options.loadDataDir })
        }),
      catch: (cause) =>
        new SqlError.SqlError({
          reason: new SqlError.ConnectionError({
            cause,
            message: "PgliteClient: cannot open PGlite",
            operation: "open"
          })
        })
    }).pipe(Effect.map(pgliteSession)),
    // Under the permit, so a statement in flight finishes before the close.
    (session) => session.semaphore.withPermit(Effect.ignore(Effect.tryPromise(() => session.db.close())))
  )

/** The shared instance as a service, for wiring clients in layers. */
export class Pglite extends Context.Service<Pglite, PgliteSession>()("adapters/storage/pglite/Pglite") {
  static readonly layer = (dataDir?: string): Layer.Layer<Pglite, SqlError.SqlError> =>
    Layer.effect(Pglite, openPglite(dataDir))
}

export class InvalidSearchPath extends Schema.TaggedError<InvalidSearchPath>()("InvalidSearchPath", {
  searchPath: Schema.String,
  message: Schema.String
}) {}

export interface PgliteClientOptions {
  /** The tenant's schema. Without it the client runs on the default search path (`public`). */
  readonly searchPath?: string | undefined
  readonly transformResultNames?: ((str: string) => string) | undefined
  readonly transformQueryNames?: ((str: string) => string) | undefined
  /** Also transform the keys inside json values (default true, as in PgClient). */
  readonly transformJson?: boolean | undefined
  /** Result parsers by type oid for this client only (costs throughput: prefer the instance's). */
  readonly parsers?: ParserOptions | undefined
  readonly spanAttributes?: Record<string, unknown> | undefined
}

const schemaName = /^[a-z_][a-z0-9_]{0,62}$/

/** The statement that puts the session on `searchPath`; validated, so it can be inlined. */
export const searchPathStatement = (searchPath: string | undefined): Effect.Effect<string, InvalidSearchPath> => {
  if (searchPath === undefined) return Effect.succeed("RESET search_path")
  if (!schemaName.test(searchPath)) {
    return Effect.fail(
      new InvalidSearchPath({ searchPath, message: `Invalid search path "${searchPath}": expected ${schemaName}` })
    )
  }
  return Effect.succeed(`SET search_path TO "${searchPath.replaceAll('"', '""')}"`)
}

// A statement that may change the session's search path makes the tracked one
// unknown, so the next lease sets it again.
const touchesSearchPath = /search_path|reset\s+all|discard\s+all/i

// Same classification as @effect/sql-pg (whose classifier is internal).
const classify = (
  code: string | undefined,
  constraint: unknown,
  props: { readonly cause: unknown; readonly message: string; readonly operation: string }
): SqlError.SqlErrorReason => {
  if (code === undefined) return new SqlError.UnknownError(props)
  if (code.startsWith("08")) return new SqlError.ConnectionError(props)
  if (code.startsWith("28")) return new SqlError.AuthenticationError(props)
  if (code === "42501") return new SqlError.AuthorizationError(props)
  if (code.startsWith("42")) return new SqlError.SqlSyntaxError(props)
  if (code === "23505") {
    const name = Predicate.isString(constraint) && constraint.trim() !== "" ? constraint.trim() : "unknown"
    return new SqlError.UniqueViolation({ ...props, constraint: name })
  }
  if (code.startsWith("23")) return new SqlError.ConstraintError(props)
  if (code === "40P01") return new SqlError.DeadlockError(props)
  if (code === "40001") return new SqlError.SerializationError(props)
  if (code === "55P03") return new SqlError.LockTimeoutError(props)
  if (code === "57014") return new SqlError.StatementTimeoutError(props)
  return new SqlError.UnknownError(props)
}

const errorFields = [
  "code",
  "severity",
  "detail",
  "hint",
  "position",
  "where",
  "schema",
  "table",
  "column",
  "constraint",
  "query"
]

const toSqlError =
  (db: PGlite, operation: string) =>
  (error: unknown): SqlError.SqlError => {
    const field = (name: string): unknown => (Predicate.hasProperty(error, name) ? error[name] : undefined)
    const text = field("message")
    const message = `PgliteClient: ${Predicate.isString(text) ? text : String(error)}`
    const code = field("code")
    // PGlite attaches the bound parameters to its error; a fresh cause keeps
    // them (possibly secrets) out of logs, and keeps the SQL text.
    const cause = new Error(Predicate.isString(text) ? text : String(error))
    for (const name of errorFields) {
      const value = field(name)
      if (value !== undefined) Object.assign(cause, { [name]: value })
    }
    const props = { cause, message, operation }
    if (!Predicate.isString(code) && db.closed) {
      return new SqlError.SqlError({ reason: new SqlError.ConnectionError(props) })
    }
    return new SqlError.SqlError({
      reason: classify(Predicate.isString(code) ? code : undefined, field("constraint"), props)
    })
  }

/**
 * Runs one PGlite call. Uninterruptible: PGlite cannot cancel a statement, and
 * the permit must not be returned while one of the lease's statements runs.
 */
const call = <A>(session: PgliteSession, sql: string, operation: string, f: (db: PGlite) => Promise<A>) =>
  Effect.uninterruptible(
    Effect.suspend(() =>
      session.broken !== undefined
        ? Effect.fail(brokenError(session.broken, operation))
        : Effect.tryPromise({
            try: () => {
              if (touchesSearchPath.test(sql)) session.searchPath = undefined
              return f(session.db)
            },
            catch: (error) => {
              const reason = breaks(error)
              if (reason !== undefined && session.broken === undefined) {
                session.broken = reason
                session.onBroken?.(reason)
              }
              return toSqlError(session.db, operation)(error)
            }
          })
    )
  )

/** Text of a PGlite error, and its SQLSTATE. */
const errorText = (error: unknown) => ({
  message: Predicate.hasProperty(error, "message") && Predicate.isString(error.message) ? error.message : String(error),
  code: Predicate.hasProperty(error, "code") && Predicate.isString(error.code) ? error.code : undefined
})

/**
 * Whether a failed statement leaves the instance unusable: a write that failed for want of
 * resources or on I/O (class 53, the disk full; class 58, an I/O error), which PostgreSQL answers
 * with a PANIC and a restart from the WAL, and which leaves PGlite's one backend stuck (its next
 * statement never returns, or fails with "unexpected state"); or that state itself. The reason, or
 * undefined.
 */
const breaks = (error: unknown): string | undefined => {
  const { message, code } = errorText(error)
  if (code !== undefined && /^5[38]/.test(code)) return message
  if (/unexpected state|PANIC/i.test(message)) return message
  return undefined
}

const brokenError = (reason: string, operation: string) =>
  new SqlError.SqlError({
    reason: new SqlError.ConnectionError({
      cause: new Error(`the embedded database stopped after: ${reason}`),
      message: `PgliteClient: the embedded database stopped after: ${reason}; restart the service`,
      operation
    })
  })

const exec = (session: PgliteSession, sql: string, operation = "execute") =>
  call(session, sql, operation, (db) => db.exec(sql))

type TransformRows = (<A extends object>(rows: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined

/** A Connection whose every statement goes through `guard` (the permit, or nothing inside a lease). */
const makeConnection = (
  session: PgliteSession,
  parsers: ParserOptions | undefined,
  guard: <A>(effect: Effect.Effect<A, SqlError.SqlError>) => Effect.Effect<A, SqlError.SqlError>
): SqlConnection.Connection => {
  const objects = parsers === undefined ? {} : { parsers }
  const arrays = { ...objects, rowMode: "array" as const }
  const query = (sql: string, params: ReadonlyArray<unknown>, rowMode: "object" | "array") =>
    call(session, sql, "execute", (db) =>
      db.query<object>(sql, params as Array<unknown>, rowMode === "array" ? arrays : objects)
    )
  const rows = (sql: string, params: ReadonlyArray<unknown>, transformRows: TransformRows) =>
    guard(
      Effect.map(query(sql, params, "object"), (result) =>
        transformRows ? transformRows(result.rows) : (result.rows as ReadonlyArray<object>)
      )
    )
  const values = (sql: string, params: ReadonlyArray<unknown>) =>
    guard(
      Effect.map(
        query(sql, params, "array"),
        (result) => result.rows as unknown as ReadonlyArray<ReadonlyArray<unknown>>
      )
    )
  return {
    execute: rows,
    executeRaw: (sql, params) => guard(query(sql, params, "object")),
    executeStream: (sql, params, transformRows) => Stream.fromIterableEffect(rows(sql, params, transformRows)),
    executeValues: values,
    executeValuesUnprepared: values,
    // Without parameters this uses the simple protocol, which runs a script of
    // several statements (migrations); the rows are those of the last one.
    executeUnprepared: (sql, params, transformRows) => {
      if (params.length > 0) return rows(sql, params, transformRows)
      return guard(
        Effect.map(
          call(session, sql, "execute", (db) => db.exec(sql, objects)),
          (results) => {
            const last = (results.at(-1)?.rows ?? []) as ReadonlyArray<object>
            return transformRows ? transformRows(last) : last
          }
        )
      )
    }
  }
}

/** Puts the session on the client's search path unless the last lease already did. */
const ensureSearchPath = (session: PgliteSession, statement: string) =>
  Effect.suspend(() => {
    if (session.searchPath === statement) return Effect.void
    session.searchPath = undefined
    return Effect.map(exec(session, statement, "searchPath"), () => {
      session.searchPath = statement
    })
  })

/** A lease never leaves a transaction open for the next holder of the permit. */
const abandonTransaction = (session: PgliteSession) =>
  Effect.suspend(() => {
    if (session.db.closed || !session.db.isInTransaction()) return Effect.void
    session.searchPath = undefined
    return Effect.ignore(exec(session, "ROLLBACK", "rollback"))
  })

/** PostgreSQL answers COMMIT in an aborted transaction with ROLLBACK, not an error. */
const commit = (session: PgliteSession) =>
  Effect.flatMap(exec(session, "COMMIT", "commit"), (results: Array<Results>) =>
    results[0]?.command === "ROLLBACK"
      ? Effect.fail(
          new SqlError.SqlError({
            reason: new SqlError.UnknownError({
              cause: new Error("COMMIT rolled back an aborted transaction"),
              message: "PgliteClient: COMMIT rolled back an aborted transaction",
              operation: "commit"
            })
          })
        )
      : Effect.void
  )

/**
 * Counts the caller as waiting for the session until `admitted` runs (where it got the permit) or
 * it gives up (an interruption while queued).
 */
const waitingFor = <A, E, R>(
  usage: PgliteSession["usage"],
  use: (admitted: Effect.Effect<void>) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    usage.waiting++
    let counted = true
    const admitted = Effect.sync(() => {
      if (counted) {
        counted = false
        usage.waiting--
      }
    })
    return Effect.ensuring(use(admitted), admitted)
  })

/** A SqlClient over an open PGlite, on `options.searchPath`, sharing the instance's permit. */
export const makePgliteClient = Effect.fnUntraced(function* (
  db: PGlite,
  options: PgliteClientOptions = {}
): Effect.fn.Return<SqlClient.SqlClient, InvalidSearchPath, Reactivity.Reactivity> {
  const session = pgliteSession(db)
  const setSearchPath = yield* searchPathStatement(options.searchPath)
  const prepare = ensureSearchPath(session, setSearchPath)
  const release = abandonTransaction(session)

  const usage = session.usage
  const busy = Effect.sync(() => {
    usage.busy++
  })
  const idle = Effect.sync(() => {
    usage.busy--
  })
  const withPermit = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    waitingFor(usage, (admitted) =>
      session.semaphore.withPermit(
        Effect.andThen(
          Effect.andThen(admitted, busy),
          Effect.ensuring(Effect.andThen(prepare, effect), Effect.andThen(release, idle))
        )
      )
    )
  const leased = makeConnection(session, options.parsers, (effect) => effect)
  const perStatement = makeConnection(session, options.parsers, withPermit)

  const lease: SqlConnection.Acquirer = Effect.uninterruptibleMask((restore) =>
    waitingFor(usage, (admitted) => Effect.andThen(restore(session.semaphore.takeScoped(1)), admitted)).pipe(
      Effect.andThen(busy),
      // Finalizers run in reverse: the rollback check runs before the permit returns.
      Effect.andThen(Effect.addFinalizer(() => idle)),
      Effect.andThen(Effect.addFinalizer(() => release)),
      Effect.andThen(prepare),
      Effect.as(leased)
    )
  )

  const transformJson = options.transformJson ?? true
  return yield* SqlClient.make({
    acquirer: Effect.succeed(perStatement),
    borrower: (f) => withPermit(f(leased)),
    transactionAcquirer: lease,
    compiler: PgClient.makeCompiler(options.transformQueryNames, transformJson),
    transformRows: options.transformResultNames
      ? Statement.defaultTransforms(options.transformResultNames, transformJson).array
      : undefined,
    driver: "pglite",
    commit: () => commit(session),
    isTransaction: () => !session.db.closed && session.db.isInTransaction(),
    releaseSavepoint: (name) => `RELEASE SAVEPOINT ${name}`,
    spanAttributes: [
      ...Object.entries(options.spanAttributes ?? {}),
      ["db.system.name", "postgresql"],
      ["db.namespace", options.searchPath ?? "public"]
    ]
  })
})

/** `SqlClient` for one tenant's schema on the shared instance. */
export const layerPglite = (
  session: PgliteSession,
  options: PgliteClientOptions = {}
): Layer.Layer<SqlClient.SqlClient, InvalidSearchPath> =>
  Layer.effect(SqlClient.SqlClient, makePgliteClient(session.db, options)).pipe(Layer.provide(Reactivity.layer))
