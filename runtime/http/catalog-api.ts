import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { Capability } from "../../application/pos-sdk/manifest.ts"
import type { Scope } from "../../domain/api-key.ts"
import { secured } from "./api-middleware.ts"
import { Currency, DateTime, DateTimeQuery, doc, FulfilmentType, Limit, Money, NextCursor } from "./api-types.ts"
import { conditionalRead } from "./conditional-response.ts"
import { CatalogPush, RequiredScopes } from "./context.ts"
import { BadRequestJson, ConflictJson, NotFoundJson } from "./errors.ts"
import { DisplayType, MenuHours, UnavailableReason } from "./menus-schemas.ts"

const Count = Schema.Int.annotate({ description: "A number of objects, 0 or more" })
const Counts = Schema.Struct({ created: Count, updated: Count, unchanged: Count, deactivated: Count }).annotate({
  identifier: "SyncCounts"
})
const WallClock = Schema.String.annotate({ description: "Local wall-clock time HH:MM", examples: ["09:30"] })
const WeeklyWindow = Schema.Struct({
  dayOfWeek: Schema.Int.annotate({ description: "ISO 8601 day of week: 1 = Monday to 7 = Sunday", examples: [1] }),
  opens: WallClock,
  closes: WallClock
})

export const Provider = Schema.Struct({
  id: Schema.String,
  displayName: Schema.String,
  version: Schema.String,
  sdkVersion: Schema.Int,
  capabilities: Schema.Array(Capability)
}).annotate({ identifier: "Provider" })

const BusyModeSchema = Schema.Literals(["ONLINE", "BUSY", "PAUSED"]).annotate({
  description:
    "What the POS last said of the kitchen (its busy-mode webhooks): ONLINE, BUSY (orders are slower), or PAUSED (it takes no orders: every product of the outlet's menu is unavailable)"
})

export const Outlet = Schema.Struct({
  outletId: Schema.String,
  provider: Schema.String,
  externalId: Schema.String,
  name: Schema.String,
  active: Schema.Boolean,
  currency: Currency,
  timezone: Schema.NullOr(Schema.String.annotate({ description: "IANA time zone", examples: ["Asia/Singapore"] })),
  country: Schema.NullOr(Schema.String),
  address: Schema.NullOr(Schema.String),
  postalCode: Schema.NullOr(Schema.String),
  phone: Schema.NullOr(Schema.String),
  taxInclusive: Schema.NullOr(Schema.Boolean),
  serviceHours: Schema.Array(Schema.Struct({ ...WeeklyWindow.fields, fulfilment: FulfilmentType })),
  busyMode: BusyModeSchema,
  createdAt: DateTime,
  updatedAt: DateTime
}).annotate({ identifier: "Outlet" })

const OptionView = Schema.Struct({
  optionId: Schema.String,
  externalId: Schema.String,
  posCode: Schema.String,
  name: Schema.String,
  price: Money,
  available: Schema.Boolean
}).annotate({ identifier: "ModifierOption" })

const GroupView = Schema.Struct({
  modifierGroupId: Schema.String,
  externalId: Schema.String,
  name: Schema.String,
  min: Schema.Int,
  max: Schema.Int,
  maxPerOption: Schema.Int,
  options: Schema.Array(OptionView)
}).annotate({ identifier: "ModifierGroup" })

export const Product = Schema.Struct({
  productId: Schema.String,
  provider: Schema.String,
  externalId: Schema.String,
  posCode: Schema.String,
  name: Schema.String,
  description: Schema.NullOr(Schema.String),
  imageUrl: Schema.NullOr(Schema.String),
  price: Schema.NullOr(Money),
  available: Schema.NullOr(Schema.Boolean),
  snoozed: Schema.NullOr(Schema.Boolean).annotate({
    description:
      "Whether the POS has snoozed the product at this outlet at the time of the read: until `snoozedUntil`, or until further notice when `snoozedUntil` is null. Null when the read names no outlet."
  }),
  snoozedUntil: Schema.NullOr(DateTime),
  modifierGroups: Schema.Array(GroupView),
  outlets: Schema.Array(
    Schema.Struct({
      outletId: Schema.String,
      price: Money,
      active: Schema.Boolean,
      snoozed: Schema.Boolean,
      snoozedUntil: Schema.NullOr(DateTime)
    })
  ),
  updatedAt: DateTime
}).annotate({ identifier: "Product" })

interface SectionEncoded {
  readonly sectionId: string
  readonly externalId: string
  readonly name: string
  readonly position: number
  readonly products: ReadonlyArray<typeof Product.Encoded>
  readonly subSections: ReadonlyArray<SectionEncoded>
}
const Section: Schema.Codec<SectionEncoded> = Schema.Struct({
  sectionId: Schema.String,
  externalId: Schema.String,
  name: Schema.String,
  position: Schema.Int,
  products: Schema.Array(Product),
  subSections: Schema.Array(Schema.suspend((): Schema.Codec<SectionEncoded> => Section))
}).annotate({ identifier: "MenuSection", description: "A menu section: its products and sub-sections" })

