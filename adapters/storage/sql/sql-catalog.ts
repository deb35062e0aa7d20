import { Clock, Duration, Effect, Layer, Semaphore } from "effect"
import { SqlClient, type Statement } from "effect/sql"
import { Catalog, type CatalogChanges, type ItemWithLink } from "../../../application/ports/catalog.ts"
import { StorageError, SyncInProgress } from "../../../domain/errors.ts"
import { bumpCatalogGeneration } from "./catalog-generation-migration.ts"
import {
  batchWriter,
  byIdLiterals,
  byIds,
  chunksOf,
  lastByKey,
  readChunk,
  textArray,
  writeBatches
} from "./sql-batch.ts"
import {
  type GroupDbRow,
  groupColumns,
  type ItemDbRow,
  inRequestOrder,
  itemColumns,
  type LinkDbRow,
  linkColumns,
  type MenuDbRow,
  menuColumns,
  type OptionDbRow,
  optionColumns,
  type SectionDbRow,
  sectionColumns,
  sectionWriteColumns,
  toGroup,
  toItem,
  toLink,
  toMenus,
  toOption
} from "./sql-catalog-rows.ts"
import { inTransaction, storageFailure } from "./sql-errors.ts"

export { layerSqlOutlets } from "./sql-outlets.ts"
export { layerSqlSyncHistory } from "./sql-sync-history.ts"

/**
 * The in-process half of the outlet lock: one semaphore per outlet of one tenant. It gives
 * SyncInProgress after the wait on PGlite, whose single session would otherwise queue a second
 * transaction behind the first with no timeout, and on PostgreSQL it keeps a waiting sync from
 * holding a pooled connection. The advisory lock then serialises syncs across processes.
 */
export interface StoreLocks {
  readonly of: (storeId: string) => Semaphore.Semaphore
}

export const makeStoreLocks = (): StoreLocks => {
  const locks = new Map<string, Semaphore.Semaphore>()
  return {
    of: (storeId) => {
      let lock = locks.get(storeId)
      if (lock === undefined) {
        lock = Semaphore.makeUnsafe(1)
        locks.set(storeId, lock)
      }
      return lock
    }
  }
}

/** A JSON array column (parsed by the driver, or its text). */
const jsonRows = <T>(value: unknown): ReadonlyArray<T> =>
  (typeof value === "string" ? JSON.parse(value) : (value ?? [])) as ReadonlyArray<T>

