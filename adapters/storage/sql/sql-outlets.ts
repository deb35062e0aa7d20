import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { Outlets, type StoreRow } from "../../../application/ports/catalog.ts"
import { batchInsert, byIds, lastByKey } from "./sql-batch.ts"
import { type StoreDbRow, storeColumns, toStore } from "./sql-catalog-rows.ts"
import { storageFailure } from "./sql-errors.ts"

const storeSelect = `
  SELECT s.*, c.identifiers, coalesce(st.busy_mode, 'ONLINE') AS busy_mode
  FROM stores s LEFT JOIN store_credentials c ON c.store_id = s.id LEFT JOIN store_status st ON st.store_id = s.id`

/** A tenant's outlets: stores, and the store_credentials beside them. */
export const makeSqlOutlets = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const writeStores = batchInsert(
    sql,
    "stores",
    `id text, provider text, external_id text, name text, active boolean, currency text, timezone text,
     country text, address text, postal_code text, phone text, tax_inclusive boolean, service_hours jsonb,
     account_id text, created_at timestamptz, updated_at timestamptz`,
    ["id"],
    storeColumns
  )
  // Only the identifiers: the secrets column is the operator's, and a sync never touches it.
  const writeIdentifiers = batchInsert(
    sql,
    "store_credentials",
    "store_id text, identifiers jsonb, updated_at timestamptz",
    ["store_id"],
    (row: StoreRow, iso) => ({ store_id: row.id, identifiers: row.identifiers, updated_at: iso(row.updatedAt) })
  )
  return Outlets.of({
    findByExternalIds: (provider, externalIds) =>
      byIds(
        externalIds,
        (chunk) =>
          sql<StoreDbRow>`${sql.literal(storeSelect)}
            WHERE s.provider = ${provider} AND s.external_id = ANY(${chunk}::text[]) ORDER BY s.id`
      ).pipe(
        Effect.map((rows) => rows.map(toStore)),
        storageFailure("find outlets")
      ),
    save: (rows) => {
      const stores = lastByKey(rows, (r) => r.id)
      return sql
        .withTransaction(Effect.andThen(writeStores(stores), writeIdentifiers(stores)))
        .pipe(storageFailure("save outlets"))
    },
    get: (id) =>
      sql<StoreDbRow>`${sql.literal(storeSelect)} WHERE s.id = ${id}`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : toStore(rows[0]))),
        storageFailure("get outlet")
      ),
    list: ({ cursor, limit, includeInactive }) =>
      sql<StoreDbRow>`${sql.literal(storeSelect)}
        WHERE ${sql.and([
          ...(cursor === null ? [] : [sql`s.id > ${cursor}`]),
          ...(includeInactive ? [] : ["s.active"])
        ])}
        ORDER BY s.id LIMIT ${limit}`.pipe(
        Effect.map((rows) => rows.map(toStore)),
        storageFailure("list outlets")
      )
  })
})

export const layerSqlOutlets = Layer.effect(Outlets, makeSqlOutlets)