/** The fields both shapes share, in the order the answer has always had them. */
const outletFields = <S extends Schema.Top>(source: S) => ({
  outletId: Schema.String,
  source,
  currency: Currency,
  busyMode: BusyModeSchema
})

/** An outlet without Menu V2 menus: the menus its POS synced (Menu V1), as they have always been served. */
const PosMenus = Schema.Struct({
  ...outletFields(
    Schema.Literal("pos").annotate({ description: "The outlet has no published Menu V2 menu: its POS's menus" })
  ),
  menus: Schema.Array(
    Schema.Struct({
      menuId: Schema.String,
      externalId: Schema.String,
      name: Schema.String,
      availabilities: Schema.Array(WeeklyWindow),
      sections: Schema.Array(Section)
    })
  )
}).annotate({ identifier: "OutletPosMenus", description: "The menus the outlet's POS synced (Menu V1)" })

const EffectiveItem = Schema.Struct({
  productId: Schema.String,
  provider: Schema.String,
  externalId: Schema.String,
  posCode: Schema.String,
  name: Schema.String,
  description: Schema.NullOr(Schema.String),
  imageUrl: Schema.NullOr(Schema.String),
  position: Schema.Int,
  price: Schema.NullOr(Money).annotate({
    description:
      "What an order pays here: the menu's special price, else its base price, else the POS's price at this outlet; null when none is known here"
  }),
  basePrice: Schema.NullOr(Money).annotate({ description: "The menu's base price, else the POS's price here" }),
  specialPrice: Schema.NullOr(Money),
  available: Schema.Boolean,
  reason: Schema.NullOr(UnavailableReason),
  snoozedUntil: Schema.NullOr(DateTime).annotate({
    description: "With `reason: snoozed`, until when; null until further notice (and for any other reason)"
  }),
  modifierGroups: Schema.Array(GroupView)
}).annotate({ identifier: "EffectiveItem", description: "An item of a Menu V2 menu as served at this outlet" })

const EffectiveMenu = Schema.Struct({
  menuId: Schema.String,
  version: Schema.Int.annotate({ description: "The published version served" }),
  name: Schema.String,
  description: Schema.NullOr(Schema.String),
  publishedAt: DateTime,
  open: Schema.Boolean.annotate({ description: "Open at `at`" }),
  nextChange: Schema.NullOr(DateTime).annotate({
    description: "When the menu next closes (open) or opens (closed); null when that is more than 8 days away or never"
  }),
  hours: Schema.NullOr(MenuHours),
  sections: Schema.Array(
    Schema.Struct({
      sectionId: Schema.String,
      name: Schema.String,
      displayType: DisplayType,
      position: Schema.Int,
      items: Schema.Array(EffectiveItem)
    }).annotate({ identifier: "EffectiveSection" })
  )
}).annotate({ identifier: "EffectiveMenu", description: "A published Menu V2 menu assigned to the outlet" })

/** An outlet with published Menu V2 menus: every one of them, most recently published first. */
const ComposedMenus = Schema.Struct({
  ...outletFields(Schema.Literal("menu-v2").annotate({ description: "The outlet has published Menu V2 menus: those" })),
  menus: Schema.Array(EffectiveMenu)
}).annotate({
  identifier: "OutletComposedMenus",
  description: "The published Menu V2 menus assigned to the outlet, most recently published first"
})

export const OutletMenu = Schema.Union([ComposedMenus, PosMenus]).annotate({
  identifier: "OutletMenu",
  description:
    "The outlet's effective menu: its Menu V2 menus when any is published to it (`source: menu-v2`), else its POS's menus (`source: pos`)"
})

export const SyncView = Schema.Struct({
  syncId: Schema.String,
  kind: Schema.Literals(["outlets", "products"]),
  provider: Schema.String,
  source: Schema.Literals(["push", "pull"]).annotate({
    description: "Where the snapshot came from: pushed by the POS, or pulled from its API by the service"
  }),
  outletId: Schema.NullOr(Schema.String),
  status: Schema.Literals(["succeeded", "failed"]),
  counts: Schema.Record(Schema.String, Counts),
  error: Schema.NullOr(Schema.String),
  startedAt: DateTime,
  finishedAt: DateTime
}).annotate({ identifier: "Sync" })

const page = <S extends Schema.Top>(item: S) => Schema.Struct({ data: Schema.Array(item), nextCursor: NextCursor })

