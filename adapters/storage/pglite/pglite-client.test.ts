import { expect, layer } from "@effect/vitest"
import { Deferred, Effect, Ref, String as Str, Stream } from "effect"
import { Reactivity } from "effect/reactivity"
import type { SqlClient } from "effect/sql"
import { makePgliteClient, Pglite, type PgliteClientOptions } from "./pglite-client.ts"

// One in-memory PGlite for the whole file: starting one takes ~3 s and ~400 MB.
const client = (options: PgliteClientOptions = {}) =>
  Effect.gen(function* () {
    const session = yield* Pglite
    return yield* makePgliteClient(session.db, options)
  }).pipe(Effect.provide(Reactivity.layer))

const withSchema = Effect.fnUntraced(function* (schema: string, ddl: string) {
  const admin = yield* client()
  yield* admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`).unprepared
  const sql = yield* client({ searchPath: schema })
  yield* sql.unsafe(ddl).unprepared
  return sql
})

// Live services: the isolation test needs a real clock.
layer(Pglite.layer(), { timeout: "60 seconds", excludeTestServices: true })("pglite-client", (it) => {
  it.effect("selects with parameters and PostgreSQL types", () =>
    Effect.gen(function* () {
      const sql = yield* client()
      const rows = yield* sql<{ a: number; b: string }>`SELECT ${41}::int + 1 AS a, ${"x"}::text AS b`
      expect(rows).toEqual([{ a: 42, b: "x" }])

      const [typed] = yield* sql<Record<string, unknown>>`
        SELECT 1::int8 AS small, 9007199254740993::int8 AS big, ARRAY[1, 2]::int8[] AS arr,
               '2024-01-02T03:04:05Z'::timestamptz AS ts, ${{ k: [1] }}::jsonb AS j, 1.50::numeric AS n`
      expect(typed).toEqual({
        small: 1n,
        big: 9007199254740993n,
        arr: [1n, 2n],
        ts: new Date("2024-01-02T03:04:05Z"),
        j: { k: [1] },
        n: "1.50"
      })

      expect(yield* sql`SELECT 1 AS a, 'b' AS b`.values).toEqual([[1, "b"]])
      expect(yield* sql`SELECT 1 AS a, 'b' AS b`.valuesUnprepared).toEqual([[1, "b"]])
    })
  )

  it.effect("round-trips rows in a schema through searchPath", () =>
    Effect.gen(function* () {
      const sql = yield* withSchema("tenant_rt", "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)")
      yield* sql`INSERT INTO items ${sql.insert({ id: 1, name: "one" })}`
      expect(yield* sql`SELECT id, name FROM items`).toEqual([{ id: 1, name: "one" }])
      expect(yield* sql`SHOW search_path`).toEqual([{ search_path: "tenant_rt" }])
      // The table really lives in the schema, not in public.
      const admin = yield* client()
      expect(yield* admin`SELECT name FROM tenant_rt.items`).toEqual([{ name: "one" }])
      expect(yield* admin`SHOW search_path`).toEqual([{ search_path: "public" }])
    })
  )

  it.effect("keeps two tenants apart under 100 interleaved concurrent statements", () =>
    Effect.gen(function* () {
      const ddl = "CREATE TABLE t (id serial PRIMARY KEY, tenant text NOT NULL)"
      const a = yield* withSchema("tenant_a", ddl)
      const b = yield* withSchema("tenant_b", ddl)
      const work = (sql: SqlClient.SqlClient, tenant: string) =>
        Effect.gen(function* () {
          yield* sql`INSERT INTO t (tenant) VALUES (${tenant})`
          const rows = yield* sql<{ tenant: string }>`SELECT tenant FROM t`
          return rows.every((row) => row.tenant === tenant)
        })
      const ops = Array.from({ length: 50 }, () => [work(a, "a"), work(b, "b")]).flat()
      const results = yield* Effect.all(ops, { concurrency: "unbounded" })
      expect(results.every(Boolean)).toBe(true)
      expect(yield* a<{ n: bigint }>`SELECT count(*) AS n FROM t WHERE tenant = 'a'`).toEqual([{ n: 50n }])
      expect(yield* b<{ n: bigint }>`SELECT count(*) AS n FROM t`).toEqual([{ n: 50n }])
    })
  )

  it.effect("rolls back a failed transaction", () =>
    Effect.gen(function* () {
      const sql = yield* withSchema("tenant_tx", "CREATE TABLE t (id int PRIMARY KEY)")
      const error = yield* sql
        .withTransaction(Effect.andThen(sql`INSERT INTO t VALUES (1)`, Effect.fail("boom" as const)))
        .pipe(Effect.flip)
      expect(error).toBe("boom")
      expect(yield* sql`SELECT id FROM t`).toEqual([])
      yield* sql.withTransaction(sql`INSERT INTO t VALUES (2)`)
      expect(yield* sql`SELECT id FROM t`).toEqual([{ id: 2 }])
    })
  )

  it.effect("does not let a concurrent fiber see another fiber's open transaction", () =>
    Effect.gen(function* () {
      const sql = yield* withSchema("tenant_iso", "CREATE TABLE t (id int PRIMARY KEY)")
      const other = yield* client({ searchPath: "tenant_iso" })
      const inserted = yield* Deferred.make<void>()
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const writer = sql
        .withTransaction(
          Effect.gen(function* () {
            yield* sql`INSERT INTO t VALUES (1)`
            yield* Deferred.succeed(inserted, undefined)
            yield* Effect.sleep("100 millis")
            return yield* Effect.fail("rollback" as const)
          })
        )
        .pipe(Effect.flip, Effect.ensuring(Ref.update(log, (l) => [...l, "writer done"])))
      const reader = (via: SqlClient.SqlClient) =>
        Deferred.await(inserted).pipe(
          Effect.andThen(via<{ id: number }>`SELECT id FROM t`),
          Effect.tap(() => Ref.update(log, (l) => [...l, "read"]))
        )
      const [, sameClient, otherClient] = yield* Effect.all([writer, reader(sql), reader(other)], {
        concurrency: "unbounded"
      })
      expect(sameClient).toEqual([])
      expect(otherClient).toEqual([])
      expect(yield* Ref.get(log)).toEqual(["writer done", "read", "read"])
    })
  )

  it.effect("rolls back a nested transaction to its savepoint", () =>
    Effect.gen(function* () {
      const sql = yield* withSchema("tenant_sp", "CREATE TABLE t (id int PRIMARY KEY)")
      yield* sql.withTransaction(
        Effect.gen(function* () {
          yield* sql`INSERT INTO t VALUES (1)`
          const inner = yield* sql
            .withTransaction(Effect.andThen(sql`INSERT INTO t VALUES (2)`, Effect.fail("inner" as const)))
            .pipe(Effect.flip)
          expect(inner).toBe("inner")
          yield* sql.withTransaction(sql`INSERT INTO t VALUES (3)`)
        })
      )
      expect(yield* sql`SELECT id FROM t ORDER BY id`).toEqual([{ id: 1 }, { id: 3 }])
    })
  )

  it.effect("fails at COMMIT when the transaction was aborted by a swallowed error", () =>
    Effect.gen(function* () {
      const sql = yield* withSchema("tenant_ab", "CREATE TABLE t (id int PRIMARY KEY)")
      const error = yield* sql
        .withTransaction(
          Effect.gen(function* () {
            yield* sql`INSERT INTO t VALUES (1)`
            yield* sql`INSERT INTO t VALUES (1)`.pipe(
              Effect.catchReason("SqlError", "UniqueViolation", () => Effect.void)
            )
          })
        )
        .pipe(Effect.flip)
      expect(error.message).toContain("COMMIT rolled back")
      expect(yield* sql`SELECT id FROM t`).toEqual([])
    })
  )

  it.effect("maps a unique violation to the UniqueViolation reason", () =>
    Effect.gen(function* () {
      const sql = yield* withSchema("tenant_uv", "CREATE TABLE t (id int CONSTRAINT t_pk PRIMARY KEY)")
      yield* sql`INSERT INTO t VALUES (1)`
      const constraint = yield* sql`INSERT INTO t VALUES (1)`.pipe(
        Effect.as("inserted"),
        Effect.catchReason("SqlError", "UniqueViolation", (reason) => Effect.succeed(reason.constraint))
      )
      expect(constraint).toBe("t_pk")
      // Other constraint classes are not UniqueViolation.
      const error = yield* sql`INSERT INTO t VALUES (NULL)`.pipe(Effect.flip)
      expect(error.reason._tag).toBe("ConstraintError")
    })
  )

  it.effect("maps syntax and undefined-object errors to SqlSyntaxError", () =>
    Effect.gen(function* () {
      const sql = yield* client()
      const syntax = yield* sql`SELEC 1`.pipe(Effect.flip)
      expect(syntax.reason._tag).toBe("SqlSyntaxError")
      expect(syntax.message).toContain("syntax error")
      const missing = yield* sql`SELECT * FROM no_such_table`.pipe(Effect.flip)
      expect(missing.reason._tag).toBe("SqlSyntaxError")
    })
  )

  it.effect("refuses an invalid searchPath", () =>
    Effect.gen(function* () {
      for (const searchPath of ["Tenant", 'a"b', "a; DROP SCHEMA public", "", "1abc", "x".repeat(64)]) {
        const error = yield* client({ searchPath }).pipe(Effect.flip)
        expect(error._tag).toBe("InvalidSearchPath")
      }
      yield* client({ searchPath: "x".repeat(63) })
    })
  )

  it.effect("sets the search path again after a statement changed it", () =>
    Effect.gen(function* () {
      const sql = yield* withSchema("tenant_reset", "CREATE TABLE t (id int)")
      yield* sql`SET search_path TO public`
      expect(yield* sql`SHOW search_path`).toEqual([{ search_path: "tenant_reset" }])
    })
  )

  it.effect("streams rows while the consumer queries", () =>
    Effect.gen(function* () {
      const sql = yield* client()
      const doubled = yield* sql<{ n: number }>`SELECT generate_series(1, 3) AS n`.stream.pipe(
        Stream.mapEffect((row) => sql<{ d: number }>`SELECT ${row.n}::int * 2 AS d`),
        Stream.map(([row]) => row?.d),
        Stream.runCollect
      )
      expect(doubled).toEqual([2, 4, 6])
    })
  )

  it.effect("transforms result and query names", () =>
    Effect.gen(function* () {
      yield* withSchema("tenant_tf", "CREATE TABLE t (first_name text)")
      const sql = yield* client({
        searchPath: "tenant_tf",
        transformResultNames: Str.snakeToCamel,
        transformQueryNames: Str.camelToSnake
      })
      yield* sql`INSERT INTO t ${sql.insert({ firstName: "Ada" })}`
      expect(yield* sql`SELECT first_name FROM t`).toEqual([{ firstName: "Ada" }])
    })
  )

  it.effect("never leaves a transaction open past a lease", () =>
    Effect.gen(function* () {
      const { db } = yield* Pglite
      const sql = yield* client()
      yield* sql`BEGIN`
      expect(db.isInTransaction()).toBe(false)
      yield* Effect.scoped(Effect.flatMap(sql.reserve, (conn) => conn.executeRaw("BEGIN", [])))
      expect(db.isInTransaction()).toBe(false)
      const rows = yield* sql.withTransaction(sql<{ open: boolean }>`SELECT true AS open`)
      expect(rows).toEqual([{ open: true }])
      expect(db.isInTransaction()).toBe(false)
    })
  )
})
