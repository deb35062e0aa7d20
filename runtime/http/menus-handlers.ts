import { Effect, Schema } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { parseLimit } from "../../application/catalog/read-catalog.ts"
import {
  addSection,
  changeSection,
  createDraft,
  deleteDraft,
  findDraft,
  listDrafts,
  patchDraft,
  removeSection,
  replaceItems,
  setHours,
  setStores
} from "../../application/menus/edit-draft.ts"
import { publishDraft } from "../../application/menus/publish-menu.ts"
import { getMenu, listMenus, menuVersions, restoreVersion } from "../../application/menus/published-menus.ts"
import type { DayOfWeek } from "../../domain/catalog.ts"
import { InvalidInput, NotFound } from "../../domain/errors.ts"
import type { MenuContent, MenuDraft, MenuHours, MenuSection } from "../../domain/menu.ts"
import { PluginRegistry } from "../plugins/plugin-registry.ts"
import { Api } from "./api.ts"
import { pageCursor } from "./cursor.ts"
import { httpErrors } from "./error-mapping.ts"
import { DraftSection, DraftView, type HoursUpdate, PublishResult } from "./menus-schemas.ts"
import { showValue } from "./validation-details.ts"

const sectionView = (s: MenuSection): typeof DraftSection.Type => ({
  sectionId: s.sectionId,
  name: s.name,
  displayType: s.displayType,
  position: s.position,
  items: s.items.map((i) => ({
    productId: i.productId,
    position: i.position,
    basePrice: i.basePrice,
    specialPrice: i.specialPrice
  }))
})

const contentView = (c: MenuContent) => ({
  name: c.name,
  description: c.description,
  sections: c.sections.map(sectionView),
  hours: c.hours,
  outletIds: c.storeIds
})

const draftView = (d: MenuDraft): typeof DraftView.Type => ({
  draftId: d.draftId,
  menuId: d.menuId,
  version: d.version,
  ...contentView(d.content),
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString()
})

const hoursFrom = (input: typeof HoursUpdate.Type): MenuHours => ({
  timezone: input.timezone,
  // The schema checked each day is 1 to 7.
  weekly: input.weekly.map((w) => ({ dayOfWeek: w.dayOfWeek as DayOfWeek, opens: w.opens, closes: w.closes })),
  exceptions: (input.exceptions ?? []).map((e) => ({ date: e.date, closed: e.closed ?? false, ranges: e.ranges ?? [] }))
})

/** A draft's version as an entity tag: `"3"`. */
export const draftETag = (version: number) => `"${version}"`

/**
 * The version an If-Match names: `"3"` as answered (a weak `W/"3"` and a bare 3 are read the same).
 * Absent, undefined (the write is then refused with 428); anything else is a 400 naming the header.
 */
export const parseIfMatch = (raw: string | undefined): Effect.Effect<number | undefined, InvalidInput> => {
  if (raw === undefined) return Effect.succeed(undefined)
  const match = /^\s*(?:W\/)?(?:"([0-9]{1,9})"|([0-9]{1,9}))\s*$/.exec(raw)
  return match === null
    ? Effect.fail(
        new InvalidInput({
          details: `header.if-match: expected the draft's ETag, its version in quotes such as "3", got ${showValue(raw)}`
        })
      )
    : Effect.succeed(Number(match[1] ?? match[2]))
}

/** A JSON answer with the draft's version as ETag, its status chosen by the use case (200 or 201). */
const tagged = <A, I>(schema: Schema.Codec<A, I>, value: A, version: number, status = 200) =>
  HttpServerResponse.text(JSON.stringify(Schema.encodeSync(schema)(value)), {
    status,
    contentType: "application/json",
    headers: { etag: draftETag(version) }
  })

/** Versions are numbers 1, 2, ...: any other value names no version, without a lookup. */
const versionNumber = (menuId: string, raw: string) =>
  /^[1-9][0-9]{0,8}$/.test(raw)
    ? Effect.succeed(Number(raw))
    : Effect.fail(new NotFound({ resource: "version", id: `${menuId}/versions/${raw}` }))

