/**
 * Editing Menu V2 drafts (SPEC section 7.3). Every write names the version of the draft it was made
 * against (If-Match): none is a PreconditionRequired, another than the stored one a StaleVersion naming
 * the current one. A write reads the draft, applies a pure edit (draft-content.ts) and stores the result
 * with `Menus.updateDraft` under the version it read, so of two editors racing, one wins and the other
 * is told to read again; nothing is merged silently. Input is checked before any of that (400).
 */
import { Clock, Effect } from "effect"
import { showValue } from "../pos-sdk/issue-text.ts"
import { DraftExists, InvalidInput, NotFound, PreconditionRequired, StaleVersion } from "../../domain/errors.ts"
import { isDraftId, isMenuV2Id, newDraftId, newSectionV2Id } from "../../domain/ids.ts"
import type { MenuContent, MenuDraft, MenuHours, MenuItem } from "../../domain/menu.ts"
import type { Page } from "../ports/catalog.ts"
import { Menus } from "../ports/menus.ts"
import {
  type DraftFields,
  emptyContent,
  patchSection,
  type SectionFields,
  type SectionPatch,
  sameContent,
  sectionOf,
  withFields,
  withHours,
  withItems,
  withoutSection,
  withSection,
  withStores
} from "./draft-content.ts"
import { createDraftOfMenu } from "./published-menus.ts"

const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

/** Ids of another shape than ours name nothing: answered as unknown without a lookup. */
export const findDraft = Effect.fnUntraced(function* (draftId: string) {
  const draft = isDraftId(draftId) ? yield* (yield* Menus).getDraft(draftId) : undefined
  if (draft === undefined) return yield* new NotFound({ resource: "draft", id: draftId })
  return draft
})

export const listDrafts = (page: Page) => Effect.flatMap(Menus, (menus) => menus.listDrafts(page))

export interface NewDraft {
  readonly name?: string | undefined
  readonly description?: string | null | undefined
  /** Start from this published menu's current version (the draft then edits that menu). */
  readonly menuId?: string | undefined
}

/**
 * A new draft: empty with a name, or a copy of a published menu's current version (name and
 * description may be given to change them). A menu has at most one draft: a second is a DraftExists.
 */
export const createDraft = Effect.fnUntraced(function* (input: NewDraft) {
  const menus = yield* Menus
  let menuId: string | null = null
  let content: MenuContent
  if (input.menuId !== undefined) {
    const menu = isMenuV2Id(input.menuId) ? yield* menus.getMenu(input.menuId) : undefined
    if (menu === undefined) return yield* new NotFound({ resource: "menu", id: input.menuId })
    const existing = yield* menus.draftOfMenu(menu.menuId)
    if (existing !== undefined) return yield* new DraftExists({ menuId: menu.menuId, draftId: existing.draftId })
    menuId = menu.menuId
    content = withFields(menu.content, {
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(input.description === undefined ? {} : { description: input.description })
    })
  } else {
    if (input.name === undefined) {
      return yield* new InvalidInput({
        details: "body.name: is required for a new menu (or name menuId to start from a published menu)"
      })
    }
    content = emptyContent(input.name, input.description ?? null)
  }
  const at = yield* now
  const draftId = newDraftId()
  if (menuId !== null) {
    const draft = { draftId, menuId, version: 1, content, createdAt: at, updatedAt: at }
    yield* createDraftOfMenu(draft)
    return draft as MenuDraft
  }
  const draft: MenuDraft = { draftId, menuId, version: 1, content, createdAt: at, updatedAt: at }
  yield* menus.createDraft(draft)
  return draft
})

/** The version a write names must be given, and be the draft's current one. */
const currentDraft = Effect.fnUntraced(function* (draftId: string, expected: number | undefined) {
  if (expected === undefined) return yield* new PreconditionRequired({ resource: "draft", id: draftId })
  const draft = yield* findDraft(draftId)
  if (draft.version !== expected) {
    return yield* new StaleVersion({ resource: "draft", id: draftId, current: draft.version, given: expected })
  }
  return draft
})

/**
 * Stores `content` as the draft's next version, unless it says what the draft already says (then the
 * draft is answered as it is: an edit that changes nothing writes nothing).
 */
const store = Effect.fnUntraced(function* (draft: MenuDraft, content: MenuContent) {
  if (sameContent(draft.content, content)) return draft
  const written = yield* (yield* Menus).updateDraft(draft.draftId, draft.version, content, yield* now)
  if (written === undefined) return yield* new NotFound({ resource: "draft", id: draft.draftId })
  if ("_tag" in written) {
    return yield* new StaleVersion({
      resource: "draft",
      id: draft.draftId,
      current: written.current,
      given: draft.version
    })
  }
  return written
})

