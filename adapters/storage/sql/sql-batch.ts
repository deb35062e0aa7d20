import { Effect, Fiber } from "effect"
import type { SqlClient, SqlError } from "effect/sql"
import { type Iso, makeIso } from "./sql-catalog-rows.ts"

/**
 * A sync writes each table with one statement per chunk of rows. Each column of a chunk travels as
 * ONE bind parameter, a PostgreSQL array literal built here (`{"a","b",NULL}`) that `unnest`
 * expands: a handful of parameters whatever the chunk's size (PostgreSQL caps them at 65,535), no
 * typing of JS arrays by the driver (sql-pg cannot type an array of nulls), and about half the
 * server's work of expanding the same rows from one JSON document (measured). A column whose value
 * is the same on every row of the chunk (the provider, the sync's instant) is one scalar. A chunk is
 * also cut at `maxChunkChars`, so wide rows (long descriptions) stay well under the drivers' message
 * sizes. Reads by id go by chunks of ids in `= ANY($1)`.
 */
const chunkRows = 20_000
const maxChunkChars = 8 * 1024 * 1024
export const readChunk = 50_000

export const chunksOf = <T>(rows: ReadonlyArray<T>, size: number): Array<ReadonlyArray<T>> => {
  const chunks: Array<ReadonlyArray<T>> = []
  for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size))
  return chunks
}

/**
 * One row per key, the last one winning (as repeated writes to a map would), sorted by key: two
 * transactions that write overlapping rows (two outlets' syncs share the tenant's products) then
 * lock them in the same order, which rules out deadlocks between them.
 */
export const lastByKey = <T>(rows: ReadonlyArray<T>, key: (row: T) => string): Array<T> => {
  const byKey = new Map<string, T>()
  for (const row of rows) byKey.set(key(row), row)
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!)
}

/** The column types a batch may carry. */
export type ColumnType = "text" | "integer" | "bigint" | "boolean" | "timestamptz" | "jsonb" | "text[]"

/**
 * A column of a batch: its name, its type, and its value in a row (a Date for timestamptz, an
 * array of strings for text[], any JSON value for jsonb, null for NULL).
 */
export interface BatchColumn<T> {
  readonly name: string
  readonly type: ColumnType
  readonly value: (row: T) => unknown
}

const columnTypes: ReadonlySet<string> = new Set<ColumnType>([
  "text",
  "integer",
  "bigint",
  "boolean",
  "timestamptz",
  "jsonb",
  "text[]"
])

/** `"id text, price bigint"` as columns read from objects keyed by column name. */
const objectColumns = (columns: string): ReadonlyArray<BatchColumn<Record<string, unknown>>> =>
  columns.split(",").map((declaration) => {
    const [name, ...rest] = declaration.trim().split(/\s+/)
    const type = rest.join(" ")
    if (name === undefined || !columnTypes.has(type)) throw new Error(`batch column not supported: ${declaration}`)
    return { name, type: type as ColumnType, value: (row) => row[name] }
  })

/** An element of an array literal: double-quoted, with `"` and `\` escaped (the only two that need it). */
const quoted = (text: string): string =>
  text.includes('"') || text.includes("\\") ? `"${text.replace(/["\\]/g, "\\$&")}"` : `"${text}"`

/**
 * Whether an element of an array literal must be quoted: empty, `NULL` in any case, or holding a
 * brace, quote, comma, backslash or white space (PostgreSQL "Array Value Input").
 */
const needsQuotes = (text: string): boolean =>
  text.length === 0 || /[{}",\\\s]/.test(text) || (text.length === 4 && text.toUpperCase() === "NULL")

/**
 * A `text[]` literal. Its elements are quoted only where needed: a text[] column travels as an
 * element of an outer literal, where every quote inside must be escaped, and ids never need any.
 */
export const textArray = (values: ReadonlyArray<unknown>): string => {
  let out = "{"
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ","
    const v = values[i]
    if (v === null || v === undefined) out += "NULL"
    else {
      const text = String(v)
      out += needsQuotes(text) ? quoted(text) : text
    }
  }
  return `${out}}`
}

/** A (non-null) value as PostgreSQL reads it from text, for its column's type. */
const textOf = (type: ColumnType, value: unknown, iso: Iso): string => {
  switch (type) {
    case "text":
      return typeof value === "string" ? value : String(value)
    case "boolean":
      return value ? "t" : "f"
    case "timestamptz":
      return value instanceof Date ? iso(value)! : String(value)
    case "jsonb":
      return JSON.stringify(value)
    case "text[]":
      return textArray(value as ReadonlyArray<unknown>)
    default:
      return String(value)
  }
}