const byId = <T extends { readonly id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** A product joined with its link; the link's updated_at renamed, as the product has one too. */
interface ItemLinkDbRow extends ItemDbRow, Omit<LinkDbRow, "updated_at"> {
  readonly link_updated_at: unknown
}

/** A tenant's catalog. `locks` is shared by every Catalog opened for the same tenant. */
export const makeSqlCatalog = (locks: StoreLocks) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const writeItems = batchWriter(sql, "items", itemColumns, ["id"])
    const writeGroups = batchWriter(sql, "item_modifiers", groupColumns, ["id"])
    const writeOptions = batchWriter(sql, "item_modifier_options", optionColumns, ["id"])
    const writeLinks = batchWriter(sql, "item_store", linkColumns, ["store_id", "item_id"])
    const writeMenus = batchWriter(sql, "menus_v1", menuColumns, ["id"])
    const writeSections = batchWriter(sql, "menu_v1_sections", sectionWriteColumns, [])

    const menusWhere = (where: Statement.Fragment) =>
      Effect.gen(function* () {
        const menus = yield* sql<MenuDbRow>`SELECT * FROM menus_v1 WHERE ${where} ORDER BY id`
        const sections = yield* byIds(
          menus.map((m) => m.id),
          (chunk) => sql<SectionDbRow>`SELECT * FROM menu_v1_sections WHERE menu_id = ANY(${chunk}::text[])`
        )
        return toMenus(menus, sections)
      })

    const getItems = (ids: ReadonlyArray<string>) =>
      Effect.map(
        byIdLiterals(ids, (chunk) => sql<ItemDbRow>`SELECT * FROM items WHERE id = ANY(${chunk}::text[])`),
        (rows) => inRequestOrder(ids, rows.map(toItem), (r) => r.id)
      )
    const getGroups = (ids: ReadonlyArray<string>) =>
      Effect.map(
        byIdLiterals(ids, (chunk) => sql<GroupDbRow>`SELECT * FROM item_modifiers WHERE id = ANY(${chunk}::text[])`),
        (rows) => inRequestOrder(ids, rows.map(toGroup), (r) => r.id)
      )
    const getOptions = (ids: ReadonlyArray<string>) =>
      Effect.map(
        byIdLiterals(
          ids,
          (chunk) => sql<OptionDbRow>`SELECT * FROM item_modifier_options WHERE id = ANY(${chunk}::text[])`
        ),
        (rows) => inRequestOrder(ids, rows.map(toOption), (r) => r.id)
      )

    const apply = (changes: CatalogChanges) =>
      Effect.gen(function* () {
        // Referenced rows first: a link needs its item (and the outlet), a section its menu. Each
        // table's rows are sorted while the database writes the table before.
        // In the writing transaction: a reader that sees the old generation saw none of these rows' changes.
        yield* bumpCatalogGeneration(sql)
        yield* writeBatches(sql, [
          writeOptions.of(() => lastByKey(changes.options, (r) => r.id)),
          writeGroups.of(() => lastByKey(changes.groups, (r) => r.id)),
          writeItems.of(() => lastByKey(changes.items, (r) => r.id)),
          writeLinks.of(() => lastByKey(changes.itemStores, (r) => `${r.storeId}\u0000${r.itemId}`))
        ])
        const menus = lastByKey(changes.menus, (r) => r.id)
        if (menus.length === 0) return
        yield* writeMenus.write(menus)
        // A changed menu's tree is replaced whole: its sections carry no identity of their own.
        yield* Effect.forEach(
          chunksOf(
            menus.map((m) => m.id),
            readChunk
          ),
          (chunk) => sql`DELETE FROM menu_v1_sections WHERE menu_id = ANY(${chunk}::text[])`,
          { discard: true }
        )
        yield* writeSections.write(menus.flatMap(sectionColumns))
      })

    /** The cross-process half of the lock, in the transaction: PostgreSQL's advisory lock, waited for at most `ms`. */
    const advisoryLock = (storeId: string, ms: number) =>
      Effect.gen(function* () {
        const [previous] = yield* sql<{ readonly value: string }>`SELECT current_setting('lock_timeout') AS value`
        yield* sql`SELECT set_config('lock_timeout', ${`${Math.max(1, Math.ceil(ms))}ms`}, true)`
        // Keyed by schema too: tenants that share a database (a schema each) have separate outlets.
        yield* sql`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ${`:store:${storeId}`}))`.pipe(
          Effect.catchReason("SqlError", "LockTimeoutError", () =>
            Effect.fail(new SyncInProgress({ outletId: storeId }))
          )
        )
        // Back to the session's timeout: the sync's own row locks (products shared with another
        // outlet's sync) are not the outlet lock, and must not fail as if they were.
        yield* sql`SELECT set_config('lock_timeout', ${previous?.value ?? "0"}, true)`
      }).pipe(
        Effect.catchTag("SqlError", (cause) => Effect.fail(new StorageError({ operation: "lock outlet", cause })))
      )

    const inLockedTransaction = <A, E, R>(storeId: string, ms: number, effect: Effect.Effect<A, E, R>) =>
      inTransaction(sql, "outlet sync transaction")(Effect.andThen(advisoryLock(storeId, ms), effect))

    return Catalog.of({
      withStoreLock: (storeId, waitMs) => (effect) =>
        Effect.gen(function* () {
          const started = yield* Clock.currentTimeMillis
          const lock = locks.of(storeId)
          return yield* Effect.acquireUseRelease(
            lock.take(1).pipe(
              Effect.timeoutOrElse({
                duration: Duration.millis(waitMs),
                orElse: () => Effect.fail(new SyncInProgress({ outletId: storeId }))
              })
            ),
            () =>
              Effect.flatMap(Clock.currentTimeMillis, (now) =>
                inLockedTransaction(storeId, waitMs - (now - started), effect)
              ),
            () => lock.release(1)
          )
        }),
      loadState: (storeId, ids) =>
        Effect.all(
          {
            items: getItems(ids.items),
            groups: getGroups(ids.groups),
            options: getOptions(ids.options),
            itemStores: Effect.map(
              sql<LinkDbRow>`SELECT * FROM item_store WHERE store_id = ${storeId} ORDER BY item_id`,
              (rows) => rows.map(toLink)
            ),
            menus: menusWhere(sql.and([sql`store_id = ${storeId}`]))
            // Queued on the one connection together: each query's ids are encoded while the
            // database answers the one before.
          },
          { concurrency: "unbounded" }
        ).pipe(storageFailure("load catalog state")),
      apply: (changes) => sql.withTransaction(apply(changes)).pipe(storageFailure("apply catalog changes")),
      listItems: ({ storeId, updatedSince, includeInactive, cursor, limit }) => {
        if (storeId === null) {
          return sql<ItemDbRow>`
            SELECT i.* FROM items i
            WHERE ${sql.and([
              ...(cursor === null ? [] : [sql`i.id > ${cursor}`]),
              ...(updatedSince === null ? [] : [sql`i.updated_at >= ${updatedSince}`]),
              ...(includeInactive ? [] : ["EXISTS (SELECT 1 FROM item_store l WHERE l.item_id = i.id AND l.active)"])
            ])}
            ORDER BY i.id LIMIT ${limit}`.pipe(
            Effect.map((rows): ReadonlyArray<ItemWithLink> => rows.map((row) => ({ item: toItem(row), link: null }))),
            storageFailure("list items")
          )
        }
        return sql<ItemLinkDbRow>`
          SELECT i.*, l.item_id, l.store_id, l.price, l.tax_rate_ppm, l.tax_rates, l.snoozed_until, l.active,
                 l.updated_at AS link_updated_at
          FROM item_store l JOIN items i ON i.id = l.item_id
          WHERE ${sql.and([
            sql`l.store_id = ${storeId}`,
            ...(cursor === null ? [] : [sql`l.item_id > ${cursor}`]),
            ...(includeInactive ? [] : ["l.active"]),
            ...(updatedSince === null ? [] : [sql`GREATEST(i.updated_at, l.updated_at) >= ${updatedSince}`])
          ])}
          ORDER BY l.item_id LIMIT ${limit}`.pipe(
          Effect.map(
            (rows): ReadonlyArray<ItemWithLink> =>
              rows.map((row) => ({ item: toItem(row), link: toLink({ ...row, updated_at: row.link_updated_at }) }))
          ),
          storageFailure("list items")
        )
      },
      getItem: (id) =>
        sql<ItemDbRow>`SELECT * FROM items WHERE id = ${id}`.pipe(
          Effect.map((rows) => (rows[0] === undefined ? undefined : toItem(rows[0]))),
          storageFailure("get item")
        ),
      getItems: (ids) => getItems(ids).pipe(storageFailure("get items")),
      itemLinks: (itemIds) =>
        byIds(
          itemIds,
          (chunk) =>
            sql<LinkDbRow>`SELECT * FROM item_store WHERE item_id = ANY(${chunk}::text[]) ORDER BY item_id, store_id`
        ).pipe(
          Effect.map((rows) => rows.map(toLink)),
          storageFailure("item links")
        ),
      storeLinks: (storeId, itemIds) =>
        byIds(
          itemIds,
          (chunk) =>
            sql<LinkDbRow>`SELECT * FROM item_store WHERE store_id = ${storeId} AND item_id = ANY(${chunk}::text[])`
        ).pipe(
          Effect.map((rows) => inRequestOrder(itemIds, rows.map(toLink), (r) => r.itemId)),
          storageFailure("store links")
        ),
      catalogGeneration: () =>
        sql<{ readonly generation: string }>`SELECT generation::text AS generation FROM catalog_generation`.pipe(
          Effect.map((rows) => Number(rows[0]?.generation ?? 0)),
          storageFailure("catalog generation")
        ),
      getGroups: (ids) => getGroups(ids).pipe(storageFailure("get modifier groups")),
      getOptions: (ids) => getOptions(ids).pipe(storageFailure("get modifier options")),
      // One statement, each table's rows as a JSON array (the row mappers read JSON's text times and numbers);
      // the ids as arrays (ARRAY(...)), so that each table is read by its index, and no common table expression
      // (they make the planning dearer than the reads).
      orderingRows: (storeId, itemIds) => {
        const ids = textArray(itemIds)
        const groupIds = sql`ARRAY(SELECT unnest(i.modifier_group_ids) FROM items i WHERE i.id = ANY (${ids}::text[]))`
        return sql<{
          readonly links: unknown
          readonly items: unknown
          readonly groups: unknown
          readonly options: unknown
        }>`
          SELECT
            (SELECT coalesce(json_agg(l), '[]') FROM item_store l
             WHERE l.store_id = ${storeId} AND l.item_id = ANY (${ids}::text[])) AS links,
            (SELECT coalesce(json_agg(i), '[]') FROM items i WHERE i.id = ANY (${ids}::text[])) AS items,
            (SELECT coalesce(json_agg(g), '[]') FROM item_modifiers g WHERE g.id = ANY (${groupIds})) AS groups,
            (SELECT coalesce(json_agg(o), '[]') FROM item_modifier_options o
             WHERE o.id = ANY (ARRAY(SELECT unnest(g.option_ids) FROM item_modifiers g WHERE g.id = ANY (${groupIds}))))
             AS options`.pipe(
          Effect.map(([row]) => ({
            links: inRequestOrder(itemIds, jsonRows<LinkDbRow>(row?.links).map(toLink), (r) => r.itemId),
            items: inRequestOrder(itemIds, jsonRows<ItemDbRow>(row?.items).map(toItem), (r) => r.id),
            groups: jsonRows<GroupDbRow>(row?.groups).map(toGroup).sort(byId),
            options: jsonRows<OptionDbRow>(row?.options).map(toOption).sort(byId)
          })),
          storageFailure("read products for an order")
        )
      },
      storeMenus: (storeId) =>
        menusWhere(sql.and([sql`store_id = ${storeId}`, "active"])).pipe(storageFailure("store menus"))
    })
  })

/** A Catalog whose outlet locks are shared between opens of a tenant. */
export const layerSqlCatalogWithLocks = (locks: StoreLocks) => Layer.effect(Catalog, makeSqlCatalog(locks))
