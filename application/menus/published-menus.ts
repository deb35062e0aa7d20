/**
 * Published Menu V2 menus: their current versions, every version kept, and restoring one as the
 * menu's draft. Rolling back is restoring a version, then publishing the draft: the old content
 * becomes the next version (versions only ever grow).
 */
import { Clock, Effect } from "effect"
import { DraftExists, NotFound, PreconditionRequired, StaleVersion, type StorageError } from "../../domain/errors.ts"
import { isMenuV2Id, newDraftId } from "../../domain/ids.ts"
import type { MenuDraft } from "../../domain/menu.ts"
import type { Page } from "../ports/catalog.ts"
import { Menus } from "../ports/menus.ts"
import { sameContent } from "./draft-content.ts"

export const listMenus = (page: Page) => Effect.flatMap(Menus, (menus) => menus.listMenus(page))

/** A published menu's current version, with the id of the draft editing it (null when none). */
export const getMenu = Effect.fnUntraced(function* (menuId: string) {
  const menus = yield* Menus
  const menu = isMenuV2Id(menuId) ? yield* menus.getMenu(menuId) : undefined
  if (menu === undefined) return yield* new NotFound({ resource: "menu", id: menuId })
  const draft = yield* menus.draftOfMenu(menuId)
  return { menu, draftId: draft?.draftId ?? null }
})

export const menuVersions = Effect.fnUntraced(function* (menuId: string) {
  const menus = yield* Menus
  const versions = isMenuV2Id(menuId) ? yield* menus.versions(menuId) : []
  if (versions.length === 0) return yield* new NotFound({ resource: "menu", id: menuId })
  return versions
})

/**
 * Creates a draft of a published menu. The storage keeps one draft per menu: when another request
 * created one first, its refusal is answered as DraftExists naming that draft.
 */
export const createDraftOfMenu = (draft: MenuDraft & { readonly menuId: string }) =>
  Effect.flatMap(Menus, (menus) =>
    menus
      .createDraft(draft)
      .pipe(
        Effect.catchTag("StorageError", (error) =>
          Effect.flatMap(
            menus.draftOfMenu(draft.menuId),
            (other): Effect.Effect<never, DraftExists | StorageError> =>
              other === undefined || other.draftId === draft.draftId
                ? Effect.fail(error)
                : Effect.fail(new DraftExists({ menuId: draft.menuId, draftId: other.draftId }))
          )
        )
      )
  )

/**
 * Makes version `version` of the menu its draft again. A menu without a draft gets one (no If-Match:
 * there is no version to name yet); a menu with one has that draft's content replaced, which is a
 * draft write like any other: If-Match with the draft's ETag is required (428 without, 409 when stale).
 * Either way the draft is answered, with `created` telling which.
 */
export const restoreVersion = Effect.fnUntraced(function* (
  menuId: string,
  version: number,
  expected: number | undefined
) {
  const menus = yield* Menus
  const restored = isMenuV2Id(menuId) ? yield* menus.getVersion(menuId, version) : undefined
  if (restored === undefined) {
    const known = isMenuV2Id(menuId) && (yield* menus.getMenu(menuId)) !== undefined
    return yield* known
      ? new NotFound({ resource: "version", id: `${menuId}/versions/${version}` })
      : new NotFound({ resource: "menu", id: menuId })
  }
  const at = new Date(yield* Clock.currentTimeMillis)
  const existing = yield* menus.draftOfMenu(menuId)
  if (existing === undefined) {
    const draft: MenuDraft & { readonly menuId: string } = {
      draftId: newDraftId(),
      menuId,
      version: 1,
      content: restored.content,
      createdAt: at,
      updatedAt: at
    }
    yield* createDraftOfMenu(draft)
    return { draft, created: true }
  }
  if (expected === undefined) return yield* new PreconditionRequired({ resource: "draft", id: existing.draftId })
  if (existing.version !== expected) {
    return yield* new StaleVersion({
      resource: "draft",
      id: existing.draftId,
      current: existing.version,
      given: expected
    })
  }
  if (sameContent(existing.content, restored.content)) return { draft: existing, created: false }
  const written = yield* menus.updateDraft(existing.draftId, expected, restored.content, at)
  if (written === undefined) return yield* new NotFound({ resource: "draft", id: existing.draftId })
  if ("_tag" in written) {
    return yield* new StaleVersion({
      resource: "draft",
      id: existing.draftId,
      current: written.current,
      given: expected
    })
  }
  return { draft: written, created: false }
})
