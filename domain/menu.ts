/**
 * Menu V2 (SPEC sections 7.3 and 9): a menu a restaurant composes itself from the flat products POS
 * systems synced, with sections, per-menu prices, operating hours in its own time zone, and the
 * stores it is assigned to. A draft is edited; publishing validates it and makes it the menu's next
 * version. Everything here is plain data.
 */
import type { DayOfWeek } from "./catalog.ts"

export type DisplayType = "LIST" | "GRID" | "HIGHLIGHT" | "SWIMLANE"
export const displayTypes: ReadonlyArray<DisplayType> = ["LIST", "GRID", "HIGHLIGHT", "SWIMLANE"]

/** A product in a section, with the menu's own prices (integer minor units of the tenant's currency). */
export interface MenuItem {
  readonly productId: string
  readonly position: number
  /** The menu's price; null: the product's price at the outlet (its POS price). */
  readonly basePrice: number | null
  /** A reduced price, at most the base price; null: none. */
  readonly specialPrice: number | null
}

export interface MenuSection {
  readonly sectionId: string
  readonly name: string
  readonly displayType: DisplayType
  readonly position: number
  readonly items: ReadonlyArray<MenuItem>
}

/** A weekly opening range, in the menu's local wall-clock time: `closes` before `opens` runs past midnight. */
export interface WeeklyRange {
  readonly dayOfWeek: DayOfWeek
  /** `HH:MM`, 00:00 to 23:59. */
  readonly opens: string
  /** `HH:MM`, 00:00 to 24:00. */
  readonly closes: string
}

/** A date whose hours differ from the week's: closed all day (no ranges), or these ranges instead. */
export interface DateException {
  /** `YYYY-MM-DD`, a local date in the menu's zone. */
  readonly date: string
  readonly closed: boolean
  readonly ranges: ReadonlyArray<{ readonly opens: string; readonly closes: string }>
}

export interface MenuHours {
  /** IANA time zone: opening times hold in local time across daylight-saving changes. */
  readonly timezone: string
  readonly weekly: ReadonlyArray<WeeklyRange>
  readonly exceptions: ReadonlyArray<DateException>
}

/** What a draft and a published version hold. */
export interface MenuContent {
  readonly name: string
  readonly description: string | null
  readonly sections: ReadonlyArray<MenuSection>
  /** Null: no hours set, the menu is always open. */
  readonly hours: MenuHours | null
  /** Our outlet ids the menu is assigned to. */
  readonly storeIds: ReadonlyArray<string>
}

export interface MenuDraft {
  readonly draftId: string
  /** The published menu this draft edits; null for a menu not published yet. */
  readonly menuId: string | null
  /** Optimistic concurrency: every write must name it (If-Match) and increments it. */
  readonly version: number
  readonly content: MenuContent
  readonly createdAt: Date
  readonly updatedAt: Date
}

export interface PublishedMenu {
  readonly menuId: string
  readonly version: number
  readonly content: MenuContent
  readonly publishedAt: Date
}
