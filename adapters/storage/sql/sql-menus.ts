import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { Menus, type MenuVersionSummary, type StaleDraft } from "../../../application/ports/menus.ts"
import type { MenuContent, MenuDraft, MenuHours, PublishedMenu } from "../../../domain/menu.ts"
import { storageFailure, toDate } from "./sql-errors.ts"

interface DraftDbRow {
  readonly draft_id: string
  readonly menu_id: string | null
  readonly version: number
  readonly content: MenuContent
  readonly created_at: unknown
  readonly updated_at: unknown
}

interface PublishedDbRow {
  readonly menu_id: string
  readonly version: number
  readonly content: MenuContent
  readonly published_at: unknown
}

interface SummaryDbRow {
  readonly menu_id: string
  readonly version: number
  readonly name: string
  readonly items: number
  readonly stores: number
  readonly published_at: unknown
}

const toDraft = (row: DraftDbRow): MenuDraft => ({
  draftId: row.draft_id,
  menuId: row.menu_id,
  version: Number(row.version),
  content: row.content,
  createdAt: toDate(row.created_at),
  updatedAt: toDate(row.updated_at)
})

const toPublished = (row: PublishedDbRow): PublishedMenu => ({
  menuId: row.menu_id,
  version: Number(row.version),
  content: row.content,
  publishedAt: toDate(row.published_at)
})

const toSummary = (row: SummaryDbRow): MenuVersionSummary => ({
  menuId: row.menu_id,
  version: Number(row.version),
  name: row.name,
  publishedAt: toDate(row.published_at),
  items: Number(row.items),
  stores: Number(row.stores)
})

const stale = (current: number): StaleDraft => ({ _tag: "StaleDraft", current })

const itemCount = (content: MenuContent) => content.sections.reduce((sum, section) => sum + section.items.length, 0)
const storeCount = (content: MenuContent) => new Set(content.storeIds).size

/**
 * Menu V2 in a tenant's database (menu-migrations.ts). Every read of a published menu is one
 * statement joining a menu to its current version, so it sees one committed version whole. A
 * publish runs in one transaction holding the draft's row and the menu's row: two publishes of one
 * draft, or of one menu, take turns, and the second sees what the first did.
 */