const BooleanFromString = Schema.Literals(["true", "false"])
const ProviderHeader = {
  "x-provider": Schema.optional(
    Schema.String.annotate({
      description: "The POS plugin whose format the payload is in (GET /providers lists them); required",
      examples: ["deliverect"]
    })
  )
}

/**
 * A POS payload in the vendor's own format: the plugin decodes it. Schema.Any, not Schema.Unknown:
 * the body is already parsed JSON, and Unknown's JSON codec walks the whole tree again to check it
 * (half a second for a 25 MiB catalog).
 */
const PosPayload = Schema.Any.annotate({ description: "The POS's own payload; X-Provider names its format" })

/** What these handlers can answer besides the middleware's errors (one mapping: error-mapping.ts). */
const errors = [BadRequestJson, NotFoundJson, ConflictJson]
/** Reads conflict with nothing: a bad query (400) or an unknown resource (404). */
const reads = [BadRequestJson, NotFoundJson]

const needs = (scopes: ReadonlyArray<Scope>) => RequiredScopes.context(scopes)

/** GET /providers: the loaded POS plugins (any valid key). */
export const ProvidersGroup = secured(
  HttpApiGroup.make("providers").add(
    HttpApiEndpoint.get("list", "/providers", {
      success: Schema.Struct({ data: Schema.Array(Provider) })
    }).annotateMerge(
      doc(
        "List POS plugins",
        "The loaded POS plugins: the `X-Provider` values the sync endpoints accept, with their capabilities."
      )
    )
  )
).annotateMerge(OpenApi.annotations({ title: "Providers", description: "The POS systems this deployment can talk to" }))

/** POS adapter traffic: full snapshots in the POS's own format, X-Provider names the plugin. */
export const SyncGroup = secured(
  HttpApiGroup.make("sync").add(
    HttpApiEndpoint.post("outlets", "/outlets/sync", {
      headers: ProviderHeader,
      payload: PosPayload,
      success: Schema.Struct({
        syncId: Schema.String,
        counts: Counts,
        outlets: Schema.Array(
          Schema.Struct({
            outletId: Schema.String,
            externalId: Schema.String,
            outcome: Schema.Literals(["created", "updated", "unchanged", "deactivated"])
          })
        )
      }),
      error: errors
    })
      .annotateMerge(needs(["pos:sync"]))
      .annotate(CatalogPush, true)
      .annotateMerge(
        doc(
          "Push outlets from a POS",
          "The POS's own outlet payload; `X-Provider` names the plugin that reads it. Outlets are upserted: one missing from the payload is left alone, one is deactivated only when its payload says so. The vendor's identifiers needed to reach each store are kept; secrets are set by operators. 400: `X-Provider` missing or naming no loaded plugin (the details list the loaded ones), or a payload that is not the provider's format (the first problems' paths). 409: another unique constraint."
        )
      ),
    HttpApiEndpoint.post("products", "/products/sync", {
      headers: ProviderHeader,
      query: {
        dryRun: Schema.optional(BooleanFromString),
        force: Schema.optional(BooleanFromString),
        externalOutletId: Schema.optional(Schema.String)
      },
      payload: PosPayload,
      success: Schema.Struct({
        data: Schema.Array(
          Schema.Struct({
            syncId: Schema.NullOr(Schema.String),
            outletId: Schema.String,
            externalOutletId: Schema.String,
            dryRun: Schema.Boolean,
            counts: Schema.Struct({ products: Counts, modifierGroups: Counts, modifierOptions: Counts, menus: Counts })
          })
        )
      }),
      error: errors
    })
      .annotateMerge(needs(["pos:sync"]))
      .annotate(CatalogPush, true)
      .annotateMerge(
        doc(
          "Push a catalog snapshot from a POS",
          "The POS's own menu payload: a full snapshot of one outlet's catalog and V1 menus (or of each outlet the payload names). Unchanged rows are not rewritten; products the snapshot leaves out are deactivated, never deleted. `dryRun=true` answers the same counts and writes nothing; `force=true` allows deactivating more than 30% of the outlet's active products. The outlet is the one the payload names, else `externalOutletId`. 400: `X-Provider` missing or unknown, a payload that is not the provider's format, one external id describing two objects. 404: the outlet was never synced. 409 `sync in progress`: another sync of the outlet held it longer than SYNC_LOCK_WAIT_MS (10 s); 409 `too many deactivations` without `force=true`. Pushes are read and applied SYNC_CONCURRENCY at a time (1 by default), the others waiting with their bodies unread; 503 with `Retry-After` when one waited longer than SYNC_QUEUE_WAIT_MS (60 s)."
        )
      ),
    HttpApiEndpoint.get("list", "/syncs", {
      query: {
        outletId: Schema.optional(Schema.String),
        limit: Schema.optional(Limit),
        cursor: Schema.optional(Schema.String)
      },
      success: page(SyncView),
      error: reads
    })
      .annotateMerge(needs(["pos:sync", "products:read"]))
      .annotateMerge(
        doc(
          "List syncs",
          "Sync history, newest first, with counts and outcome; `outletId` keeps one outlet's. Cursor pagination: `limit` 1 to 500 (default 50), `cursor` the previous page's `nextCursor`. 400: a `limit` out of range or a cursor that does not decode."
        )
      ),
    HttpApiEndpoint.get("get", "/syncs/:syncId", {
      params: { syncId: Schema.String },
      success: SyncView,
      error: reads
    })
      .annotateMerge(needs(["pos:sync", "products:read"]))
      .annotateMerge(doc("Get a sync", "One sync with its counts and outcome. 404 `sync not found`."))
  )
).annotateMerge(OpenApi.annotations({ title: "POS adapter", description: "Outlet and catalog sync from POS systems" }))

