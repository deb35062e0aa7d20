import { Effect } from "effect"
import type { SqlClient, SqlError } from "effect/sql"
import { type Iso, makeIso } from "./sql-catalog-rows.ts"

/**
 * A sync writes each table with one statement per chunk of rows. The chunk travels as ONE json
 * parameter that json_to_recordset expands: one bind parameter whatever the chunk's size
 * (PostgreSQL caps them at 65,535), and no per-column arrays (sql-pg cannot type an array of
 * nulls). A chunk is also cut at `maxChunkChars`, so wide rows (long descriptions) stay well under
 * the drivers' message sizes. Reads by id go by chunks of ids in `= ANY($1)`.
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
 * The rows as JSON arrays of about `maxChunkChars` characters at most: one JSON.stringify per
 * chunk (much faster than one per row), halving a chunk that turns out too large.
 */
const jsonChunks = (rows: ReadonlyArray<object>): Array<string> => {
  const json = JSON.stringify(rows)
  if (json.length <= maxChunkChars || rows.length === 1) return [json]
  const half = Math.ceil(rows.length / 2)
  return [...jsonChunks(rows.slice(0, half)), ...jsonChunks(rows.slice(half))]
}

/**
 * One row per key, the last one winning (as repeated writes to a map would), sorted by key: two
 * transactions that upsert overlapping rows (two outlets' syncs share the tenant's products) then
 * lock them in the same order, which rules out deadlocks between them.
 */
export const lastByKey = <T>(rows: ReadonlyArray<T>, key: (row: T) => string): Array<T> => {
  const byKey = new Map<string, T>()
  for (const row of rows) byKey.set(key(row), row)
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!)
}

/**
 * A batched insert (an upsert on `key`) of rows encoded as objects keyed by column name. The SQL
 * text is built once from constants, never from data. Two chunks are in flight: the next one is
 * encoded while the database works on the current one (on PostgreSQL the statements still run
 * one after the other on the transaction's connection; PGlite queues them).
 */
export const batchInsert = <T>(
  sql: SqlClient.SqlClient,
  table: string,
  columns: string,
  key: ReadonlyArray<string>,
  encode: (row: T, iso: Iso) => object
) => {
  const names = columns.split(",").map((c) => c.trim().split(/\s+/)[0]!)
  const conflict =
    key.length === 0
      ? ""
      : ` ON CONFLICT (${key.join(", ")}) DO UPDATE SET ${names
          .filter((n) => !key.includes(n))
          .map((n) => `${n} = excluded.${n}`)
          .join(", ")}`
  const text = `INSERT INTO ${table} (${names.join(", ")})
    SELECT ${names.join(", ")} FROM json_to_recordset($1::json) AS x(${columns})${conflict}`
  return (rows: ReadonlyArray<T>) =>
    Effect.forEach(
      chunksOf(rows, chunkRows),
      (chunk) =>
        Effect.suspend(() => {
          const iso = makeIso()
          const encoded = chunk.map((row) => encode(row, iso))
          return Effect.forEach(jsonChunks(encoded), (json) => sql.unsafe(text, [json]), { discard: true })
        }),
      { discard: true, concurrency: 2 }
    )
}

/** Runs `query` for each chunk of ids and concatenates the rows. */
export const byIds = <T>(
  ids: ReadonlyArray<string>,
  query: (chunk: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<T>, SqlError.SqlError>
) => Effect.map(Effect.forEach(chunksOf([...new Set(ids)], readChunk), query), (results) => results.flat())
