/**
 * Orders (SPEC section 10): what a partner asks for, what the menu makes of it (validated and
 * priced by the server), and the order as it is kept, with its status timeline. Plain data; the
 * rules live in order-pricing.ts (validation and totals) and order-status.ts (the transition table).
 */
import type { FulfilmentType } from "./catalog.ts"
import type { OrderStatus, PosOrderChargeKind } from "./pos-order.ts"

export type { OrderStatus } from "./pos-order.ts"

export const orderStatuses: ReadonlyArray<OrderStatus> = [
  "RECEIVED",
  "SUBMITTED",
  "ACCEPTED",
  "PREPARING",
  "READY",
  "IN_DELIVERY",
  "COMPLETED",
  "CANCELLED",
  "REJECTED",
  "FAILED"
]

export { fulfilmentTypes } from "./catalog.ts"

export type DiscountType = "PROMOTION" | "VOUCHER" | "LOYALTY" | "OTHER"
export const discountTypes: ReadonlyArray<DiscountType> = ["PROMOTION", "VOUCHER", "LOYALTY", "OTHER"]

export const chargeKinds: ReadonlyArray<PosOrderChargeKind> = ["DELIVERY", "SERVICE", "PACKAGING", "TIP", "OTHER"]

// ---------------------------------------------------------------------------------------------
// The request, as decoded (shape and formats already checked by the HTTP schema)

export interface OrderAddressRequest {
  readonly line1: string
  readonly line2: string | null
  readonly city: string | null
  readonly postalCode: string | null
  /** ISO 3166-1 alpha-2. */
  readonly country: string | null
  readonly latitude: number | null
  readonly longitude: number | null
}

export interface OrderModifierRequest {
  readonly optionId: string
  /** Per unit of the line, 1 or more. */
  readonly quantity: number
}

export interface OrderItemRequest {
  readonly productId: string
  /** 1 to 99. */
  readonly quantity: number
  readonly note: string | null
  readonly modifiers: ReadonlyArray<OrderModifierRequest>
}

export interface OrderChargeRequest {
  readonly kind: PosOrderChargeKind
  /** Shown to the POS; defaults to the kind's plain name. */
  readonly name: string | null
  /** Minor units, 0 or more. */
  readonly amount: number
}

export interface OrderDiscountRequest {
  readonly type: DiscountType
  readonly name: string | null
  /** The voucher or promotion code, as the partner knows it. */
  readonly reference: string | null
  /** Minor units taken off the order, 1 or more. */
  readonly amount: number
}

export interface OrderRequest {
  readonly refCode: string
  readonly outletId: string
  readonly fulfilment: {
    readonly type: FulfilmentType
    /** True: as soon as possible (then `scheduledFor` is null). */
    readonly asap: boolean
    readonly scheduledFor: Date | null
    readonly table: string | null
    readonly address: OrderAddressRequest | null
  }
  /** A known customer by id, or a name, phone and email (each optional). */
  readonly customer: {
    readonly customerId: string | null
    readonly name: string | null
    readonly phone: string | null
    readonly email: string | null
  }
  readonly items: ReadonlyArray<OrderItemRequest>
  readonly charges: ReadonlyArray<OrderChargeRequest>
  readonly discounts: ReadonlyArray<OrderDiscountRequest>
  readonly payment: {
    readonly status: "PAID" | "UNPAID"
    /** What the partner computed the order to cost, in minor units: must equal our total. */
    readonly amount: number
    readonly method: string | null
    readonly reference: string | null
  }
  readonly notes: string | null
  readonly displayId: string | null
}

// ---------------------------------------------------------------------------------------------
// What an order is checked against: the outlet's effective menu, flattened

export interface OrderableOption {
  readonly optionId: string
  readonly posCode: string
  readonly name: string
  /** Added per unit, minor units. */
  readonly price: number
  readonly available: boolean
}

export interface OrderableGroup {
  readonly modifierGroupId: string
  readonly name: string
  readonly min: number
  readonly max: number
  readonly maxPerOption: number
  readonly options: ReadonlyArray<OrderableOption>
}

/** Why a product cannot be ordered now: the effective menu's reasons. */
export type NotOrderableReason = "not-sold-here" | "inactive" | "snoozed" | "paused" | "closed" | "no-price"

export interface OrderableProduct {
  readonly productId: string
  readonly posCode: string
  readonly name: string
  /** What an order pays per unit (the V2 special, else base, else the POS price); null when no price is known here. */
  readonly price: number | null
  /**
   * The POS's own price for it at this outlet (options' prices are always the POS's); null when the
   * POS gives none here. `pricing` is "POS" only when every line's price equals this.
   */
  readonly posPrice: number | null
  /** Null when it can be ordered at the instant the menu was read for. */
  readonly unavailable: NotOrderableReason | null
  /** The product's tax rate at this outlet for each fulfilment type its POS gives one for. */
  readonly taxRatesPpm: Partial<Readonly<Record<FulfilmentType, number>>>
  /** The product's single tax rate at this outlet, when its POS gives one (not per fulfilment type). */
  readonly taxRatePpm: number | null
  readonly modifierGroups: ReadonlyArray<OrderableGroup>
}