export const makeSqlMenus = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  /** The stored version of a draft a conditional write missed: stale, or gone. */
  const missed = (draftId: string) =>
    Effect.map(
      sql<{ readonly version: number }>`SELECT version FROM menu_drafts WHERE draft_id = ${draftId}`,
      (rows) => (rows[0] === undefined ? undefined : stale(Number(rows[0].version)))
    )

  const currentVersions = sql`
    SELECT v.menu_id, v.version, v.content, v.published_at
    FROM menus m JOIN menu_versions v ON v.menu_id = m.menu_id AND v.version = m.current_version`

  return Menus.of({
    createDraft: (draft) =>
      sql`
        INSERT INTO menu_drafts (draft_id, menu_id, version, content, created_at, updated_at)
        VALUES (${draft.draftId}, ${draft.menuId}, ${draft.version}, ${JSON.stringify(draft.content)}::jsonb,
                ${draft.createdAt}, ${draft.updatedAt})`.pipe(Effect.asVoid, storageFailure("create menu draft")),
    getDraft: (draftId) =>
      sql<DraftDbRow>`SELECT * FROM menu_drafts WHERE draft_id = ${draftId}`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : toDraft(rows[0]))),
        storageFailure("get menu draft")
      ),
    listDrafts: ({ cursor, limit }) =>
      sql<DraftDbRow>`
        SELECT * FROM menu_drafts
        WHERE ${cursor === null ? sql`true` : sql`draft_id > ${cursor}`}
        ORDER BY draft_id LIMIT ${limit}`.pipe(
        Effect.map((rows) => rows.map(toDraft)),
        storageFailure("list menu drafts")
      ),
    draftOfMenu: (menuId) =>
      sql<DraftDbRow>`SELECT * FROM menu_drafts WHERE menu_id = ${menuId}`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : toDraft(rows[0]))),
        storageFailure("get the draft of a menu")
      ),
    updateDraft: (draftId, expected, content, at) =>
      sql<DraftDbRow>`
        UPDATE menu_drafts SET content = ${JSON.stringify(content)}::jsonb, version = version + 1, updated_at = ${at}
        WHERE draft_id = ${draftId} AND version = ${expected}
        RETURNING *`.pipe(
        Effect.flatMap((rows) =>
          rows[0] === undefined ? missed(draftId) : Effect.succeed<MenuDraft | StaleDraft>(toDraft(rows[0]))
        ),
        storageFailure("update menu draft")
      ),
    deleteDraft: (draftId, expected) =>
      sql<{ readonly draft_id: string }>`
        DELETE FROM menu_drafts WHERE draft_id = ${draftId} AND version = ${expected} RETURNING draft_id`.pipe(
        Effect.flatMap((rows) =>
          rows.length > 0
            ? Effect.succeed<boolean | StaleDraft>(true)
            : Effect.map(missed(draftId), (found) => found ?? false)
        ),
        storageFailure("delete menu draft")
      ),
    publish: (draftId, expected, menuId, at) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            const row = (yield* sql<DraftDbRow>`SELECT * FROM menu_drafts WHERE draft_id = ${draftId} FOR UPDATE`)[0]
            if (row === undefined) return undefined
            if (Number(row.version) !== expected) return stale(Number(row.version))
            const draft = toDraft(row)
            // A draft already linked to a menu publishes that menu; `menuId` names a new one's.
            const target = draft.menuId ?? menuId
            // The menu's row exists (version 0 until this transaction commits) and is locked, so
            // publishes of one menu take turns even on its first publish.
            yield* sql`
              INSERT INTO menus (menu_id, current_version, published_at) VALUES (${target}, 0, ${at})
              ON CONFLICT (menu_id) DO NOTHING`
            const menu = (yield* sql<{ readonly current_version: number; readonly published_at: unknown }>`
              SELECT current_version, published_at FROM menus WHERE menu_id = ${target} FOR UPDATE`)[0]!
            const current = Number(menu.current_version)
            if (current > 0) {
              // jsonb equality ignores key order, as canonical JSON does: the same content, whatever
              // order its fields were written in.
              const same = yield* sql<{ readonly same: boolean }>`
                SELECT v.content = d.content AS same FROM menu_versions v, menu_drafts d
                WHERE v.menu_id = ${target} AND v.version = ${current} AND d.draft_id = ${draftId}`
              if (same[0]?.same === true) {
                const unchanged: PublishedMenu = {
                  menuId: target,
                  version: current,
                  content: draft.content,
                  publishedAt: toDate(menu.published_at)
                }
                return { menu: unchanged, created: false, draft }
              }
            }
            const next = current + 1
            yield* sql`UPDATE menus SET current_version = ${next}, published_at = ${at} WHERE menu_id = ${target}`
            yield* sql`
              INSERT INTO menu_versions (menu_id, version, name, items, stores, content, published_at)
              SELECT ${target}, ${next}, ${draft.content.name}, ${itemCount(draft.content)}, ${storeCount(draft.content)},
                     content, ${at}
              FROM menu_drafts WHERE draft_id = ${draftId}`
            yield* sql`DELETE FROM menu_stores WHERE menu_id = ${target}`
            yield* sql`
              INSERT INTO menu_stores (store_id, menu_id)
              SELECT DISTINCT s.store_id, ${target}
              FROM menu_drafts d, jsonb_array_elements_text(d.content -> 'storeIds') AS s (store_id)
              WHERE d.draft_id = ${draftId}`
            yield* sql`
              UPDATE menu_drafts SET menu_id = ${target}, version = version + 1, updated_at = ${at}
              WHERE draft_id = ${draftId}`
            const published: PublishedMenu = { menuId: target, version: next, content: draft.content, publishedAt: at }
            const linked: MenuDraft = { ...draft, menuId: target, version: expected + 1, updatedAt: at }
            return { menu: published, created: true, draft: linked }
          })
        )
        .pipe(storageFailure("publish menu")),
    getMenu: (menuId) =>
      sql<PublishedDbRow>`${currentVersions} WHERE m.menu_id = ${menuId}`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : toPublished(rows[0]))),
        storageFailure("get menu")
      ),
    listMenus: ({ cursor, limit }) =>
      sql<PublishedDbRow>`
        ${currentVersions}
        WHERE ${cursor === null ? sql`true` : sql`m.menu_id > ${cursor}`}
        ORDER BY m.menu_id LIMIT ${limit}`.pipe(
        Effect.map((rows) => rows.map(toPublished)),
        storageFailure("list menus")
      ),
    versions: (menuId) =>
      sql<SummaryDbRow>`
        SELECT menu_id, version, name, items, stores, published_at FROM menu_versions
        WHERE menu_id = ${menuId} ORDER BY version DESC`.pipe(
        Effect.map((rows) => rows.map(toSummary)),
        storageFailure("list menu versions")
      ),
    getVersion: (menuId, version) =>
      sql<PublishedDbRow>`
        SELECT menu_id, version, content, published_at FROM menu_versions
        WHERE menu_id = ${menuId} AND version = ${version}`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : toPublished(rows[0]))),
        storageFailure("get menu version")
      ),
    // One statement: the assignments, the menus and their versions as of one snapshot.
    menusOfStore: (storeId) =>
      sql<PublishedDbRow>`
        SELECT v.menu_id, v.version, v.content, v.published_at
        FROM menu_stores s
        JOIN menus m ON m.menu_id = s.menu_id
        JOIN menu_versions v ON v.menu_id = m.menu_id AND v.version = m.current_version
        WHERE s.store_id = ${storeId}
        ORDER BY m.published_at DESC, m.menu_id`.pipe(
        Effect.map((rows) => rows.map(toPublished)),
        storageFailure("list the menus of an outlet")
      ),
    // The hours only, extracted where the document is: no content crosses the wire.
    storeMenuVersions: (storeId) =>
      sql<{
        readonly menu_id: string
        readonly version: number
        readonly hours: MenuHours | null
        readonly published_at: unknown
      }>`
        SELECT v.menu_id, v.version, v.content->'hours' AS hours, v.published_at
        FROM menu_stores s
        JOIN menus m ON m.menu_id = s.menu_id
        JOIN menu_versions v ON v.menu_id = m.menu_id AND v.version = m.current_version
        WHERE s.store_id = ${storeId}
        ORDER BY m.published_at DESC, m.menu_id`.pipe(
        Effect.map((rows) =>
          rows.map((row) => ({
            menuId: row.menu_id,
            version: Number(row.version),
            publishedAt: toDate(row.published_at),
            hours: row.hours ?? null
          }))
        ),
        storageFailure("list the menu versions of an outlet")
      )
  })
})

export const layerSqlMenus = Layer.effect(Menus, makeSqlMenus)
