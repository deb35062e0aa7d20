import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import type { Scope } from "../../domain/api-key.ts"
import { secured } from "./api-middleware.ts"
import { doc, Limit, NextCursor } from "./api-types.ts"
import { RequiredScopes } from "./context.ts"
import { BadRequestJson, ConflictJson, NotFoundJson, PreconditionRequiredJson } from "./errors.ts"
import {
  DraftCreate,
  DraftETag,
  DraftPatch,
  DraftSection,
  DraftView,
  HoursUpdate,
  IfMatch,
  MenuSummary,
  MenuVersion,
  PublishedMenuView,
  PublishResult,
  SectionCreate,
  SectionItems,
  SectionPatch,
  StoresUpdate
} from "./menus-schemas.ts"

const needs = (scopes: ReadonlyArray<Scope>) => RequiredScopes.context(scopes)
const reads = needs(["menus:read"])
const writes = needs(["menus:write"])

/** A draft (or a section of it) with the draft's version as ETag. */
const tagged = <S extends Schema.Top>(schema: S) => HttpApiSchema.WithHeaders(schema, DraftETag)

const draftParams = { draftId: Schema.String }
const sectionParams = { draftId: Schema.String, sectionId: Schema.String }
/** What every draft write can answer besides success (one mapping: error-mapping.ts). */
const writeErrors = [BadRequestJson, NotFoundJson, ConflictJson, PreconditionRequiredJson]

const ifMatchRules =
  "Needs `If-Match` with the draft's ETag: without it 428 `precondition required`; an older version is a 409 `stale version` whose details name the current one (read the draft again, reapply the change). The answer's ETag is the draft's new version."

const page = <S extends Schema.Top>(item: S) => Schema.Struct({ data: Schema.Array(item), nextCursor: NextCursor })