/** Partner reads of outlets, products and the outlet menu. */
export const CatalogGroup = secured(
  HttpApiGroup.make("catalog").add(
    HttpApiEndpoint.get("listOutlets", "/outlets", {
      query: {
        limit: Schema.optional(Limit),
        cursor: Schema.optional(Schema.String),
        includeInactive: Schema.optional(BooleanFromString)
      },
      success: page(Outlet),
      error: BadRequestJson
    })
      .annotateMerge(needs(["outlets:read"]))
      .annotateMerge(
        doc(
          "List outlets",
          "The tenant's active outlets (`includeInactive=true`: all). Cursor pagination: `limit` 1 to 500 (default 50). 400: a `limit` out of range or a cursor that does not decode."
        )
      ),
    HttpApiEndpoint.get("getOutlet", "/outlets/:outletId", {
      params: { outletId: Schema.String },
      success: Outlet,
      error: reads
    })
      .annotateMerge(needs(["outlets:read"]))
      .annotateMerge(doc("Get an outlet", "One outlet, active or not. 404 `outlet not found`.")),
    HttpApiEndpoint.get("outletMenu", "/outlets/:outletId/menu", {
      params: { outletId: Schema.String },
      query: { at: Schema.optional(DateTimeQuery) },
      success: OutletMenu,
      error: reads
    })
      .annotateMerge(conditionalRead)
      .annotateMerge(needs(["menus:read"]))
      .annotateMerge(
        doc(
          "Get an outlet's menu",
          "The outlet's effective menu at `at` (now when absent): what a partner shows and what orders are checked against. An outlet with published Menu V2 menus answers `source: menu-v2` and every one of them, most recently published first, each with its `version`, whether it is `open` at `at` and when that next changes, its sections in order with their display type, and each item with its price (the menu's special price, else its base price, else the POS's price here) and `available`, with the `reason` when it cannot be ordered: `not-sold-here`, `inactive`, `snoozed` (until `snoozedUntil`), `paused` (busy mode PAUSED), `closed`. Any other outlet answers `source: pos`: its menu tree as its POS pushed it (Menu V1), menus, sections and sub-sections, products with their modifier groups and availability at `at` (none while the kitchen is PAUSED). 400: `at` is not an RFC 3339 date-time. 404 `outlet not found`."
        )
      ),
    HttpApiEndpoint.get("listProducts", "/products", {
      query: {
        outletId: Schema.optional(Schema.String),
        updatedSince: Schema.optional(DateTimeQuery),
        limit: Schema.optional(Limit),
        cursor: Schema.optional(Schema.String),
        includeInactive: Schema.optional(BooleanFromString)
      },
      success: page(Product),
      error: reads
    })
      .annotateMerge(conditionalRead)
      .annotateMerge(needs(["products:read"]))
      .annotateMerge(
        doc(
          "List products",
          "Products with their modifier groups and options. With `outletId`: the products that outlet sells, at its price and availability. `updatedSince` keeps those changed since then; inactive products only with `includeInactive=true`. Cursor pagination: `limit` 1 to 500 (default 50). 400: a `limit` out of range, a cursor that does not decode, `updatedSince` not RFC 3339. 404: `outletId` names no outlet."
        )
      ),
    HttpApiEndpoint.get("getProduct", "/products/:productId", {
      params: { productId: Schema.String },
      query: { outletId: Schema.optional(Schema.String) },
      success: Product,
      error: reads
    })
      .annotateMerge(needs(["products:read"]))
      .annotateMerge(
        doc(
          "Get a product",
          "One product with its modifier groups and options, and with `outletId` that outlet's price. 404 `product not found`, or `outlet not found` for `outletId`."
        )
      )
  )
).annotateMerge(OpenApi.annotations({ title: "Catalog", description: "Outlets, products and menus" }))