export const MenusHandlers = HttpApiBuilder.group(
  Api,
  "menus",
  Effect.fn(function* (handlers) {
    const registry = yield* PluginRegistry
    // A POS prices orders itself unless its plugin accepts the prices an order carries.
    const pricing = {
      pricesOrdersItself: (provider: string) =>
        !(registry.get(provider)?.manifest.capabilities.includes("linePrices") ?? false)
    }
    return handlers
      .handle("createDraft", ({ payload }) =>
        httpErrors(Effect.map(createDraft(payload), (draft) => tagged(DraftView, draftView(draft), draft.version, 201)))
      )
      .handle("listDrafts", ({ query }) =>
        httpErrors(
          Effect.gen(function* () {
            const limit = yield* parseLimit(query.limit)
            const cursor = pageCursor("drafts", [])
            const rows = yield* listDrafts({ cursor: yield* cursor.decode(query.cursor), limit: limit + 1 })
            const page = rows.slice(0, limit)
            return {
              data: page.map(draftView),
              nextCursor: cursor.encode(rows.length > limit ? (page.at(-1)?.draftId ?? null) : null)
            }
          })
        )
      )
      .handle("getDraft", ({ params }) =>
        httpErrors(Effect.map(findDraft(params.draftId), (draft) => tagged(DraftView, draftView(draft), draft.version)))
      )
      .handle("patchDraft", ({ params, headers, payload }) =>
        httpErrors(
          Effect.gen(function* () {
            const draft = yield* patchDraft(params.draftId, yield* parseIfMatch(headers["if-match"]), payload)
            return tagged(DraftView, draftView(draft), draft.version)
          })
        )
      )
      .handle("deleteDraft", ({ params, headers }) =>
        httpErrors(
          Effect.gen(function* () {
            yield* deleteDraft(params.draftId, yield* parseIfMatch(headers["if-match"]))
            return HttpServerResponse.empty({ status: 204 })
          })
        )
      )
      .handle("createSection", ({ params, headers, payload }) =>
        httpErrors(
          Effect.gen(function* () {
            const { draft, section } = yield* addSection(
              params.draftId,
              yield* parseIfMatch(headers["if-match"]),
              payload
            )
            return tagged(DraftSection, sectionView(section), draft.version, 201)
          })
        )
      )
      .handle("patchSection", ({ params, headers, payload }) =>
        httpErrors(
          Effect.gen(function* () {
            const { draft, section } = yield* changeSection(
              params.draftId,
              yield* parseIfMatch(headers["if-match"]),
              params.sectionId,
              payload
            )
            return tagged(DraftSection, sectionView(section), draft.version)
          })
        )
      )
      .handle("deleteSection", ({ params, headers }) =>
        httpErrors(
          Effect.gen(function* () {
            const draft = yield* removeSection(
              params.draftId,
              yield* parseIfMatch(headers["if-match"]),
              params.sectionId
            )
            return HttpServerResponse.empty({ status: 204, headers: { etag: draftETag(draft.version) } })
          })
        )
      )
      .handle("putItems", ({ params, headers, payload }) =>
        httpErrors(
          Effect.gen(function* () {
            const items = payload.map((i) => ({
              productId: i.productId,
              position: i.position,
              basePrice: i.basePrice ?? null,
              specialPrice: i.specialPrice ?? null
            }))
            const { draft, section } = yield* replaceItems(
              params.draftId,
              yield* parseIfMatch(headers["if-match"]),
              params.sectionId,
              items
            )
            return tagged(DraftSection, sectionView(section), draft.version)
          })
        )
      )
      .handle("putHours", ({ params, headers, payload }) =>
        httpErrors(
          Effect.gen(function* () {
            const draft = yield* setHours(params.draftId, yield* parseIfMatch(headers["if-match"]), hoursFrom(payload))
            return tagged(DraftView, draftView(draft), draft.version)
          })
        )
      )
      .handle("deleteHours", ({ params, headers }) =>
        httpErrors(
          Effect.gen(function* () {
            const draft = yield* setHours(params.draftId, yield* parseIfMatch(headers["if-match"]), null)
            return tagged(DraftView, draftView(draft), draft.version)
          })
        )
      )
      .handle("putStores", ({ params, headers, payload }) =>
        httpErrors(
          Effect.gen(function* () {
            const draft = yield* setStores(params.draftId, yield* parseIfMatch(headers["if-match"]), payload.outletIds)
            return tagged(DraftView, draftView(draft), draft.version)
          })
        )
      )
      .handle("publish", ({ params, headers }) =>
        httpErrors(
          Effect.gen(function* () {
            const { menu, created, draft } = yield* publishDraft(
              params.draftId,
              yield* parseIfMatch(headers["if-match"]),
              pricing
            )
            const result = {
              menuId: menu.menuId,
              version: menu.version,
              publishedAt: menu.publishedAt.toISOString(),
              created
            }
            return tagged(PublishResult, result, draft.version, created ? 201 : 200)
          })
        )
      )
      .handle("listMenus", ({ query }) =>
        httpErrors(
          Effect.gen(function* () {
            const limit = yield* parseLimit(query.limit)
            const cursor = pageCursor("menus", [])
            const rows = yield* listMenus({ cursor: yield* cursor.decode(query.cursor), limit: limit + 1 })
            const page = rows.slice(0, limit)
            return {
              data: page.map((m) => ({
                menuId: m.menuId,
                version: m.version,
                name: m.content.name,
                description: m.content.description,
                outletIds: m.content.storeIds,
                items: m.content.sections.reduce((sum, s) => sum + s.items.length, 0),
                publishedAt: m.publishedAt.toISOString()
              })),
              nextCursor: cursor.encode(rows.length > limit ? (page.at(-1)?.menuId ?? null) : null)
            }
          })
        )
      )
      .handle("getMenu", ({ params }) =>
        httpErrors(
          Effect.map(getMenu(params.menuId), ({ menu, draftId }) => ({
            menuId: menu.menuId,
            version: menu.version,
            ...contentView(menu.content),
            publishedAt: menu.publishedAt.toISOString(),
            draftId
          }))
        )
      )
      .handle("listVersions", ({ params }) =>
        httpErrors(
          Effect.map(menuVersions(params.menuId), (versions) => ({
            data: versions.map((v) => ({
              menuId: v.menuId,
              version: v.version,
              name: v.name,
              items: v.items,
              stores: v.stores,
              publishedAt: v.publishedAt.toISOString()
            }))
          }))
        )
      )
      .handle("restoreVersion", ({ params, headers }) =>
        httpErrors(
          Effect.gen(function* () {
            const expected = yield* parseIfMatch(headers["if-match"])
            const version = yield* versionNumber(params.menuId, params.version)
            const { draft, created } = yield* restoreVersion(params.menuId, version, expected)
            return tagged(DraftView, draftView(draft), draft.version, created ? 201 : 200)
          })
        )
      )
  })
)
