/**
 * The canonical snapshots every POS plugin decodes its vendor's payloads into. Identifiers are the
 * vendor's own (`externalId`); the core maps them to our stable ids. Money is an integer in minor
 * units. Everything is plain data, so snapshots compare and serialise without ceremony.
 */

export type DayOfWeek = 1 | 2 | 3 | 4 | 5 | 6 | 7

/** A snooze that lasts until the POS lifts it (an unsnooze), rather than until an instant. */
export const UNTIL_FURTHER_NOTICE = "further-notice" as const

/**
 * Whether and until when an item is snoozed: an instant (ISO 8601 UTC), `UNTIL_FURTHER_NOTICE`,
 * or null when it is available.
 */
export type Snooze = string | typeof UNTIL_FURTHER_NOTICE | null

/**
 * A snooze until further notice as stored: the last instant a Date can hold, so that every
 * comparison with a time treats it as later (PostgreSQL stores it as `infinity`).
 */
export const SNOOZED_INDEFINITELY = new Date(8.64e15)

/** A snapshot's snooze as a stored instant: null when available. */
export const snoozeInstant = (snooze: Snooze): Date | null =>
  snooze === null ? null : snooze === UNTIL_FURTHER_NOTICE ? SNOOZED_INDEFINITELY : new Date(snooze)

/** True for the stored form of a snooze until further notice. */
export const isIndefinite = (instant: Date | null): boolean =>
  instant !== null && instant.getTime() === SNOOZED_INDEFINITELY.getTime()

/** Parts per million of the price: 9% is 90000, 8.875% is 88750. Exact for rates of up to four decimals of a percent. */
export type TaxRatePpm = number

/** A weekly window, local to the outlet: `HH:MM` to `HH:MM` (a close before the open runs past midnight). */
export interface WeeklyWindow {
  readonly dayOfWeek: DayOfWeek
  readonly opens: string
  readonly closes: string
}

export type FulfilmentType = "PICKUP" | "DELIVERY" | "DINE_IN" | "CURBSIDE"
export const fulfilmentTypes: ReadonlyArray<FulfilmentType> = ["PICKUP", "DELIVERY", "DINE_IN", "CURBSIDE"]

/** Tax rates by fulfilment type, where a POS taxes them apart (Deliverect's delivery, takeaway and eat-in taxes). */
export type TaxRatesByFulfilment = Partial<Readonly<Record<FulfilmentType, TaxRatePpm>>>

export interface ServiceHours extends WeeklyWindow {
  readonly fulfilment: FulfilmentType
}

/** One outlet (store) as its POS describes it. */
export interface OutletSnapshot {
  readonly externalId: string
  readonly name: string
  /** False only when the payload says the outlet is inactive: an outlet missing from a payload is left alone. */
  readonly active: boolean
  /** ISO 4217, when the vendor gives one; otherwise the tenant's default applies. */
  readonly currency: string | null
  readonly timezone: string | null
  /** ISO 3166-1 alpha-2. */
  readonly country: string | null
  readonly address: string | null
  readonly postalCode: string | null
  readonly phone: string | null
  readonly taxInclusive: boolean | null
  readonly serviceHours: ReadonlyArray<ServiceHours>
  /** Non-secret identifiers needed to reach the store at the POS (Deliverect channelLinkId/locationId, ...). */
  readonly identifiers: Readonly<Record<string, string>>
  /**
   * The POS account the outlet belongs to (Deliverect account, Lightspeed business, Square
   * merchant), when the vendor names one: account-level credentials and pulls are found by it.
   */
  readonly accountId: string | null
}

export interface ProductSnapshot {
  readonly externalId: string
  /** The code the POS needs on an order (Deliverect plu, Lightspeed sku, Atlas id). */
  readonly posCode: string
  readonly name: string
  readonly description: string | null
  readonly imageUrl: string | null
  /** This outlet's POS price, in minor units. */
  readonly price: number
  /** Tax rate in parts per million (9% = 90000, 8.875% = 88750), when the vendor gives one. */
  readonly taxRatePpm: TaxRatePpm | null
  /**
   * The product's rates by fulfilment type, when the POS gives them apart; an order of that type
   * takes that rate, any other type `taxRatePpm`. Absent: none apart.
   */
  readonly taxRatesPpm?: TaxRatesByFulfilment
  /** The modifier groups offered with this product, in order (vendor ids). */
  readonly modifierGroupIds: ReadonlyArray<string>
  /** Snoozed until this instant (ISO 8601 UTC) or `UNTIL_FURTHER_NOTICE`; null when available. */
  readonly snoozedUntil: Snooze
}

export interface ModifierGroupSnapshot {
  readonly externalId: string
  readonly posCode: string | null
  readonly name: string
  /** How many options must and may be chosen in all. */
  readonly min: number
  readonly max: number
  /** How many times one option may be chosen (1 unless the vendor allows repeats). */
  readonly maxPerOption: number
  readonly optionIds: ReadonlyArray<string>
}

export interface ModifierOptionSnapshot {
  readonly externalId: string
  readonly posCode: string
  readonly name: string
  /** Added to the product's price, in minor units. */
  readonly price: number
  readonly snoozedUntil: Snooze
}

/** A menu section; sections nest one level (POS categories and their sub-categories). */
export interface SectionSnapshot {
  readonly externalId: string
  readonly name: string
  readonly position: number
  /** Product vendor ids, in display order. One product may stand in several sections. */
  readonly productIds: ReadonlyArray<string>
  readonly subSections: ReadonlyArray<SectionSnapshot>
}

export interface MenuSnapshot {
  readonly externalId: string
  readonly name: string
  readonly availabilities: ReadonlyArray<WeeklyWindow>
  readonly sections: ReadonlyArray<SectionSnapshot>
}

/** A POS-side request to be told how the sync ended (Deliverect's asynchronous menu push). */
export interface SyncCallback {
  readonly url: string
}

/** A full snapshot of one outlet's assortment and V1 menus, as one POS push describes it. */
export interface CatalogSnapshot {
  /** The outlets the payload names (Deliverect channelLinkId / stores); empty when it names none. */
  readonly outletIds: ReadonlyArray<string>
  readonly products: ReadonlyArray<ProductSnapshot>
  readonly modifierGroups: ReadonlyArray<ModifierGroupSnapshot>
  readonly modifierOptions: ReadonlyArray<ModifierOptionSnapshot>
  readonly menus: ReadonlyArray<MenuSnapshot>
  readonly callback: SyncCallback | null
}
