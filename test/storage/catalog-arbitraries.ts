import * as fc from "fast-check"
import type {
  CatalogChanges,
  GroupRow,
  ItemQuery,
  ItemRow,
  ItemStoreRow,
  ItemWithLink,
  MenuV1Row,
  OptionRow,
  SectionV1,
  StoreRow,
  SyncRecord
} from "../../application/ports/catalog.ts"
import {
  type CatalogSnapshot,
  type SectionSnapshot,
  type ServiceHours,
  SNOOZED_INDEFINITELY,
  snoozeInstant,
  UNTIL_FURTHER_NOTICE,
  type WeeklyWindow
} from "../../domain/catalog.ts"
import { menuV1Id, modifierGroupId, modifierOptionId, productId, sectionV1Id } from "../../domain/ids.ts"

/**
 * Generators for the catalog contract, and the simple model the adapters are compared with. Ids
 * mix cases, digits and `_` on purpose: a database that sorted them by a linguistic collation
 * instead of byte order would page them differently from the model.
 */

/** Short texts, with the ones that trip up quoting, JSON and encodings. */
export const arbText = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom("é", "日本語", "😀", "a'b", 'q"q', "back\\slash", "NULL", "{}", "[1,2]", "")
)
export const arbNonEmpty = fc.string({ minLength: 1, maxLength: 8 })

/** A few instants (with milliseconds), so `updatedSince` and equal times both come up. */
export const instants = [0, 1, 2, 3].map((k) => new Date(Date.UTC(2026, 0, 1 + k, 12, 0, 0, 120 * k + 7)))
export const arbInstant = fc.constantFrom(...instants)
/** A snooze as stored: an instant, or until further notice (PostgreSQL's infinity). */
const arbSnooze = fc.option(fc.constantFrom(...instants, SNOOZED_INDEFINITELY), { nil: null })
const arbPrice = fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(0, 2 ** 31, 2 ** 40 + 1))

