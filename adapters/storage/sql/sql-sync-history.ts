import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { SyncHistory } from "../../../application/ports/catalog.ts"
import { type SyncDbRow, toSync } from "./sql-catalog-rows.ts"
import { storageFailure } from "./sql-errors.ts"

/** What each sync did. Sync ids sort by start time, so newest first is by id, descending. */
export const makeSqlSyncHistory = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  return SyncHistory.of({
    record: (sync) =>
      sql`
        INSERT INTO syncs (id, kind, provider, source, store_id, status, counts, error, fingerprint, callback_url,
                           pushed_outlets, started_at, finished_at)
        VALUES (${sync.id}, ${sync.kind}, ${sync.provider}, ${sync.source}, ${sync.storeId}, ${sync.status},
                ${JSON.stringify(sync.counts)}::jsonb, ${sync.error}, ${sync.fingerprint}, ${sync.callbackUrl},
                ${sync.pushedOutlets}, ${sync.startedAt}, ${sync.finishedAt})
        ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, provider = excluded.provider, source = excluded.source,
          store_id = excluded.store_id, status = excluded.status, counts = excluded.counts,
          error = excluded.error, fingerprint = excluded.fingerprint, callback_url = excluded.callback_url,
          pushed_outlets = excluded.pushed_outlets,
          started_at = excluded.started_at, finished_at = excluded.finished_at`.pipe(
        Effect.asVoid,
        storageFailure("record sync")
      ),
    get: (id) =>
      sql<SyncDbRow>`SELECT * FROM syncs WHERE id = ${id}`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : toSync(rows[0]))),
        storageFailure("get sync")
      ),
    list: ({ storeId, cursor, limit }) =>
      sql<SyncDbRow>`
        SELECT * FROM syncs
        WHERE ${sql.and([
          ...(storeId === null ? [] : [sql`store_id = ${storeId}`]),
          ...(cursor === null ? [] : [sql`id < ${cursor}`])
        ])}
        ORDER BY id DESC LIMIT ${limit}`.pipe(
        Effect.map((rows) => rows.map(toSync)),
        storageFailure("list syncs")
      ),
    withFingerprint: (fingerprint) =>
      sql<SyncDbRow>`
        SELECT * FROM syncs
        WHERE fingerprint = ${fingerprint} AND kind = 'products' AND status = 'succeeded'
        ORDER BY id DESC LIMIT 100`.pipe(
        Effect.map((rows) => rows.map(toSync)),
        storageFailure("find syncs by fingerprint")
      )
  })
})

export const layerSqlSyncHistory = Layer.effect(SyncHistory, makeSqlSyncHistory)
