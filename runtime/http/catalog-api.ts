import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import type { Scope } from "../../domain/api-key.ts"
import { secured } from "./api-middleware.ts"
import { RequiredScopes } from "./context.ts"
import { BadRequestJson, ConflictJson, NotFoundJson } from "./errors.ts"

const Money = Schema.Struct({ amount: Schema.Int, currency: Schema.String })
const Counts = Schema.Struct({
  created: Schema.Int,
  updated: Schema.Int,
  unchanged: Schema.Int,
  deactivated: Schema.Int
})
const WeeklyWindow = Schema.Struct({ dayOfWeek: Schema.Int, opens: Schema.String, closes: Schema.String })

export const Provider = Schema.Struct({
  id: Schema.String,
  displayName: Schema.String,
  version: Schema.String,
  sdkVersion: Schema.Int,
  capabilities: Schema.Array(Schema.String)
})

export const Outlet = Schema.Struct({
  outletId: Schema.String,
  provider: Schema.String,
  externalId: Schema.String,
  name: Schema.String,
  active: Schema.Boolean,
  currency: Schema.String,
  timezone: Schema.NullOr(Schema.String),
  country: Schema.NullOr(Schema.String),
  address: Schema.NullOr(Schema.String),
  postalCode: Schema.NullOr(Schema.String),
  phone: Schema.NullOr(Schema.String),
  taxInclusive: Schema.NullOr(Schema.Boolean),
  serviceHours: Schema.Array(Schema.Struct({ ...WeeklyWindow.fields, fulfilment: Schema.String })),
  createdAt: Schema.String,
  updatedAt: Schema.String
}).annotate({ identifier: "Outlet" })

const OptionView = Schema.Struct({
  optionId: Schema.String,
  externalId: Schema.String,
  posCode: Schema.String,
  name: Schema.String,
  price: Money,
  available: Schema.Boolean
})

const GroupView = Schema.Struct({
  modifierGroupId: Schema.String,
  externalId: Schema.String,
  name: Schema.String,
  min: Schema.Int,
  max: Schema.Int,
  maxPerOption: Schema.Int,
  options: Schema.Array(OptionView)
})

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
  snoozedUntil: Schema.NullOr(Schema.String),
  modifierGroups: Schema.Array(GroupView),
  outlets: Schema.Array(
    Schema.Struct({
      outletId: Schema.String,
      price: Money,
      active: Schema.Boolean,
      snoozedUntil: Schema.NullOr(Schema.String)
    })
  ),
  updatedAt: Schema.String
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
})

export const OutletMenu = Schema.Struct({
  outletId: Schema.String,
  source: Schema.Literals(["pos", "menu-v2"]),
  currency: Schema.String,
  menus: Schema.Array(
    Schema.Struct({
      menuId: Schema.String,
      externalId: Schema.String,
      name: Schema.String,
      availabilities: Schema.Array(WeeklyWindow),
      sections: Schema.Array(Section)
    })
  )
})

export const SyncView = Schema.Struct({
  syncId: Schema.String,
  kind: Schema.String,
  provider: Schema.String,
  outletId: Schema.NullOr(Schema.String),
  status: Schema.String,
  counts: Schema.Record(Schema.String, Counts),
  error: Schema.NullOr(Schema.String),
  startedAt: Schema.String,
  finishedAt: Schema.String
}).annotate({ identifier: "Sync" })

const page = <S extends Schema.Top>(item: S) =>
  Schema.Struct({ data: Schema.Array(item), nextCursor: Schema.NullOr(Schema.String) })

const Limit = Schema.optional(Schema.FiniteFromString)
const BooleanFromString = Schema.Literals(["true", "false"])
const ProviderHeader = { "x-provider": Schema.optional(Schema.String) }

/**
 * A POS payload in the vendor's own format: the plugin decodes it. Schema.Any, not Schema.Unknown:
 * the body is already parsed JSON, and Unknown's JSON codec walks the whole tree again to check it
 * (half a second for a 25 MiB catalog).
 */
const PosPayload = Schema.Any.annotate({ description: "The POS's own payload; X-Provider names its format" })

/** What these handlers can answer besides the middleware's errors (one mapping: error-mapping.ts). */
const errors = [BadRequestJson, NotFoundJson, ConflictJson]

const needs = (scopes: ReadonlyArray<Scope>) => RequiredScopes.context(scopes)

/** GET /providers: the loaded POS plugins (any valid key). */
export const ProvidersGroup = secured(
  HttpApiGroup.make("providers").add(
    HttpApiEndpoint.get("list", "/providers", { success: Schema.Struct({ data: Schema.Array(Provider) }) })
  )
)

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
          Schema.Struct({ outletId: Schema.String, externalId: Schema.String, outcome: Schema.String })
        )
      }),
      error: errors
    }).annotateMerge(needs(["pos:sync"])),
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
    }).annotateMerge(needs(["pos:sync"])),
    HttpApiEndpoint.get("list", "/syncs", {
      query: { outletId: Schema.optional(Schema.String), limit: Limit, cursor: Schema.optional(Schema.String) },
      success: page(SyncView),
      error: errors
    }).annotateMerge(needs(["pos:sync", "products:read"])),
    HttpApiEndpoint.get("get", "/syncs/:syncId", {
      params: { syncId: Schema.String },
      success: SyncView,
      error: errors
    }).annotateMerge(needs(["pos:sync", "products:read"]))
  )
).annotateMerge(OpenApi.annotations({ title: "POS adapter", description: "Outlet and catalog sync from POS systems" }))

/** Partner reads of outlets, products and the outlet menu. */
export const CatalogGroup = secured(
  HttpApiGroup.make("catalog").add(
    HttpApiEndpoint.get("listOutlets", "/outlets", {
      query: {
        limit: Limit,
        cursor: Schema.optional(Schema.String),
        includeInactive: Schema.optional(BooleanFromString)
      },
      success: page(Outlet),
      error: errors
    }).annotateMerge(needs(["outlets:read"])),
    HttpApiEndpoint.get("getOutlet", "/outlets/:outletId", {
      params: { outletId: Schema.String },
      success: Outlet,
      error: errors
    }).annotateMerge(needs(["outlets:read"])),
    HttpApiEndpoint.get("outletMenu", "/outlets/:outletId/menu", {
      params: { outletId: Schema.String },
      query: { at: Schema.optional(Schema.String) },
      success: OutletMenu,
      error: errors
    }).annotateMerge(needs(["menus:read"])),
    HttpApiEndpoint.get("listProducts", "/products", {
      query: {
        outletId: Schema.optional(Schema.String),
        updatedSince: Schema.optional(Schema.String),
        limit: Limit,
        cursor: Schema.optional(Schema.String),
        includeInactive: Schema.optional(BooleanFromString)
      },
      success: page(Product),
      error: errors
    }).annotateMerge(needs(["products:read"])),
    HttpApiEndpoint.get("getProduct", "/products/:productId", {
      params: { productId: Schema.String },
      query: { outletId: Schema.optional(Schema.String) },
      success: Product,
      error: errors
    }).annotateMerge(needs(["products:read"]))
  )
).annotateMerge(OpenApi.annotations({ title: "Catalog", description: "Outlets, products and menus" }))