export const byId = <T extends { readonly id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const arbWindow: fc.Arbitrary<WeeklyWindow> = fc.record({
  dayOfWeek: fc.constantFrom(1, 2, 3, 4, 5, 6, 7),
  opens: fc.constantFrom("00:00", "08:30", "11:00"),
  closes: fc.constantFrom("14:00", "23:59", "02:00", "24:00")
})
const arbServiceHours: fc.Arbitrary<ServiceHours> = fc.record({
  dayOfWeek: fc.constantFrom(1, 2, 3, 4, 5, 6, 7),
  opens: fc.constantFrom("00:00", "08:30"),
  closes: fc.constantFrom("14:00", "24:00"),
  fulfilment: fc.constantFrom("PICKUP", "DELIVERY", "DINE_IN", "CURBSIDE")
})

// ---- outlets -------------------------------------------------------------------------------

export const storeRow = (id: string, fields: Partial<StoreRow> = {}): StoreRow => ({
  id,
  provider: "prov",
  externalId: id,
  name: `Store ${id}`,
  active: true,
  currency: "EUR",
  timezone: null,
  country: null,
  address: null,
  postalCode: null,
  phone: null,
  taxInclusive: null,
  serviceHours: [],
  identifiers: {},
  accountId: null,
  busyMode: "ONLINE",
  createdAt: instants[0]!,
  updatedAt: instants[0]!,
  ...fields
})

export const storeIdPool = ["out_0", "out_A", "out_B", "out__", "out_a"]

export const arbStoreRow = (provider: string): fc.Arbitrary<StoreRow> =>
  fc
    .record({
      id: fc.constantFrom(...storeIdPool),
      name: arbText,
      active: fc.boolean(),
      currency: fc.constantFrom("EUR", "SGD"),
      timezone: fc.option(fc.constantFrom("Europe/Amsterdam", "Asia/Singapore"), { nil: null }),
      country: fc.option(fc.constantFrom("NL", "SG"), { nil: null }),
      address: fc.option(arbText, { nil: null }),
      postalCode: fc.option(arbText, { nil: null }),
      phone: fc.option(arbText, { nil: null }),
      taxInclusive: fc.option(fc.boolean(), { nil: null }),
      serviceHours: fc.array(arbServiceHours, { maxLength: 3 }),
      identifiers: fc
        .uniqueArray(fc.tuple(fc.constantFrom("channelLinkId", "locationId", "a b", "é", ""), arbText), {
          selector: ([k]) => k,
          maxLength: 3
        })
        .map((entries) => Object.fromEntries(entries)),
      accountId: fc.option(fc.constantFrom("acct-1", "Acct 2", "é"), { nil: null }),
      // What a store reads back with before any busy-mode webhook.
      busyMode: fc.constant("ONLINE" as const),
      createdAt: arbInstant,
      updatedAt: arbInstant
    })
    .map((r) => ({ ...r, provider, externalId: `ext${r.id}` }))

// ---- raw catalog rows ----------------------------------------------------------------------

export const itemIdPool = ["prd_0", "prd_A", "prd_B", "prd__", "prd_a"]
const groupIdPool = ["mgr_0", "mgr_B", "mgr_a"]
const optionIdPool = ["opt_0", "opt_B", "opt_a", "opt_c"]
const sectionIdPool = ["sec_1", "sec_2", "sec_3"]

// The external id follows the id, as derived ids do: one (provider, external id) is one row.
const arbItem: fc.Arbitrary<ItemRow> = fc
  .record({
    id: fc.constantFrom(...itemIdPool),
    provider: fc.constantFrom("prov"),
    posCode: arbNonEmpty,
    name: arbText,
    description: fc.option(arbText, { nil: null }),
    imageUrl: fc.option(arbText, { nil: null }),
    modifierGroupIds: fc.array(fc.constantFrom(...groupIdPool), { maxLength: 3 }),
    updatedAt: arbInstant
  })
  .map((r) => ({ ...r, externalId: `ext-${r.id}` }))

const arbGroup: fc.Arbitrary<GroupRow> = fc
  .record({
    id: fc.constantFrom(...groupIdPool),
    provider: fc.constant("prov"),
    posCode: fc.option(arbText, { nil: null }),
    name: arbText,
    min: fc.nat(3),
    max: fc.nat(5),
    maxPerOption: fc.integer({ min: 1, max: 3 }),
    optionIds: fc.array(fc.constantFrom(...optionIdPool), { maxLength: 4 }),
    updatedAt: arbInstant
  })
  .map((r) => ({ ...r, externalId: `ext-${r.id}` }))

const arbOption: fc.Arbitrary<OptionRow> = fc
  .record({
    id: fc.constantFrom(...optionIdPool),
    provider: fc.constant("prov"),
    posCode: arbNonEmpty,
    name: arbText,
    price: arbPrice,
    snoozedUntil: arbSnooze,
    updatedAt: arbInstant
  })
  .map((r) => ({ ...r, externalId: `ext-${r.id}` }))

/** Rates by fulfilment type: none, some, or all of them. */
const arbTaxRates = fc.record(
  {
    PICKUP: fc.integer({ min: 0, max: 250_000 }),
    DELIVERY: fc.integer({ min: 0, max: 250_000 }),
    DINE_IN: fc.integer({ min: 0, max: 250_000 }),
    CURBSIDE: fc.integer({ min: 0, max: 250_000 })
  },
  { requiredKeys: [] }
)

const arbLink = (stores: ReadonlyArray<string>): fc.Arbitrary<ItemStoreRow> =>
  fc.record({
    itemId: fc.constantFrom(...itemIdPool),
    storeId: fc.constantFrom(...stores),
    price: arbPrice,
    taxRatePpm: fc.option(fc.integer({ min: 0, max: 250_000 }), { nil: null }),
    taxRatesPpm: arbTaxRates,
    snoozedUntil: arbSnooze,
    active: fc.boolean(),
    updatedAt: arbInstant
  })

const tupleOf = <T>(arbs: ReadonlyArray<fc.Arbitrary<T>>): fc.Arbitrary<ReadonlyArray<T>> =>
  arbs.length === 0 ? fc.constant([]) : fc.tuple(...arbs)

/** A section tree with sibling-unique ids that may repeat across levels (as derived ids can). */
const arbSections = (depth: number): fc.Arbitrary<ReadonlyArray<SectionV1>> =>
  fc.uniqueArray(fc.constantFrom(...sectionIdPool), { maxLength: depth === 0 ? 3 : 2 }).chain((ids) =>
    tupleOf(
      ids.map((id) =>
        fc.record({
          id: fc.constant(id),
          externalId: arbText,
          name: arbText,
          position: fc.integer({ min: -3, max: 1000 }),
          itemIds: fc.array(fc.constantFrom(...itemIdPool), { maxLength: 3 }),
          subSections: depth === 0 ? arbSections(1) : fc.constant([])
        })
      )
    )
  )

/** Menus belong to one store: their ids are derived from it. */
const arbMenu = (stores: ReadonlyArray<string>): fc.Arbitrary<MenuV1Row> =>
  fc
    .record({
      store: fc.nat(stores.length - 1),
      slot: fc.constantFrom("x", "Y"),
      name: arbText,
      externalId: arbText,
      availabilities: fc.array(arbWindow, { maxLength: 3 }),
      sections: arbSections(0),
      active: fc.boolean(),
      updatedAt: arbInstant
    })
    .map(({ store, slot, ...rest }) => ({
      ...rest,
      id: `mnu_${stores[store]}_${slot}`,
      storeId: stores[store]!,
      provider: "prov"
    }))

/** Batches of rows to apply; repeats within a batch are allowed (the last one wins). */
export const arbChanges = (stores: ReadonlyArray<string>): fc.Arbitrary<CatalogChanges> =>
  fc.record({
    items: fc.array(arbItem, { maxLength: 4 }),
    groups: fc.array(arbGroup, { maxLength: 3 }),
    options: fc.array(arbOption, { maxLength: 4 }),
    itemStores: fc.array(arbLink(stores), { maxLength: 6 }),
    menus: fc.array(arbMenu(stores), { maxLength: 3 })
  })

/** What the tables hold, as the in-memory adapter keeps it. */
export interface CatalogModel {
  readonly items: Map<string, ItemRow>
  readonly groups: Map<string, GroupRow>
  readonly options: Map<string, OptionRow>
  /** `${storeId}|${itemId}` */
  readonly links: Map<string, ItemStoreRow>
  readonly menus: Map<string, MenuV1Row>
}

export const emptyModel = (): CatalogModel => ({
  items: new Map(),
  groups: new Map(),
  options: new Map(),
  links: new Map(),
  menus: new Map()
})

/** Only links whose product exists by then: the SQL tables hold a foreign key. */
export const applicable = (model: CatalogModel, changes: CatalogChanges): CatalogChanges => {
  const known = new Set([...model.items.keys(), ...changes.items.map((i) => i.id)])
  return { ...changes, itemStores: changes.itemStores.filter((l) => known.has(l.itemId)) }
}

export const applyToModel = (model: CatalogModel, changes: CatalogChanges) => {
  for (const r of changes.items) model.items.set(r.id, r)
  for (const r of changes.groups) model.groups.set(r.id, r)
  for (const r of changes.options) model.options.set(r.id, r)
  for (const r of changes.itemStores) model.links.set(`${r.storeId}|${r.itemId}`, r)
  for (const r of changes.menus) model.menus.set(r.id, r)
}

export const present = <T>(map: Map<string, T>, ids: ReadonlyArray<string>): Array<T> =>
  ids.flatMap((id) => {
    const row = map.get(id)
    return row === undefined ? [] : [row]
  })

export const modelLinksOf = (model: CatalogModel, storeId: string) =>
  [...model.links.values()].filter((l) => l.storeId === storeId).sort((a, b) => compare(a.itemId, b.itemId))

export const modelMenusOf = (model: CatalogModel, storeId: string) =>
  [...model.menus.values()].filter((m) => m.storeId === storeId).sort(byId)

export const modelListItems = (model: CatalogModel, q: ItemQuery): Array<ItemWithLink> => {
  const since = q.updatedSince?.getTime() ?? Number.NEGATIVE_INFINITY
  const after = (id: string) => q.cursor === null || id > q.cursor
  if (q.storeId !== null) {
    return modelLinksOf(model, q.storeId)
      .flatMap((link) => {
        const item = model.items.get(link.itemId)
        if (item === undefined || !after(item.id) || (!q.includeInactive && !link.active)) return []
        return Math.max(item.updatedAt.getTime(), link.updatedAt.getTime()) >= since ? [{ item, link }] : []
      })
      .slice(0, q.limit)
  }
  const sold = new Set([...model.links.values()].filter((l) => l.active).map((l) => l.itemId))
  return [...model.items.values()]
    .filter((i) => after(i.id) && (q.includeInactive || sold.has(i.id)) && i.updatedAt.getTime() >= since)
    .sort(byId)
    .slice(0, q.limit)
    .map((item) => ({ item, link: null }))
}

export const arbItemQuery = (stores: ReadonlyArray<string>): fc.Arbitrary<ItemQuery> =>
  fc.record({
    storeId: fc.option(fc.constantFrom(...stores), { nil: null }),
    updatedSince: fc.option(arbInstant, { nil: null }),
    includeInactive: fc.boolean(),
    cursor: fc.option(fc.constantFrom(...itemIdPool, "prd_", "prd_Z", "zzz"), { nil: null }),
    limit: fc.integer({ min: 1, max: 6 })
  })

export const sortLinks = (links: ReadonlyArray<ItemStoreRow>) =>
  [...links].sort((a, b) => compare(`${a.storeId}|${a.itemId}`, `${b.storeId}|${b.itemId}`))

// ---- snapshots -------------------------------------------------------------------------------

const productPool = ["p1", "p2", "P1", "p_3", "p-4"]
const groupPool = ["g1", "g2", "G3"]
const optionPool = ["o1", "o2", "O3", "o4"]
const menuPool = ["m1", "M2"]
const isoOf = fc.option(
  fc.oneof(
    arbInstant.map((d): string => d.toISOString()),
    fc.constant(UNTIL_FURTHER_NOTICE)
  ),
  { nil: null }
)

const arbSnapshotSections = (
  products: ReadonlyArray<string>,
  depth: number
): fc.Arbitrary<ReadonlyArray<SectionSnapshot>> =>
  fc.uniqueArray(fc.constantFrom("s1", "s2", "s3"), { maxLength: depth === 0 ? 3 : 2 }).chain((ids) =>
    tupleOf(
      ids.map((externalId) =>
        fc.record({
          externalId: fc.constant(externalId),
          name: arbText,
          position: fc.nat(20),
          productIds:
            products.length === 0 ? fc.constant([]) : fc.array(fc.constantFrom(...products), { maxLength: 3 }),
          subSections: depth === 0 ? arbSnapshotSections(products, 1) : fc.constant([])
        })
      )
    )
  )

/** A small valid snapshot: every reference resolves (catalogIssues finds nothing). */
export const arbSnapshot: fc.Arbitrary<CatalogSnapshot> = fc
  .record({
    options: fc.subarray(optionPool),
    groups: fc.subarray(groupPool),
    products: fc.subarray(productPool),
    menus: fc.subarray(menuPool)
  })
  .chain(({ options, groups, products, menus }) =>
    fc.record({
      outletIds: fc.constant([]),
      modifierOptions: tupleOf(
        options.map((externalId) =>
          fc.record({
            externalId: fc.constant(externalId),
            posCode: arbNonEmpty,
            name: arbText,
            price: arbPrice,
            snoozedUntil: isoOf
          })
        )
      ),
      modifierGroups: tupleOf(
        groups.map((externalId) =>
          fc.record({
            externalId: fc.constant(externalId),
            posCode: fc.option(arbText, { nil: null }),
            name: arbText,
            min: fc.nat(2),
            max: fc.integer({ min: 2, max: 4 }),
            maxPerOption: fc.integer({ min: 1, max: 3 }),
            optionIds: fc.shuffledSubarray(options)
          })
        )
      ),
      products: tupleOf(
        products.map((externalId) =>
          fc.record({
            externalId: fc.constant(externalId),
            posCode: arbNonEmpty,
            name: arbText,
            description: fc.option(arbText, { nil: null }),
            imageUrl: fc.option(arbText, { nil: null }),
            price: arbPrice,
            taxRatePpm: fc.option(fc.integer({ min: 0, max: 250_000 }), { nil: null }),
            taxRatesPpm: arbTaxRates,
            modifierGroupIds: fc.shuffledSubarray(groups),
            snoozedUntil: isoOf
          })
        )
      ),
      menus: tupleOf(
        menus.map((externalId) =>
          fc.record({
            externalId: fc.constant(externalId),
            name: arbText,
            availabilities: fc.array(arbWindow, { maxLength: 3 }),
            sections: arbSnapshotSections(products, 0)
          })
        )
      ),
      callback: fc.constant(null)
    })
  )

/** What reading the outlet back must show after syncing `snapshot`: rows without their times. */
export const expectedFromSnapshot = (provider: string, storeId: string, snapshot: CatalogSnapshot) => {
  const date = snoozeInstant
  // A top-level section's id comes from its menu, a sub-section's from its parent section.
  const sections = (parentId: string, list: ReadonlyArray<SectionSnapshot>): Array<SectionV1> =>
    list.map((s) => {
      const id = sectionV1Id(parentId, s.externalId)
      return {
        id,
        externalId: s.externalId,
        name: s.name,
        position: s.position,
        itemIds: s.productIds.map((p) => productId(provider, p)),
        subSections: sections(id, s.subSections)
      }
    })
  return {
    products: snapshot.products
      .map((p) => ({
        item: {
          id: productId(provider, p.externalId),
          provider,
          externalId: p.externalId,
          posCode: p.posCode,
          name: p.name,
          description: p.description,
          imageUrl: p.imageUrl,
          modifierGroupIds: p.modifierGroupIds.map((g) => modifierGroupId(provider, g))
        },
        link: {
          itemId: productId(provider, p.externalId),
          storeId,
          price: p.price,
          taxRatePpm: p.taxRatePpm,
          taxRatesPpm: p.taxRatesPpm,
          snoozedUntil: date(p.snoozedUntil),
          active: true
        }
      }))
      .sort((a, b) => compare(a.item.id, b.item.id)),
    groups: snapshot.modifierGroups.map((g) => ({
      id: modifierGroupId(provider, g.externalId),
      provider,
      externalId: g.externalId,
      posCode: g.posCode,
      name: g.name,
      min: g.min,
      max: g.max,
      maxPerOption: g.maxPerOption,
      optionIds: g.optionIds.map((o) => modifierOptionId(provider, o))
    })),
    options: snapshot.modifierOptions.map((o) => ({
      id: modifierOptionId(provider, o.externalId),
      provider,
      externalId: o.externalId,
      posCode: o.posCode,
      name: o.name,
      price: o.price,
      snoozedUntil: date(o.snoozedUntil)
    })),
    menus: snapshot.menus
      .map((m) => {
        const id = menuV1Id(storeId, m.externalId)
        return {
          id,
          storeId,
          provider,
          externalId: m.externalId,
          name: m.name,
          availabilities: m.availabilities,
          sections: sections(id, m.sections),
          active: true
        }
      })
      .sort(byId)
  }
}

/** A row without `updatedAt`, for comparing what a sync wrote with what it was told. */
export const withoutTime = <T extends { readonly updatedAt: Date }>({ updatedAt: _, ...rest }: T) => rest

// ---- sync history --------------------------------------------------------------------------

const arbCounts = fc.record({ created: fc.nat(9), updated: fc.nat(9), unchanged: fc.nat(9), deactivated: fc.nat(9) })

export const arbSyncRecord = (stores: ReadonlyArray<string>): fc.Arbitrary<SyncRecord> =>
  fc.record({
    id: fc.constantFrom("syn_0001", "syn_0002", "syn_000a", "syn_000B", "syn_0010", "syn_1"),
    kind: fc.constantFrom("outlets", "products"),
    provider: fc.constantFrom("prov", "other"),
    source: fc.constantFrom("push", "pull"),
    storeId: fc.option(fc.constantFrom(...stores), { nil: null }),
    status: fc.constantFrom("succeeded", "failed"),
    counts: fc
      .uniqueArray(fc.tuple(fc.constantFrom("products", "menus", "outlets"), arbCounts), {
        selector: ([k]) => k,
        maxLength: 3
      })
      .map((entries) => Object.fromEntries(entries)),
    error: fc.option(arbText, { nil: null }),
    fingerprint: fc.option(fc.constantFrom("fp-1", "fp-2"), { nil: null }),
    callbackUrl: fc.option(fc.constantFrom("https://api.deliverect.com/cb/1"), { nil: null }),
    pushedOutlets: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
    startedAt: arbInstant,
    finishedAt: arbInstant
  })
