import { Effect } from "effect"
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
const chunkRows = 5000
const maxChunkChars = 8 * 1024 * 1024
export const readChunk = 20_000

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

/** The column types a batch may carry; an array column (`text[]`) travels as a literal per row. */
type ColumnType = "text" | "integer" | "bigint" | "boolean" | "timestamptz" | "jsonb" | "text[]"

interface Column {
  readonly name: string
  readonly type: ColumnType
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

const parseColumns = (columns: string): ReadonlyArray<Column> =>
  columns.split(",").map((declaration) => {
    const [name, ...rest] = declaration.trim().split(/\s+/)
    const type = rest.join(" ")
    if (name === undefined || !columnTypes.has(type)) throw new Error(`batch column not supported: ${declaration}`)
    return { name, type: type as ColumnType }
  })

/** An element of an array literal: double-quoted, with `"` and `\` escaped (the only two that need it). */
const quoted = (text: string): string =>
  text.includes('"') || text.includes("\\") ? `"${text.replace(/["\\]/g, "\\$&")}"` : `"${text}"`

const textArray = (values: ReadonlyArray<unknown>): string => {
  let out = "{"
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ","
    const v = values[i]
    out += v === null || v === undefined ? "NULL" : quoted(String(v))
  }
  return `${out}}`
}

/** A value as PostgreSQL reads it from text, for its column's type; null stays null. */
const scalar = (type: ColumnType, value: unknown): string | null => {
  if (value === null || value === undefined) return null
  switch (type) {
    case "boolean":
      return value ? "t" : "f"
    case "jsonb":
      return JSON.stringify(value)
    case "text[]":
      return textArray(value as ReadonlyArray<unknown>)
    default:
      return String(value)
  }
}

/** One column of a chunk as an array literal. */
const columnArray = (type: ColumnType, name: string, rows: ReadonlyArray<Record<string, unknown>>): string => {
  const numeric = type === "integer" || type === "bigint" || type === "boolean"
  let out = "{"
  for (let i = 0; i < rows.length; i++) {
    if (i > 0) out += ","
    const text = scalar(type, rows[i]![name])
    out += text === null ? "NULL" : numeric ? text : quoted(text)
  }
  return `${out}}`
}

/** The same value on every row (encoded rows hold primitives, or fresh arrays and objects). */
const uniform = (type: ColumnType, name: string, rows: ReadonlyArray<Record<string, unknown>>): boolean => {
  if (rows.length < 2 || type === "jsonb" || type === "text[]") return false
  const first = rows[0]![name]
  for (let i = 1; i < rows.length; i++) if (rows[i]![name] !== first) return false
  return true
}

interface EncodedChunk {
  /** Which columns are scalars, as a key for the statement text. */
  readonly shape: string
  readonly params: ReadonlyArray<string | null>
  readonly chars: number
}

const encodeChunk = (columns: ReadonlyArray<Column>, rows: ReadonlyArray<Record<string, unknown>>): EncodedChunk => {
  let flags = columns.map((c) => uniform(c.type, c.name, rows))
  // unnest needs one array at least (a chunk of one row, or of identical rows).
  if (flags.every(Boolean)) flags = flags.map((_, i) => i !== 0)
  const params: Array<string | null> = []
  let chars = 0
  columns.forEach((c, i) => {
    const param = flags[i] ? scalar(c.type, rows[0]![c.name]) : columnArray(c.type, c.name, rows)
    chars += param?.length ?? 0
    params.push(param)
  })
  return { shape: flags.map((f) => (f ? "1" : "0")).join(""), params, chars }
}

/** The chunk's rows, encoded, split in halves until each part is at most `maxChunkChars`. */
const encodeParts = (
  columns: ReadonlyArray<Column>,
  rows: ReadonlyArray<Record<string, unknown>>
): Array<EncodedChunk> => {
  const chunk = encodeChunk(columns, rows)
  if (chunk.chars <= maxChunkChars || rows.length === 1) return [chunk]
  const half = Math.ceil(rows.length / 2)
  return [...encodeParts(columns, rows.slice(0, half)), ...encodeParts(columns, rows.slice(half))]
}

