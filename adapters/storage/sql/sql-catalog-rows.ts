import type {
  GroupRow,
  ItemRow,
  ItemStoreRow,
  MenuV1Row,
  OptionRow,
  SectionV1,
  StoreRow,
  SyncCounts,
  SyncRecord
} from "../../../application/ports/catalog.ts"
import type { BusyMode } from "../../../application/ports/pos-inbox.ts"
import {
  type FulfilmentType,
  fulfilmentTypes,
  type ServiceHours,
  SNOOZED_INDEFINITELY,
  type TaxRatesByFulfilment,
  type WeeklyWindow
} from "../../../domain/catalog.ts"
import type { BatchColumn } from "./sql-batch.ts"
import { toDate, toDateOrNull } from "./sql-errors.ts"

/**
 * The catalog tables' rows as the drivers give them (sql-pg and PGlite alike: timestamptz as Date,
 * jsonb parsed, text[] as an array, int8 as bigint), and the conversions both ways.
 */

/** int8 comes back as a bigint; prices are safe integers (the sync checks), so Number is exact. */
const toNumber = (value: unknown): number => Number(value)
const toNumberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value))

/** Formats dates for a batch. Date#toISOString dominated encoding a sync's rows, and they share a few instants. */
export type Iso = (date: Date | null) => string | null

export const makeIso = (): Iso => {
  let lastMs = Number.NaN
  let last = ""
  return (date) => {
    if (date === null) return null
    const ms = date.getTime()
    if (ms !== lastMs) {
      lastMs = ms
      // A snooze until further notice: PostgreSQL's own "later than every instant".
      last = ms === SNOOZED_INDEFINITELY.getTime() ? "infinity" : date.toISOString()
    }
    return last
  }
}

export interface StoreDbRow {
  readonly id: string
  readonly provider: string
  readonly external_id: string
  readonly name: string
  readonly active: boolean
  readonly currency: string
  readonly timezone: string | null
  readonly country: string | null
  readonly address: string | null
  readonly postal_code: string | null
  readonly phone: string | null
  readonly tax_inclusive: boolean | null
  readonly service_hours: ReadonlyArray<ServiceHours>
  readonly account_id: string | null
  /** From store_status: ONLINE when the POS never said otherwise. */
  readonly busy_mode: string
  /** From store_credentials; null when the store has no credentials row. */
  readonly identifiers: Readonly<Record<string, string>> | null
  readonly created_at: unknown
  readonly updated_at: unknown
}

export const toStore = (row: StoreDbRow): StoreRow => ({
  id: row.id,
  provider: row.provider,
  externalId: row.external_id,
  name: row.name,
  active: row.active,
  currency: row.currency,
  timezone: row.timezone,
  country: row.country,
  address: row.address,
  postalCode: row.postal_code,
  phone: row.phone,
  taxInclusive: row.tax_inclusive,
  serviceHours: row.service_hours,
  identifiers: row.identifiers ?? {},
  accountId: row.account_id,
  busyMode: row.busy_mode as BusyMode,
  createdAt: toDate(row.created_at),
  updatedAt: toDate(row.updated_at)
})

export const storeColumns = (row: StoreRow, iso: Iso) => ({
  id: row.id,
  provider: row.provider,
  external_id: row.externalId,
  name: row.name,
  active: row.active,
  currency: row.currency,
  timezone: row.timezone,
  country: row.country,
  address: row.address,
  postal_code: row.postalCode,
  phone: row.phone,
  tax_inclusive: row.taxInclusive,
  service_hours: row.serviceHours,
  account_id: row.accountId,
  identifiers: row.identifiers,
  created_at: iso(row.createdAt),
  updated_at: iso(row.updatedAt)
})

export interface ItemDbRow {
  readonly id: string
  readonly provider: string
  readonly external_id: string
  readonly pos_code: string
  readonly name: string
  readonly description: string | null
  readonly image_url: string | null
  readonly modifier_group_ids: ReadonlyArray<string>
  readonly updated_at: unknown
}

export const toItem = (row: ItemDbRow): ItemRow => ({
  id: row.id,
  provider: row.provider,
  externalId: row.external_id,
  posCode: row.pos_code,
  name: row.name,
  description: row.description,
  imageUrl: row.image_url,
  modifierGroupIds: row.modifier_group_ids,
  updatedAt: toDate(row.updated_at)
})

export const itemColumns: ReadonlyArray<BatchColumn<ItemRow>> = [
  { name: "id", type: "text", value: (row) => row.id },
  { name: "provider", type: "text", value: (row) => row.provider },
  { name: "external_id", type: "text", value: (row) => row.externalId },
  { name: "pos_code", type: "text", value: (row) => row.posCode },
  { name: "name", type: "text", value: (row) => row.name },
  { name: "description", type: "text", value: (row) => row.description },
  { name: "image_url", type: "text", value: (row) => row.imageUrl },
  { name: "modifier_group_ids", type: "text[]", value: (row) => row.modifierGroupIds },
  { name: "updated_at", type: "timestamptz", value: (row) => row.updatedAt }
]