/** Menu V2: menus a restaurant composes itself from the products its POS systems synced. */
export const MenusGroup = secured(
  HttpApiGroup.make("menus")
    .add(
      HttpApiEndpoint.post("createDraft", "/menus/drafts", {
        payload: DraftCreate,
        success: tagged(DraftView.pipe(HttpApiSchema.status(201))),
        error: [BadRequestJson, NotFoundJson, ConflictJson]
      })
        .annotateMerge(writes)
        .annotateMerge(
          doc(
            "Create a draft",
            "A new menu's draft (`name`, `description`), empty: no sections, no hours (always open), no outlets. Or, with `menuId`, a draft of a published menu holding its current version, to edit and publish as its next one. 201 with the draft and its version as ETag. 400: no `name` for a new menu, or a field out of range, naming it. 404 `menu not found`. 409 `conflict`: the menu already has a draft (one per menu; the details name it)."
          )
        )
    )
    .add(
      HttpApiEndpoint.get("listDrafts", "/menus/drafts", {
        query: { limit: Schema.optional(Limit), cursor: Schema.optional(Schema.String) },
        success: page(DraftView),
        error: BadRequestJson
      })
        .annotateMerge(reads)
        .annotateMerge(
          doc(
            "List drafts",
            "Every draft, ordered by id, each with its version. Cursor pagination: `limit` 1 to 500 (default 50), `cursor` the previous page's `nextCursor`. 400: a `limit` out of range or a cursor that does not decode."
          )
        )
    )
    .add(
      HttpApiEndpoint.get("getDraft", "/menus/drafts/:draftId", {
        params: draftParams,
        success: tagged(DraftView),
        error: NotFoundJson
      })
        .annotateMerge(reads)
        .annotateMerge(
          doc(
            "Get a draft",
            "The draft with its sections, items, hours and outlets; its version is answered as ETag, to send as If-Match with the next write. 404 `draft not found`."
          )
        )
    )
    .add(
      HttpApiEndpoint.patch("patchDraft", "/menus/drafts/:draftId", {
        params: draftParams,
        headers: IfMatch,
        payload: DraftPatch,
        success: tagged(DraftView),
        error: writeErrors
      })
        .annotateMerge(writes)
        .annotateMerge(
          doc(
            "Rename a draft",
            `Changes the draft's name or description; a change that changes nothing writes nothing (same version). ${ifMatchRules} 400: a field out of range, naming it. 404 \`draft not found\`.`
          )
        )
    )
    .add(
      HttpApiEndpoint.delete("deleteDraft", "/menus/drafts/:draftId", {
        params: draftParams,
        headers: IfMatch,
        error: writeErrors
      })
        .annotateMerge(writes)
        .annotateMerge(
          doc(
            "Delete a draft",
            `Deletes the draft (204); its published menu, if any, stays served as it is. ${ifMatchRules} 400: an If-Match that is not an ETag. 404 \`draft not found\`.`
          )
        )
    )
    .add(
      HttpApiEndpoint.post("createSection", "/menus/drafts/:draftId/sections", {
        params: draftParams,
        headers: IfMatch,
        payload: SectionCreate,
        success: tagged(DraftSection.pipe(HttpApiSchema.status(201))),
        error: writeErrors
      })
        .annotateMerge(writes)
        .annotateMerge(
          doc(
            "Add a section",
            `A new, empty section (\`name\`, \`displayType\` LIST, GRID, HIGHLIGHT or SWIMLANE, \`position\`): 201 with the section and its \`sectionId\`. ${ifMatchRules} 400: a field missing or out of range, naming it. 404 \`draft not found\`.`
          )
        )
    )
    .add(
      HttpApiEndpoint.patch("patchSection", "/menus/drafts/:draftId/sections/:sectionId", {
        params: sectionParams,
        headers: IfMatch,
        payload: SectionPatch,
        success: tagged(DraftSection),
        error: writeErrors
      })
        .annotateMerge(writes)
        .annotateMerge(
          doc(
            "Change a section",
            `Changes a section's name, display type or position (its items stay). ${ifMatchRules} 400: a field out of range, naming it. 404 \`draft not found\` or \`section not found\`.`
          )
        )
    )
    .add(
      HttpApiEndpoint.delete("deleteSection", "/menus/drafts/:draftId/sections/:sectionId", {
        params: sectionParams,
        headers: IfMatch,
        success: tagged(HttpApiSchema.NoContent),
        error: writeErrors
      })
        .annotateMerge(writes)
        .annotateMerge(
          doc(
            "Delete a section",
            `Removes a section and its items from the draft (204). ${ifMatchRules} 400: an If-Match that is not an ETag. 404 \`draft not found\` or \`section not found\`.`
          )
        )
    )
    .add(
      HttpApiEndpoint.put("putItems", "/menus/drafts/:draftId/sections/:sectionId/items", {
        params: sectionParams,
        headers: IfMatch,
        payload: SectionItems,
        success: tagged(DraftSection),
        error: writeErrors
      })
        .annotateMerge(writes)
        .annotateMerge(
          doc(
            "Replace a section's items",
            `The section's items, replaced by the list sent: each a \`productId\`, a \`position\`, and the menu's own \`basePrice\` (left out: the POS's price at each outlet) and \`specialPrice\` (at most the base price), integers in minor units of the tenant's currency. Whether each product exists, is active, and is priced as its POS requires is checked at publish. ${ifMatchRules} 400: a product listed twice, a special price above the base price given beside it, a field missing or out of range, each naming its item (\`body[2].specialPrice\`). 404 \`draft not found\` or \`section not found\`.`
          )
        )
    )
    .add(
      HttpApiEndpoint.put("putHours", "/menus/drafts/:draftId/hours", {
        params: draftParams,
        headers: IfMatch,
        payload: HoursUpdate,
        success: tagged(DraftView),
        error: writeErrors
      })
        .annotateMerge(writes)
        .annotateMerge(
          doc(
            "Set a draft's hours",
            `The menu's opening hours, replacing any it had: an IANA \`timezone\`, \`weekly\` ranges (\`dayOfWeek\` 1 = Monday to 7 = Sunday, \`opens\` and \`closes\` as local HH:MM; a range closing before it opens runs past midnight) and date \`exceptions\` (closed all day, or other ranges). Opening times are local wall-clock times, so they hold across daylight-saving changes. The zone and overlapping ranges are checked at publish. ${ifMatchRules} 400: a field missing or malformed, naming it. 404 \`draft not found\`.`
          )
        )
    )
    .add(
      HttpApiEndpoint.delete("deleteHours", "/menus/drafts/:draftId/hours", {
        params: draftParams,
        headers: IfMatch,
        success: tagged(DraftView),
        error: writeErrors
      })
        .annotateMerge(writes)
        .annotateMerge(
          doc(
            "Remove a draft's hours",
            `Without hours the menu is always open. ${ifMatchRules} 400: an If-Match that is not an ETag. 404 \`draft not found\`.`
          )
        )
    )
    .add(
      HttpApiEndpoint.put("putStores", "/menus/drafts/:draftId/stores", {
        params: draftParams,
        headers: IfMatch,
        payload: StoresUpdate,
        success: tagged(DraftView),
        error: writeErrors
      })
        .annotateMerge(writes)
        .annotateMerge(
          doc(
            "Assign a draft to outlets",
            `The outlets the menu is served at once published, replacing the ones it had. Whether each is the tenant's is checked at publish. ${ifMatchRules} 400: an outlet listed twice, naming it. 404 \`draft not found\`.`
          )
        )
    )
    .add(
      HttpApiEndpoint.post("publish", "/menus/drafts/:draftId/publish", {
        params: draftParams,
        headers: IfMatch,
        success: [tagged(PublishResult), tagged(PublishResult.pipe(HttpApiSchema.status(201)))],
        error: writeErrors
      })
        .annotateMerge(writes)
        .annotateMerge(
          doc(
            "Publish a draft",
            `Checks the whole draft, then makes it the menu's next version in one transaction: its outlets' effective menus (GET /api/v1/outlets/{outletId}/menu) serve it from then on, whole (never part old, part new). Nothing the POS synced is changed. 201 with \`{menuId, version, publishedAt}\` when a version was created; 200 with the current one when the draft says exactly what it says (no version is created). The draft stays, linked to the menu, for the next change. ${ifMatchRules} 400 listing every problem with its path in the draft: an unknown or inactive product, a special price above the base price, a malformed time zone or overlapping hours, no outlet, an outlet that is not the tenant's, and a base or special price that differs from the POS's price at an outlet whose POS prices orders itself (its plugin has no \`linePrices\` capability, see GET /api/v1/providers). 404 \`draft not found\`.`
          )
        )
    )
    .add(
      HttpApiEndpoint.get("listMenus", "/menus", {
        query: { limit: Schema.optional(Limit), cursor: Schema.optional(Schema.String) },
        success: page(MenuSummary),
        error: BadRequestJson
      })
        .annotateMerge(reads)
        .annotateMerge(
          doc(
            "List published menus",
            "Every published menu's current version, without its sections, ordered by id. Cursor pagination: `limit` 1 to 500 (default 50). 400: a `limit` out of range or a cursor that does not decode."
          )
        )
    )
    .add(
      HttpApiEndpoint.get("getMenu", "/menus/:menuId", {
        params: { menuId: Schema.String },
        success: PublishedMenuView,
        error: NotFoundJson
      })
        .annotateMerge(reads)
        .annotateMerge(
          doc(
            "Get a published menu",
            "A published menu's current version whole, and the id of the draft editing it (null when none). 404 `menu not found`."
          )
        )
    )
    .add(
      HttpApiEndpoint.get("listVersions", "/menus/:menuId/versions", {
        params: { menuId: Schema.String },
        success: Schema.Struct({ data: Schema.Array(MenuVersion) }),
        error: NotFoundJson
      })
        .annotateMerge(reads)
        .annotateMerge(
          doc(
            "List a menu's versions",
            "Every version of a published menu, newest first, with how many items and outlets each had. Versions are kept: any can be restored. 404 `menu not found`."
          )
        )
    )
    .add(
      HttpApiEndpoint.post("restoreVersion", "/menus/:menuId/versions/:version/restore", {
        params: {
          menuId: Schema.String,
          version: Schema.String.annotate({
            description: "A version number of the menu (1, 2, ...). Any other value names no version: 404.",
            examples: ["1"]
          })
        },
        headers: IfMatch,
        success: [tagged(DraftView), tagged(DraftView.pipe(HttpApiSchema.status(201)))],
        error: writeErrors
      })
        .annotateMerge(writes)
        .annotateMerge(
          doc(
            "Restore a version as the draft",
            "Makes an older version's content the menu's draft again; publishing that draft then serves it as the next version (a rollback). A menu without a draft gets one: 201, no If-Match needed. A menu with a draft has that draft's content replaced: 200, and as any draft write it needs `If-Match` with the draft's ETag (428 without, 409 `stale version` when older). The answer's ETag is the draft's version. 400: an If-Match that is not an ETag. 404 `menu not found` or `version not found`."
          )
        )
    ),
  "/api/v2"
).annotateMerge(
  OpenApi.annotations({
    title: "Menu V2",
    description:
      "Menus a restaurant composes itself from the flat products its POS systems synced: drafts edited under a version (ETag and If-Match), sections, per-menu prices, opening hours, outlets, and publishing with versions. The outlets' effective menus (GET /api/v1/outlets/{outletId}/menu) serve what is published."
  })
)
