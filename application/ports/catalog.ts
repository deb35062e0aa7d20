import { Context, type Effect } from "effect"
import type { OutletSnapshot, TaxRatesByFulfilment, WeeklyWindow } from "../../domain/catalog.ts"
import type { StorageError, SyncInProgress } from "../../domain/errors.ts"
import type { BusyMode } from "./pos-inbox.ts"

/** An outlet as stored: what its POS said (the snapshot), with our stable id and the currency resolved. */
export interface StoreRow extends Omit<OutletSnapshot, "currency"> {
  readonly id: string
  readonly provider: string
  /** The payload's ISO code, else the tenant's default. */
  readonly currency: string
  /** What the POS last said of the outlet's kitchen (busy mode webhooks); a sync never changes it. */
  readonly busyMode: BusyMode
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** A product: a tenant-level object keyed by (provider, external id). */
export interface ItemRow {
  readonly id: string
  readonly provider: string
  readonly externalId: string
  readonly posCode: string
  readonly name: string
  readonly description: string | null
  readonly imageUrl: string | null
  /** Its modifier groups, in order (our ids). */
  readonly modifierGroupIds: ReadonlyArray<string>
  readonly updatedAt: Date
}

export interface GroupRow {
  readonly id: string
  readonly provider: string
  readonly externalId: string
  readonly posCode: string | null
  readonly name: string
  readonly min: number
  readonly max: number
  readonly maxPerOption: number
  readonly optionIds: ReadonlyArray<string>
  readonly updatedAt: Date
}

export interface OptionRow {
  readonly id: string
  readonly provider: string
  readonly externalId: string
  readonly posCode: string
  readonly name: string
  readonly price: number
  readonly snoozedUntil: Date | null
  readonly updatedAt: Date
}

/** What an outlet sells at which POS price: the (product, outlet) link. */
export interface ItemStoreRow {
  readonly itemId: string
  readonly storeId: string
  readonly price: number
  readonly taxRatePpm: number | null
  /** Rates by fulfilment type, when the POS gives them apart (empty: none). */
  readonly taxRatesPpm: TaxRatesByFulfilment
  readonly snoozedUntil: Date | null
  readonly active: boolean
  readonly updatedAt: Date
}

export interface SectionV1 {
  readonly id: string
  readonly externalId: string
  readonly name: string
  readonly position: number
  readonly itemIds: ReadonlyArray<string>
  readonly subSections: ReadonlyArray<SectionV1>
}

/** One V1 menu of an outlet, as its POS pushed it: a two-level section tree. */
export interface MenuV1Row {
  readonly id: string
  readonly storeId: string
  readonly provider: string
  readonly externalId: string
  readonly name: string
  readonly availabilities: ReadonlyArray<WeeklyWindow>
  readonly sections: ReadonlyArray<SectionV1>
  readonly active: boolean
  readonly updatedAt: Date
}

/** The stored state a catalog sync of one outlet compares its snapshot with. */
export interface CatalogState {
  /** The requested tenant-level rows that exist. */
  readonly items: ReadonlyArray<ItemRow>
  readonly groups: ReadonlyArray<GroupRow>
  readonly options: ReadonlyArray<OptionRow>
  /** Every (product, outlet) link of the outlet, active or not. */
  readonly itemStores: ReadonlyArray<ItemStoreRow>
  /** Every V1 menu of the outlet, active or not. */
  readonly menus: ReadonlyArray<MenuV1Row>
}

/** Rows to write: each is inserted, or replaces the row with its key. */
export interface CatalogChanges {
  readonly items: ReadonlyArray<ItemRow>
  readonly groups: ReadonlyArray<GroupRow>
  readonly options: ReadonlyArray<OptionRow>
  readonly itemStores: ReadonlyArray<ItemStoreRow>
  readonly menus: ReadonlyArray<MenuV1Row>
}

export interface Page {
  readonly cursor: string | null
  readonly limit: number
}

export interface ItemQuery extends Page {
  /** Only this outlet's products, with its link; otherwise every product. */
  readonly storeId: string | null
  readonly updatedSince: Date | null
  readonly includeInactive: boolean
}

export interface ItemWithLink {
  readonly item: ItemRow
  readonly link: ItemStoreRow | null
}

/** A tenant's outlets (stores, and their identifiers in store_credentials; their POS credentials: PosCredentialStore). */
export class Outlets extends Context.Service<
  Outlets,
  {
    readonly findByExternalIds: (
      provider: string,
      externalIds: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyArray<StoreRow>, StorageError>
    readonly save: (rows: ReadonlyArray<StoreRow>) => Effect.Effect<void, StorageError>
    readonly get: (id: string) => Effect.Effect<StoreRow | undefined, StorageError>
    /** Ordered by id, after the cursor. */
    readonly list: (
      page: Page & { readonly includeInactive: boolean }
    ) => Effect.Effect<ReadonlyArray<StoreRow>, StorageError>
  }
>()("pos/application/Outlets") {}

/** A tenant's catalog: the sync side (one outlet at a time, under its lock) and the read side. */
export class Catalog extends Context.Service<
  Catalog,
  {
    /**
     * Runs `effect` in one transaction holding the outlet's sync lock: a second sync of the same
     * outlet waits up to `waitMs`, then fails with `SyncInProgress`.
     */
    readonly withStoreLock: (
      storeId: string,
      waitMs: number
    ) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SyncInProgress | StorageError, R>
    readonly loadState: (
      storeId: string,
      ids: {
        readonly items: ReadonlyArray<string>
        readonly groups: ReadonlyArray<string>
        readonly options: ReadonlyArray<string>
      }
    ) => Effect.Effect<CatalogState, StorageError>
    readonly apply: (changes: CatalogChanges) => Effect.Effect<void, StorageError>
    readonly listItems: (query: ItemQuery) => Effect.Effect<ReadonlyArray<ItemWithLink>, StorageError>
    readonly getItem: (id: string) => Effect.Effect<ItemRow | undefined, StorageError>
    /** The products with these ids that exist, in the order asked (an id asked twice answers twice). */
    readonly getItems: (ids: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<ItemRow>, StorageError>
    /** Every outlet's links of these products. */
    readonly itemLinks: (itemIds: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<ItemStoreRow>, StorageError>
    readonly storeLinks: (
      storeId: string,
      itemIds: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyArray<ItemStoreRow>, StorageError>
    /**
     * The tenant's catalog generation: a number that moves on every write that can change a product,
     * an outlet's link to one, a modifier group or an option (a sync's `apply`, a delivery changing a
     * snooze), through any service instance, and on nothing else. Equal numbers, unchanged rows.
     */
    readonly catalogGeneration: () => Effect.Effect<number, StorageError>
    readonly getGroups: (ids: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<GroupRow>, StorageError>
    /**
     * What an order at the outlet needs of these products (distinct ids), in one read: the outlet's
     * links of them and the products that exist (each in the order asked), the modifier groups those
     * products name and the options those groups name (each sorted by id). The same rows as
     * `storeLinks`, `getItems`, `getGroups` and `getOptions` answer.
     */
    readonly orderingRows: (
      storeId: string,
      itemIds: ReadonlyArray<string>
    ) => Effect.Effect<OrderingRows, StorageError>
    readonly getOptions: (ids: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<OptionRow>, StorageError>
    readonly storeMenus: (storeId: string) => Effect.Effect<ReadonlyArray<MenuV1Row>, StorageError>
  }
>()("pos/application/Catalog") {}

export interface OrderingRows {
  readonly links: ReadonlyArray<ItemStoreRow>
  readonly items: ReadonlyArray<ItemRow>
  readonly groups: ReadonlyArray<GroupRow>
  readonly options: ReadonlyArray<OptionRow>
}

export interface SyncCounts {
  readonly created: number
  readonly updated: number
  readonly unchanged: number
  readonly deactivated: number
}

/** Where a sync's snapshot came from: pushed by the POS, or pulled from its API by us. */
export type SyncSource = "push" | "pull"

export interface SyncRecord {
  readonly id: string
  readonly kind: "outlets" | "products"
  readonly provider: string
  readonly source: SyncSource
  readonly storeId: string | null
  readonly status: "succeeded" | "failed"
  readonly counts: Readonly<Record<string, SyncCounts>>
  readonly error: string | null
  /**
   * For a products sync: what identifies the pushed payload exactly (provider and plugin version,
   * the outlet named by the request, the payload), and the callback it named.
   */
  readonly fingerprint: string | null
  readonly callbackUrl: string | null
  /** How many outlets that push named (each got a record of its own). */
  readonly pushedOutlets: number | null
  readonly startedAt: Date
  readonly finishedAt: Date
}

/** What each sync did: counts and outcome. */
export class SyncHistory extends Context.Service<
  SyncHistory,
  {
    readonly record: (sync: SyncRecord) => Effect.Effect<void, StorageError>
    readonly get: (id: string) => Effect.Effect<SyncRecord | undefined, StorageError>
    /** Newest first; the cursor is the last id seen. */
    readonly list: (
      query: Page & { readonly storeId: string | null }
    ) => Effect.Effect<ReadonlyArray<SyncRecord>, StorageError>
    /** The succeeded products syncs of exactly this payload, newest first (at most 100). */
    readonly withFingerprint: (fingerprint: string) => Effect.Effect<ReadonlyArray<SyncRecord>, StorageError>
  }
>()("pos/application/SyncHistory") {}