/**
 * A batched insert of rows encoded as objects keyed by column name (`columns` declares each name
 * and type; the SQL text is built from constants, never from data), an upsert on `key`.
 *
 * Each chunk is first a plain INSERT in a savepoint, which the server does in about two thirds of
 * the time of an upsert; the first chunk that meets a row already there (a unique violation) is
 * rolled back to its savepoint and redone as an upsert, as is every later chunk of the call. A
 * first sync of new rows thus never pays for the upsert, a sync over existing rows pays for one
 * failed chunk at most. Without a key, rows are plain inserts. The next chunk is encoded while the
 * database works on the current one; the statements themselves run one after the other, as the
 * savepoints require.
 */
export const batchInsert = <T>(
  sql: SqlClient.SqlClient,
  table: string,
  columns: string,
  key: ReadonlyArray<string>,
  encode: (row: T, iso: Iso) => object
) => {
  const declared = parseColumns(columns)
  const names = declared.map((c) => c.name).join(", ")
  const conflict =
    key.length === 0
      ? ""
      : ` ON CONFLICT (${key.join(", ")}) DO UPDATE SET ${declared
          .filter((c) => !key.includes(c.name))
          .map((c) => `${c.name} = excluded.${c.name}`)
          .join(", ")}`
  const statements = new Map<string, { readonly insert: string; readonly upsert: string }>()
  const statementFor = (shape: string) => {
    let statement = statements.get(shape)
    if (statement === undefined) {
      const arrays: Array<string> = []
      const selected = declared.map((c, i) => {
        const param = `$${i + 1}::${c.type}`
        if (shape[i] === "1") return param
        const alias = `c${arrays.length}`
        // A text[] column travels as a text[] of array literals, one per row.
        arrays.push(c.type === "text[]" ? `$${i + 1}::text[]` : `${param}[]`)
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
  return (rows: ReadonlyArray<T>): Effect.Effect<void, SqlError.SqlError> =>
    Effect.suspend(() => {
      let upsert = false
      const write = (chunk: EncodedChunk) => {
        const { insert, upsert: upsertText } = statementFor(chunk.shape)
        if (key.length === 0) return Effect.asVoid(sql.unsafe(insert, chunk.params))
        if (upsert) return Effect.asVoid(sql.unsafe(upsertText, chunk.params))
        return sql.withTransaction(Effect.asVoid(sql.unsafe(insert, chunk.params))).pipe(
          Effect.catchReason("SqlError", "UniqueViolation", () => {
            upsert = true
            return Effect.asVoid(sql.unsafe(upsertText, chunk.params))
          })
        )
      }
      const chunks = chunksOf(rows, chunkRows)
      const encode_ = (index: number): Array<EncodedChunk> => {
        const chunk = chunks[index]
        if (chunk === undefined) return []
        const iso = makeIso()
        return encodeParts(
          declared,
          chunk.map((row) => encode(row, iso) as Record<string, unknown>)
        )
      }
      const step = (index: number, encoded: Array<EncodedChunk>): Effect.Effect<void, SqlError.SqlError> =>
        encoded.length === 0
          ? Effect.void
          : Effect.flatMap(
              // The database writes this chunk while the next one is encoded.
              Effect.all([Effect.forEach(encoded, write, { discard: true }), Effect.sync(() => encode_(index + 1))], {
                concurrency: 2
              }),
              ([, next]) => step(index + 1, next)
            )
      return step(0, encode_(0))
    })
}

/** Runs `query` for each chunk of ids and concatenates the rows. */
export const byIds = <T>(
  ids: ReadonlyArray<string>,
  query: (chunk: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<T>, SqlError.SqlError>
) => Effect.map(Effect.forEach(chunksOf([...new Set(ids)], readChunk), query), (results) => results.flat())