/** One column of a chunk as an array literal; numbers and booleans need no quotes. */
const columnArray = (type: ColumnType, values: ReadonlyArray<unknown>, iso: Iso): string => {
  let out = "{"
  if (type === "text") {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]
      out += `${i === 0 ? "" : ","}${v === null || v === undefined ? "NULL" : quoted(typeof v === "string" ? v : String(v))}`
    }
  } else if (type === "integer" || type === "bigint" || type === "boolean") {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]
      out += `${i === 0 ? "" : ","}${v === null || v === undefined ? "NULL" : textOf(type, v, iso)}`
    }
  } else {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]
      out += `${i === 0 ? "" : ","}${v === null || v === undefined ? "NULL" : quoted(textOf(type, v, iso))}`
    }
  }
  return `${out}}`
}

const sameValue = (a: unknown, b: unknown): boolean =>
  a === b || (a instanceof Date && b instanceof Date && a.getTime() === b.getTime())

/** The same value on every row: sent once, as a scalar (arrays and JSON are not compared). */
const uniform = (type: ColumnType, values: ReadonlyArray<unknown>): boolean => {
  if (values.length < 2 || type === "jsonb" || type === "text[]") return false
  const first = values[0]
  for (let i = 1; i < values.length; i++) if (!sameValue(values[i], first)) return false
  return true
}

interface EncodedChunk {
  /** Which columns are scalars, as a key for the statement text. */
  readonly shape: string
  readonly params: ReadonlyArray<string | null>
  readonly chars: number
}

const encodeChunk = <T>(columns: ReadonlyArray<BatchColumn<T>>, rows: ReadonlyArray<T>): EncodedChunk => {
  const iso = makeIso()
  const values = columns.map((c) => rows.map(c.value))
  let flags = columns.map((c, i) => uniform(c.type, values[i]!))
  // unnest needs one array at least (a chunk of one row, or of identical rows).
  if (flags.every(Boolean)) flags = flags.map((_, i) => i !== 0)
  const params: Array<string | null> = []
  let chars = 0
  columns.forEach((c, i) => {
    const column = values[i]!
    const first = column[0]
    const param = !flags[i]
      ? columnArray(c.type, column, iso)
      : first === null || first === undefined
        ? null
        : textOf(c.type, first, iso)
    chars += param?.length ?? 0
    params.push(param)
  })
  return { shape: flags.map((f) => (f ? "1" : "0")).join(""), params, chars }
}

/** The chunk's rows, encoded, split in halves until each part is at most `maxChunkChars`. */
const encodeParts = <T>(columns: ReadonlyArray<BatchColumn<T>>, rows: ReadonlyArray<T>): Array<EncodedChunk> => {
  const chunk = encodeChunk(columns, rows)
  if (chunk.chars <= maxChunkChars || rows.length === 1) return [chunk]
  const half = Math.ceil(rows.length / 2)
  return [...encodeParts(columns, rows.slice(0, half)), ...encodeParts(columns, rows.slice(half))]
}

interface Statement {
  readonly insert: string
  readonly upsert: string
}

/** One statement's worth of rows, encoded, and which step of `writeBatches` it belongs to. */
interface Part {
  readonly step: number
  readonly chunk: EncodedChunk
  readonly statement: Statement
  /** Whether the table has a key to upsert on. */
  readonly keyed: boolean
}

/** A table's rows as a step of `writeBatches`: the rows are asked for when the step starts. */
export interface BatchStep {
  readonly parts: (step: number) => Iterable<Part>
}

/**
 * A table's batched insert, an upsert on `key` (the SQL text is built from constants, never from
 * data): `write` runs it alone, `of` makes it a step of `writeBatches`.
 */
export interface BatchWriter<T> {
  readonly write: (rows: ReadonlyArray<T>) => Effect.Effect<void, SqlError.SqlError>
  readonly of: (rows: () => ReadonlyArray<T>) => BatchStep
}

export const batchWriter = <T>(
  sql: SqlClient.SqlClient,
  table: string,
  columns: ReadonlyArray<BatchColumn<T>>,
  key: ReadonlyArray<string>
): BatchWriter<T> => {
  const names = columns.map((c) => c.name).join(", ")
  const conflict =
    key.length === 0
      ? ""
      : ` ON CONFLICT (${key.join(", ")}) DO UPDATE SET ${columns
          .filter((c) => !key.includes(c.name))
          .map((c) => `${c.name} = excluded.${c.name}`)
          .join(", ")}`
  const statements = new Map<string, Statement>()
  const statementFor = (shape: string) => {
    let statement = statements.get(shape)
    if (statement === undefined) {
      const arrays: Array<string> = []
      const selected = columns.map((c, i) => {
        if (shape[i] === "1") return `$${i + 1}::${c.type}`
        const alias = `c${arrays.length}`
        // A text[] column travels as a text[] of array literals, one per row.
        arrays.push(c.type === "text[]" ? `$${i + 1}::text[]` : `$${i + 1}::${c.type}[]`)
        return c.type === "text[]" ? `x.${alias}::text[]` : `x.${alias}`
      })
      const aliases = arrays.map((_, i) => `c${i}`).join(", ")
      const insert = `INSERT INTO ${table} (${names})
        SELECT ${selected.join(", ")} FROM unnest(${arrays.join(", ")}) AS x(${aliases})`
      statement = { insert, upsert: insert + conflict }
      statements.set(shape, statement)
    }
    return statement
  }
  const of = (rows: () => ReadonlyArray<T>): BatchStep => ({
    *parts(step) {
      for (const chunk of chunksOf(rows(), chunkRows)) {
        for (const part of encodeParts(columns, chunk)) {
          yield { step, chunk: part, statement: statementFor(part.shape), keyed: key.length > 0 }
        }
      }
    }
  })
  return { of, write: (rows) => (rows.length === 0 ? Effect.void : writeBatches(sql, [of(() => rows)])) }
}