export interface GroupDbRow {
  readonly id: string
  readonly provider: string
  readonly external_id: string
  readonly pos_code: string | null
  readonly name: string
  readonly min: number
  readonly max: number
  readonly max_per_option: number
  readonly option_ids: ReadonlyArray<string>
  readonly updated_at: unknown
}

export const toGroup = (row: GroupDbRow): GroupRow => ({
  id: row.id,
  provider: row.provider,
  externalId: row.external_id,
  posCode: row.pos_code,
  name: row.name,
  min: toNumber(row.min),
  max: toNumber(row.max),
  maxPerOption: toNumber(row.max_per_option),
  optionIds: row.option_ids,
  updatedAt: toDate(row.updated_at)
})

export const groupColumns: ReadonlyArray<BatchColumn<GroupRow>> = [
  { name: "id", type: "text", value: (row) => row.id },
  { name: "provider", type: "text", value: (row) => row.provider },
  { name: "external_id", type: "text", value: (row) => row.externalId },
  { name: "pos_code", type: "text", value: (row) => row.posCode },
  { name: "name", type: "text", value: (row) => row.name },
  { name: "min", type: "integer", value: (row) => row.min },
  { name: "max", type: "integer", value: (row) => row.max },
  { name: "max_per_option", type: "integer", value: (row) => row.maxPerOption },
  { name: "option_ids", type: "text[]", value: (row) => row.optionIds },
  { name: "updated_at", type: "timestamptz", value: (row) => row.updatedAt }
]

export interface OptionDbRow {
  readonly id: string
  readonly provider: string
  readonly external_id: string
  readonly pos_code: string
  readonly name: string
  readonly price: unknown
  readonly snoozed_until: unknown
  readonly updated_at: unknown
}

export const toOption = (row: OptionDbRow): OptionRow => ({
  id: row.id,
  provider: row.provider,
  externalId: row.external_id,
  posCode: row.pos_code,
  name: row.name,
  price: toNumber(row.price),
  snoozedUntil: toDateOrNull(row.snoozed_until),
  updatedAt: toDate(row.updated_at)
})

export const optionColumns: ReadonlyArray<BatchColumn<OptionRow>> = [
  { name: "id", type: "text", value: (row) => row.id },
  { name: "provider", type: "text", value: (row) => row.provider },
  { name: "external_id", type: "text", value: (row) => row.externalId },
  { name: "pos_code", type: "text", value: (row) => row.posCode },
  { name: "name", type: "text", value: (row) => row.name },
  { name: "price", type: "bigint", value: (row) => row.price },
  { name: "snoozed_until", type: "timestamptz", value: (row) => row.snoozedUntil },
  { name: "updated_at", type: "timestamptz", value: (row) => row.updatedAt }
]

export interface LinkDbRow {
  readonly item_id: string
  readonly store_id: string
  readonly price: unknown
  readonly tax_rate_ppm: unknown
  readonly tax_rates: unknown
  readonly snoozed_until: unknown
  readonly active: boolean
  readonly updated_at: unknown
}

/** The jsonb of rates by fulfilment type (parsed by the driver, or text): numbers kept, anything else dropped. */
const taxRatesOf = (value: unknown): TaxRatesByFulfilment => {
  const parsed = typeof value === "string" ? (JSON.parse(value) as unknown) : value
  if (parsed === null || typeof parsed !== "object") return {}
  const rates: Partial<Record<FulfilmentType, number>> = {}
  for (const type of fulfilmentTypes) {
    const rate = (parsed as Record<string, unknown>)[type]
    if (typeof rate === "number") rates[type] = rate
  }
  return rates
}

export const toLink = (row: LinkDbRow): ItemStoreRow => ({
  itemId: row.item_id,
  storeId: row.store_id,
  price: toNumber(row.price),
  taxRatePpm: toNumberOrNull(row.tax_rate_ppm),
  taxRatesPpm: taxRatesOf(row.tax_rates),
  snoozedUntil: toDateOrNull(row.snoozed_until),
  active: row.active,
  updatedAt: toDate(row.updated_at)
})

export const linkColumns: ReadonlyArray<BatchColumn<ItemStoreRow>> = [
  { name: "store_id", type: "text", value: (row) => row.storeId },
  { name: "item_id", type: "text", value: (row) => row.itemId },
  { name: "price", type: "bigint", value: (row) => row.price },
  { name: "tax_rate_ppm", type: "integer", value: (row) => row.taxRatePpm },
  { name: "tax_rates", type: "jsonb", value: (row) => row.taxRatesPpm },
  { name: "snoozed_until", type: "timestamptz", value: (row) => row.snoozedUntil },
  { name: "active", type: "boolean", value: (row) => row.active },
  { name: "updated_at", type: "timestamptz", value: (row) => row.updatedAt }
]

export interface MenuDbRow {
  readonly id: string
  readonly store_id: string
  readonly provider: string
  readonly external_id: string
  readonly name: string
  readonly availabilities: ReadonlyArray<WeeklyWindow>
  readonly active: boolean
  readonly updated_at: unknown
}

export interface SectionDbRow {
  readonly menu_id: string
  readonly seq: number
  readonly parent_seq: number | null
  readonly id: string
  readonly external_id: string
  readonly name: string
  readonly position: number
  readonly item_ids: ReadonlyArray<string>
}

