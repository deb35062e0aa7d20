import { Context, type Effect } from "effect"
import type { StorageError } from "../../domain/errors.ts"
import type { MenuContent, MenuDraft, MenuHours, PublishedMenu } from "../../domain/menu.ts"
import type { Page } from "./catalog.ts"

/** A draft write whose expected version is not the stored one: the caller read a stale draft. */
export interface StaleDraft {
  readonly _tag: "StaleDraft"
  readonly current: number
}

export interface MenuVersionSummary {
  readonly menuId: string
  readonly version: number
  readonly name: string
  readonly publishedAt: Date
  /** How many items and stores that version had. */
  readonly items: number
  readonly stores: number
}

/** A published menu's current version without its sections: what an effective menu's key needs. */
export interface StoreMenuVersion {
  readonly menuId: string
  readonly version: number
  readonly publishedAt: Date
  readonly hours: MenuHours | null
}

/**
 * A tenant's Menu V2 store: drafts (one document each, written with optimistic concurrency),
 * published menus with every version kept, and the menus assigned to an outlet. Publishing replaces
 * a menu's current version in one transaction: a reader sees the old version or the new one whole.
 */
export class Menus extends Context.Service<
  Menus,
  {
    readonly createDraft: (draft: MenuDraft) => Effect.Effect<void, StorageError>
    readonly getDraft: (draftId: string) => Effect.Effect<MenuDraft | undefined, StorageError>
    /** Ordered by draft id, after the cursor. */
    readonly listDrafts: (page: Page) => Effect.Effect<ReadonlyArray<MenuDraft>, StorageError>
    /** The draft editing this published menu, if any (a menu has at most one). */
    readonly draftOfMenu: (menuId: string) => Effect.Effect<MenuDraft | undefined, StorageError>
    /**
     * Replaces the draft's content when its stored version is `expected`, storing `expected + 1`:
     * the new draft; `StaleDraft` with the stored version otherwise; undefined when there is none.
     */
    readonly updateDraft: (
      draftId: string,
      expected: number,
      content: MenuContent,
      at: Date
    ) => Effect.Effect<MenuDraft | StaleDraft | undefined, StorageError>
    /** Deletes the draft when its version is `expected`: true, `StaleDraft`, or false when there is none. */
    readonly deleteDraft: (draftId: string, expected: number) => Effect.Effect<boolean | StaleDraft, StorageError>
    /**
     * Publishes the draft's content as the menu's next version, in one transaction: when the draft's
     * version is still `expected`, the content differs from the menu's current version (otherwise
     * the current version is answered and nothing is written), the version row and the menu's
     * store assignments are written and the menu points at it; the draft is linked to the menu
     * (`menuId`) and its version incremented.
     */
    readonly publish: (
      draftId: string,
      expected: number,
      menuId: string,
      at: Date
    ) => Effect.Effect<
      { readonly menu: PublishedMenu; readonly created: boolean; readonly draft: MenuDraft } | StaleDraft | undefined,
      StorageError
    >
    readonly getMenu: (menuId: string) => Effect.Effect<PublishedMenu | undefined, StorageError>
    /** Published menus (their current versions), ordered by menu id, after the cursor. */
    readonly listMenus: (page: Page) => Effect.Effect<ReadonlyArray<PublishedMenu>, StorageError>
    /** Every version of a menu, newest first. */
    readonly versions: (menuId: string) => Effect.Effect<ReadonlyArray<MenuVersionSummary>, StorageError>
    readonly getVersion: (menuId: string, version: number) => Effect.Effect<PublishedMenu | undefined, StorageError>
    /** The current versions of the published menus assigned to an outlet, most recently published first. */
    readonly menusOfStore: (storeId: string) => Effect.Effect<ReadonlyArray<PublishedMenu>, StorageError>
    /** The same menus as `menusOfStore`, in the same order, without their sections (nothing else read). */
    readonly storeMenuVersions: (storeId: string) => Effect.Effect<ReadonlyArray<StoreMenuVersion>, StorageError>
  }
>()("pos/application/Menus") {}
