import { PgClient } from "@effect/sql-pg"
import { Effect, ManagedRuntime, Redacted } from "effect"

/**
 * What every table of a PostgreSQL database holds, as one digest per table, read on a connection
 * of its own: comparing two snapshots says which tables a request changed. Records the service
 * keeps by design even for a refused request are left out (whole tables, or columns of rows).
 */
export interface SnapshotExemptions {
  /** Tables whose rows may change on a refused request, by name in any schema. */
  readonly tables: ReadonlySet<string>
  /** Columns left out of every row that has them. */
  readonly columns: ReadonlyArray<string>
}

export type Snapshot = ReadonlyMap<string, string>

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`
const quoteLiteral = (text: string) => `'${text.replaceAll("'", "''")}'`

export const makeDatabaseSnapshots = (url: string, exempt: SnapshotExemptions) => {
  const runtime = ManagedRuntime.make(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 }))
  const query = <A extends object>(text: string) =>
    runtime.runPromise(
      Effect.gen(function* () {
        return yield* (yield* PgClient.PgClient).unsafe<A>(text)
      })
    )
  const dropped = `ARRAY[${exempt.columns.map(quoteLiteral).join(", ")}]::text[]`

  const take = async (): Promise<Snapshot> => {
    const tables = await query<{ table_schema: string; table_name: string }>(
      `SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 1, 2`
    )
    const digests = tables
      .filter((t) => !exempt.tables.has(t.table_name))
      .map((t) => {
        const name = `${t.table_schema}.${t.table_name}`
        const row = `(to_jsonb(r) - ${dropped})::text`
        return `SELECT ${quoteLiteral(name)} AS name, count(*)::text || ':' || md5(coalesce(string_agg(${row}, E'\\n' ORDER BY ${row}), '')) AS digest FROM ${quoteIdent(t.table_schema)}.${quoteIdent(t.table_name)} r`
      })
    if (digests.length === 0) return new Map()
    const rows = await query<{ name: string; digest: string }>(digests.join("\nUNION ALL\n"))
    return new Map(rows.map((r) => [r.name, r.digest]))
  }

  /** The tables whose digest differs (or that appeared or went). */
  const changed = (before: Snapshot, after: Snapshot) =>
    [...new Set([...before.keys(), ...after.keys()])].filter((name) => before.get(name) !== after.get(name))

  /** A snapshot once two taken `gapMs` apart agree (background work settled), within `withinMs`. */
  const settled = async (gapMs = 40, withinMs = 3_000): Promise<Snapshot> => {
    const started = Date.now()
    let previous = await take()
    for (;;) {
      await new Promise((done) => setTimeout(done, gapMs))
      const next = await take()
      if (changed(previous, next).length === 0 || Date.now() - started > withinMs) return next
      previous = next
    }
  }

  return { take, changed, settled, close: () => runtime.dispose() }
}
