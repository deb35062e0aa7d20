import type { FulfilmentType } from "./catalog.ts"

/**
 * An order as the core hands it to a POS plugin: validated and priced already, every line carrying
 * the POS's own codes. The plugin only maps it to its vendor's request.
 */
export interface PosOrderModifier {
  readonly posCode: string
  readonly name: string
  /** Per unit of the line (or of the modifier it sits under). */
  readonly quantity: number
  /** Minor units, per unit of what it modifies. */
  readonly unitPrice: number
  /** Modifiers of this modifier (a drink's size, then its milk), nested as the menu nests them. */
  readonly modifiers: ReadonlyArray<PosOrderModifier>
}

/** A reduction: on a line, or on the whole order. */
export interface PosOrderDiscount {
  readonly name: string
  /** The POS's own code for it, when the POS knows this discount. */
  readonly posCode: string | null
  /** The partner's or promotion's code (a voucher), when there is one. */
  readonly code: string | null
  /** Minor units taken off, positive. */
  readonly amount: number
}

export interface PosOrderLine {
  readonly posCode: string
  readonly name: string
  readonly quantity: number
  /** Minor units, per unit, modifiers excluded. */
  readonly unitPrice: number
  readonly note: string | null
  readonly modifiers: ReadonlyArray<PosOrderModifier>
  readonly discounts: ReadonlyArray<PosOrderDiscount>
  /** The line's tax: its rate (parts per million) when known, and the amount in minor units. */
  readonly tax: { readonly ratePpm: number | null; readonly amount: number }
  /**
   * The line's total in minor units: quantity × (unit price + modifiers) − its discounts, plus its
   * tax when the outlet's prices exclude tax. The order's total is the sum of the lines' totals and
   * the charges.
   */
  readonly total: number
}

export type PosOrderChargeKind = "DELIVERY" | "SERVICE" | "PACKAGING" | "TIP" | "OTHER"

/** A charge on the order besides its lines, itemised. */
export interface PosOrderCharge {
  readonly kind: PosOrderChargeKind
  readonly name: string
  readonly amount: number
  readonly tax: { readonly ratePpm: number | null; readonly amount: number }
}

export interface PosOrderAddress {
  readonly line1: string
  readonly line2: string | null
  readonly city: string | null
  readonly postalCode: string | null
  readonly country: string | null
  readonly latitude: number | null
  readonly longitude: number | null
}

export interface PosOrder {
  /** The partner's idempotency key: the POS-side idempotency key too. */
  readonly refCode: string
  readonly displayId: string | null
  readonly outletExternalId: string
  readonly placedAt: string
  readonly fulfilment: {
    readonly type: FulfilmentType
    readonly asap: boolean
    readonly scheduledFor: string | null
    readonly table: string | null
    readonly address: PosOrderAddress | null
  }
  readonly customer: {
    readonly name: string | null
    readonly phone: string | null
    readonly email: string | null
  }
  readonly lines: ReadonlyArray<PosOrderLine>
  readonly charges: ReadonlyArray<PosOrderCharge>
  /**
   * The order's discounts as the partner gave them: the same money as the lines' `discounts` (each
   * line's share of them, allocated in proportion to the lines' subtotals). Send one or the other
   * to the POS, never both.
   */
  readonly discounts: ReadonlyArray<PosOrderDiscount>
  /**
   * Whose prices the order carries: "POS" when every price is the POS's own (the POS may price the
   * order itself), "PARTNER" when the menu's prices differ and the POS takes them as given (only
   * for plugins declaring the `linePrices` capability).
   */
  readonly pricing: "POS" | "PARTNER"
  readonly taxInclusive: boolean
  readonly currency: string
  readonly totals: {
    readonly subtotal: number
    readonly deliveryFee: number
    readonly serviceCharge: number
    readonly packaging: number
    readonly tip: number
    readonly discount: number
    readonly tax: number
    readonly total: number
  }
  readonly payment: {
    readonly status: "PAID" | "UNPAID"
    readonly amount: number
    readonly method: string | null
    readonly reference: string | null
  }
  readonly notes: string | null
}

export type OrderStatus =
  | "RECEIVED"
  | "SUBMITTED"
  | "ACCEPTED"
  | "PREPARING"
  | "READY"
  | "IN_DELIVERY"
  | "COMPLETED"
  | "CANCELLED"
  | "REJECTED"
  | "FAILED"