const sectionNotFound = (sectionId: string) => new NotFound({ resource: "section", id: sectionId })

export const patchDraft = Effect.fnUntraced(function* (
  draftId: string,
  expected: number | undefined,
  fields: DraftFields
) {
  const draft = yield* currentDraft(draftId, expected)
  return yield* store(draft, withFields(draft.content, fields))
})

export const deleteDraft = Effect.fnUntraced(function* (draftId: string, expected: number | undefined) {
  const draft = yield* currentDraft(draftId, expected)
  const deleted = yield* (yield* Menus).deleteDraft(draftId, draft.version)
  if (deleted === false) return yield* new NotFound({ resource: "draft", id: draftId })
  if (deleted !== true) {
    return yield* new StaleVersion({ resource: "draft", id: draftId, current: deleted.current, given: draft.version })
  }
})

export const addSection = Effect.fnUntraced(function* (
  draftId: string,
  expected: number | undefined,
  fields: SectionFields
) {
  const draft = yield* currentDraft(draftId, expected)
  const sectionId = newSectionV2Id()
  const written = yield* store(draft, withSection(draft.content, sectionId, fields))
  return { draft: written, section: sectionOf(written.content, sectionId)! }
})

export const changeSection = Effect.fnUntraced(function* (
  draftId: string,
  expected: number | undefined,
  sectionId: string,
  patch: SectionPatch
) {
  const draft = yield* currentDraft(draftId, expected)
  const content = patchSection(draft.content, sectionId, patch)
  if (content === undefined) return yield* sectionNotFound(sectionId)
  const written = yield* store(draft, content)
  return { draft: written, section: sectionOf(written.content, sectionId)! }
})

export const removeSection = Effect.fnUntraced(function* (
  draftId: string,
  expected: number | undefined,
  sectionId: string
) {
  const draft = yield* currentDraft(draftId, expected)
  const content = withoutSection(draft.content, sectionId)
  if (content === undefined) return yield* sectionNotFound(sectionId)
  return yield* store(draft, content)
})

/**
 * The checks of a section's item list that need no other object: a product listed twice, a special
 * price above the base price given beside it. Paths name the request body (an array).
 */
export const itemListProblems = (items: ReadonlyArray<MenuItem>): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const first = new Map<string, number>()
  items.forEach((item, index) => {
    const seen = first.get(item.productId)
    if (seen !== undefined) {
      problems.push(
        `body[${index}].productId: is listed twice in this section (also body[${seen}]), got ${showValue(item.productId)}`
      )
    } else {
      first.set(item.productId, index)
    }
    if (item.basePrice !== null && item.specialPrice !== null && item.specialPrice > item.basePrice) {
      problems.push(
        `body[${index}].specialPrice: must be at most basePrice (${item.basePrice}), got ${showValue(item.specialPrice)}`
      )
    }
  })
  return problems
}

export const replaceItems = Effect.fnUntraced(function* (
  draftId: string,
  expected: number | undefined,
  sectionId: string,
  items: ReadonlyArray<MenuItem>
) {
  const problems = itemListProblems(items)
  if (problems.length > 0) return yield* new InvalidInput({ details: problems.join("; ") })
  const draft = yield* currentDraft(draftId, expected)
  const content = withItems(draft.content, sectionId, items)
  if (content === undefined) return yield* sectionNotFound(sectionId)
  const written = yield* store(draft, content)
  return { draft: written, section: sectionOf(written.content, sectionId)! }
})

/** Hours are checked whole at publish (overlaps, the zone): here only their form, by the caller's schema. */
export const setHours = Effect.fnUntraced(function* (
  draftId: string,
  expected: number | undefined,
  hours: MenuHours | null
) {
  const draft = yield* currentDraft(draftId, expected)
  return yield* store(draft, withHours(draft.content, hours))
})

/** Whether each outlet is the tenant's is checked at publish; here only that none is named twice. */
export const setStores = Effect.fnUntraced(function* (
  draftId: string,
  expected: number | undefined,
  outletIds: ReadonlyArray<string>
) {
  const first = new Map<string, number>()
  const problems: Array<string> = []
  outletIds.forEach((id, index) => {
    const seen = first.get(id)
    if (seen === undefined) first.set(id, index)
    else problems.push(`body.outletIds[${index}]: is listed twice (also body.outletIds[${seen}]), got ${showValue(id)}`)
  })
  if (problems.length > 0) return yield* new InvalidInput({ details: problems.join("; ") })
  const draft = yield* currentDraft(draftId, expected)
  return yield* store(draft, withStores(draft.content, outletIds))
})