/**
 * Writes the steps' rows in order, one statement per chunk, in a transaction of its own or a
 * savepoint of the caller's.
 *
 * Each chunk is first a plain INSERT in a savepoint, which the server does in about two thirds of
 * the time of an upsert; the first chunk of a step that meets a row already there (a unique
 * violation) is rolled back to its savepoint and redone as an upsert, as is every later chunk of
 * that step. A first sync of new rows thus never pays for the upsert, a sync over existing rows pays
 * for one failed chunk per table at most. Rows of a table without a key are plain inserts.
 *
 * While the database works on one chunk, the next one is prepared: encoded, and at the end of a
 * step the next step's rows computed (sorting them, say). The statements themselves run one after
 * the other, as the savepoints require.
 */
export const writeBatches = (
  sql: SqlClient.SqlClient,
  steps: ReadonlyArray<BatchStep>
): Effect.Effect<void, SqlError.SqlError> =>
  sql.withTransaction(
    Effect.gen(function* () {
      const parts = (function* () {
        for (const [index, step] of steps.entries()) yield* step.parts(index)
      })()
      const upserting = new Set<number>()
      let current = parts.next()
      while (current.done !== true) {
        const { step, chunk, statement, keyed } = current.value
        let next: IteratorResult<Part> | undefined
        const prepareNext = () => {
          if (next === undefined) next = parts.next()
        }
        if (!keyed || upserting.has(step)) {
          yield* whilePreparing(sql.unsafe(keyed ? statement.upsert : statement.insert, chunk.params), prepareNext)
        } else {
          yield* sql.unsafe("SAVEPOINT batch_insert")
          const inserted = yield* whilePreparing(sql.unsafe(statement.insert, chunk.params), prepareNext).pipe(
            Effect.as(true),
            Effect.catchReason("SqlError", "UniqueViolation", () => Effect.succeed(false))
          )
          if (!inserted) {
            yield* sql.unsafe("ROLLBACK TO SAVEPOINT batch_insert")
            upserting.add(step)
          }
          yield* sql.unsafe("RELEASE SAVEPOINT batch_insert")
          if (!inserted) yield* sql.unsafe(statement.upsert, chunk.params)
        }
        prepareNext()
        current = next!
      }
    })
  )

/**
 * `batchWriter` for rows encoded as objects keyed by column name (timestamps as ISO strings), the
 * columns declared as in SQL: `"id text, updated_at timestamptz"`.
 */
export const batchInsert = <T>(
  sql: SqlClient.SqlClient,
  table: string,
  columns: string,
  key: ReadonlyArray<string>,
  encode: (row: T, iso: Iso) => object
) => {
  const writer = batchWriter(sql, table, objectColumns(columns), key)
  return (rows: ReadonlyArray<T>): Effect.Effect<void, SqlError.SqlError> =>
    Effect.suspend(() => {
      const iso = makeIso()
      return writer.write(rows.map((row) => encode(row, iso) as Record<string, unknown>))
    })
}

/** Runs a statement and, once it is on its way to the database, prepares the next one meanwhile. */
const whilePreparing = <A>(statement: Effect.Effect<A, SqlError.SqlError>, prepareNext: () => void) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(statement)
    yield* Effect.yieldNow
    prepareNext()
    return yield* Fiber.join(fiber)
  })

/**
 * Like `byIds`, each chunk as a `text[]` literal (one string parameter, for `= ANY($1::text[])`):
 * about half the driver's work of typing a large JS array.
 */
export const byIdLiterals = <T>(
  ids: ReadonlyArray<string>,
  query: (chunk: string) => Effect.Effect<ReadonlyArray<T>, SqlError.SqlError>
) => byIds(ids, (chunk) => query(textArray(chunk)))

/** Runs `query` for each chunk of ids and concatenates the rows. */
export const byIds = <T>(
  ids: ReadonlyArray<string>,
  query: (chunk: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<T>, SqlError.SqlError>
) => Effect.map(Effect.forEach(chunksOf([...new Set(ids)], readChunk), query), (results) => results.flat())