export const menuColumns: ReadonlyArray<BatchColumn<MenuV1Row>> = [
  { name: "id", type: "text", value: (row) => row.id },
  { name: "store_id", type: "text", value: (row) => row.storeId },
  { name: "provider", type: "text", value: (row) => row.provider },
  { name: "external_id", type: "text", value: (row) => row.externalId },
  { name: "name", type: "text", value: (row) => row.name },
  { name: "availabilities", type: "jsonb", value: (row) => row.availabilities },
  { name: "active", type: "boolean", value: (row) => row.active },
  { name: "updated_at", type: "timestamptz", value: (row) => row.updatedAt }
]

/** The rows of `sectionRows`. */
export const sectionWriteColumns: ReadonlyArray<BatchColumn<SectionDbRow>> = [
  { name: "menu_id", type: "text", value: (row) => row.menu_id },
  { name: "seq", type: "integer", value: (row) => row.seq },
  { name: "parent_seq", type: "integer", value: (row) => row.parent_seq },
  { name: "id", type: "text", value: (row) => row.id },
  { name: "external_id", type: "text", value: (row) => row.external_id },
  { name: "name", type: "text", value: (row) => row.name },
  { name: "position", type: "integer", value: (row) => row.position },
  { name: "item_ids", type: "text[]", value: (row) => row.item_ids }
]

/** A menu's section tree flattened in pre-order, each section pointing at its parent's number. */
export const sectionColumns = (menu: MenuV1Row) => {
  const rows: Array<Omit<SectionDbRow, "seq" | "parent_seq"> & { seq: number; parent_seq: number | null }> = []
  const visit = (sections: ReadonlyArray<SectionV1>, parent: number | null) => {
    for (const s of sections) {
      const seq = rows.length
      rows.push({
        menu_id: menu.id,
        seq,
        parent_seq: parent,
        id: s.id,
        external_id: s.externalId,
        name: s.name,
        position: s.position,
        item_ids: s.itemIds
      })
      visit(s.subSections, seq)
    }
  }
  visit(menu.sections, null)
  return rows
}

interface SectionNode {
  readonly id: string
  readonly externalId: string
  readonly name: string
  readonly position: number
  readonly itemIds: ReadonlyArray<string>
  readonly subSections: Array<SectionNode>
}

/** Rebuilds each menu's tree from its sections in pre-order (parents always come first). */
export const toMenus = (menus: ReadonlyArray<MenuDbRow>, sections: ReadonlyArray<SectionDbRow>): Array<MenuV1Row> => {
  const trees = new Map<string, Array<SectionNode>>()
  const nodes = new Map<string, SectionNode>()
  for (const s of [...sections].sort((a, b) => a.seq - b.seq)) {
    const node: SectionNode = {
      id: s.id,
      externalId: s.external_id,
      name: s.name,
      position: toNumber(s.position),
      itemIds: s.item_ids,
      subSections: []
    }
    nodes.set(`${s.menu_id}/${s.seq}`, node)
    if (s.parent_seq === null) {
      let top = trees.get(s.menu_id)
      if (top === undefined) {
        top = []
        trees.set(s.menu_id, top)
      }
      top.push(node)
    } else nodes.get(`${s.menu_id}/${s.parent_seq}`)?.subSections.push(node)
  }
  return menus.map((m) => ({
    id: m.id,
    storeId: m.store_id,
    provider: m.provider,
    externalId: m.external_id,
    name: m.name,
    availabilities: m.availabilities,
    sections: trees.get(m.id) ?? [],
    active: m.active,
    updatedAt: toDate(m.updated_at)
  }))
}

export interface SyncDbRow {
  readonly id: string
  readonly kind: string
  readonly provider: string
  readonly source: string
  readonly store_id: string | null
  readonly status: string
  readonly counts: Readonly<Record<string, SyncCounts>>
  readonly error: string | null
  readonly fingerprint: string | null
  readonly callback_url: string | null
  readonly pushed_outlets: unknown
  readonly started_at: unknown
  readonly finished_at: unknown
}

export const toSync = (row: SyncDbRow): SyncRecord => ({
  id: row.id,
  kind: row.kind as SyncRecord["kind"],
  provider: row.provider,
  source: row.source as SyncRecord["source"],
  storeId: row.store_id,
  status: row.status as SyncRecord["status"],
  counts: row.counts,
  error: row.error,
  fingerprint: row.fingerprint,
  callbackUrl: row.callback_url,
  pushedOutlets: toNumberOrNull(row.pushed_outlets),
  startedAt: toDate(row.started_at),
  finishedAt: toDate(row.finished_at)
})

/** The rows with these ids, in the order asked (as the in-memory adapter answers), missing ones left out. */
export const inRequestOrder = <T>(ids: ReadonlyArray<string>, rows: ReadonlyArray<T>, key: (row: T) => string) => {
  const byKey = new Map(rows.map((r) => [key(r), r]))
  return ids.flatMap((id) => {
    const row = byKey.get(id)
    return row === undefined ? [] : [row]
  })
}