/** The outlet's effective menu at the instant the order is for, as pricing needs it. */
export interface OrderableMenu {
  readonly outletId: string
  readonly outletExternalId: string
  readonly provider: string
  readonly currency: string
  /** The outlet is active at its POS. */
  readonly outletActive: boolean
  /** Where the prices come from: the outlet's published V2 menus, or its POS's own menus. */
  readonly source: "menu-v2" | "pos"
  /**
   * The V2 menus the products came from (id and version), most recently published first; empty for
   * `source: "pos"`. A product on several menus takes the first open one's price.
   */
  readonly menus: ReadonlyArray<{ readonly menuId: string; readonly version: number }>
  /** Every product on the effective menu (open or not), by id. */
  readonly products: ReadonlyMap<string, OrderableProduct>
}

/** What the tenant and the outlet say about tax, besides each product's rate. */
export interface TaxSettings {
  /** The outlet's prices include tax; null: unknown, the tenant's default applies. */
  readonly outletTaxInclusive: boolean | null
  /** The outlet's own rate, when its POS gives one. */
  readonly outletTaxRatePpm: number | null
  readonly tenantTaxInclusive: boolean
  /** The tenant's default rate, set by operators; null: none (no tax). */
  readonly tenantTaxRatePpm: number | null
}

// ---------------------------------------------------------------------------------------------
// The priced order

export interface PricedModifier {
  readonly optionId: string
  readonly modifierGroupId: string
  readonly posCode: string
  readonly name: string
  readonly quantity: number
  /** Per unit of the line, minor units. */
  readonly unitPrice: number
}

export interface PricedLine {
  /** 1, 2, ... in request order. */
  readonly lineNo: number
  readonly productId: string
  readonly posCode: string
  readonly name: string
  readonly quantity: number
  /** Per unit, modifiers excluded. */
  readonly unitPrice: number
  readonly note: string | null
  readonly modifiers: ReadonlyArray<PricedModifier>
  /** quantity x (unit price + modifiers per unit). */
  readonly subtotal: number
  /** This line's share of the order's discounts (allocated in proportion, largest remainder). */
  readonly discount: number
  readonly tax: { readonly ratePpm: number | null; readonly amount: number }
  /** subtotal - discount, plus tax when prices exclude it. */
  readonly total: number
}

export interface PricedCharge {
  readonly kind: PosOrderChargeKind
  readonly name: string
  readonly amount: number
}

export interface PricedDiscount {
  readonly type: DiscountType
  readonly name: string
  readonly reference: string | null
  readonly amount: number
}

export interface OrderTotals {
  /** The lines' subtotals. */
  readonly subtotal: number
  /** The charges, tip included. */
  readonly charges: number
  readonly discount: number
  /** The lines' tax (included in the prices, or added: see `taxInclusive`). */
  readonly tax: number
  /** subtotal - discount + charges, plus tax when prices exclude it. */
  readonly total: number
}

export interface PricedOrder {
  readonly currency: string
  readonly taxInclusive: boolean
  readonly lines: ReadonlyArray<PricedLine>
  readonly charges: ReadonlyArray<PricedCharge>
  readonly discounts: ReadonlyArray<PricedDiscount>
  readonly totals: OrderTotals
  /** "POS" when every price is the POS's own at this outlet, else "PARTNER" (the menu's). */
  readonly pricing: "POS" | "PARTNER"
}

/** One reason an order is refused: where in the request (`body.items[2].modifiers[0].optionId`) and what. */
export interface OrderProblem {
  readonly path: string
  readonly message: string
}

// ---------------------------------------------------------------------------------------------
// The order as kept

export interface Order {
  readonly orderId: string
  readonly refCode: string
  /** SHA-256 of the canonical JSON of the decoded request (SPEC section 6). */
  readonly fingerprint: string
  readonly outletId: string
  readonly provider: string
  readonly outletExternalId: string
  readonly status: OrderStatus
  readonly request: OrderRequest
  readonly priced: PricedOrder
  /** The menus it was priced against (empty for the POS's own menus). */
  readonly menuSource: "menu-v2" | "pos"
  readonly menus: ReadonlyArray<{ readonly menuId: string; readonly version: number }>
  /** The POS's id for it, once the POS answered with one. */
  readonly posOrderId: string | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** Who moved an order: the service itself (placement, dispatch, a partner's cancel) or the POS (a webhook). */
export type TimelineSource = "service" | "partner" | "pos"

export interface TimelineEntry {
  readonly at: Date
  /** The status after this entry; null for an entry that changed nothing (an unknown vendor status, a refused move). */
  readonly status: OrderStatus | null
  readonly source: TimelineSource
  /** The vendor's own status word, for entries from the POS. */
  readonly vendorStatus: string | null
  readonly reason: string | null
}

export type DeliveryKind = "submit" | "cancel"

export type DeliveryOutcome =
  | "delivered"
  | "duplicate"
  | "rejected"
  | "unavailable"
  | "not-configured"
  | "unsupported"
  /** No call was needed (a cancellation of an order that never reached the POS). */
  | "skipped"

export interface DeliveryAttempt {
  readonly kind: DeliveryKind
  /** 1 for the first try of this kind. */
  readonly attempt: number
  readonly startedAt: Date
  readonly finishedAt: Date
  readonly outcome: DeliveryOutcome
  /** What the POS (or the transport) said; never a credential. */
  readonly reason: string | null
}
