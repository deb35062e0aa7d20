import type { FulfilmentType } from "./catalog.ts"

/**
 * An order as the core hands it to a POS plugin: validated and priced already, every line carrying
 * the POS's own codes. The plugin only maps it to its vendor's request.
 */
export interface PosOrderModifier {
  readonly posCode: string
  readonly name: string
  readonly quantity: number
  /** Minor units, per unit of the line. */
  readonly unitPrice: number
}

export interface PosOrderLine {
  readonly posCode: string
  readonly name: string
  readonly quantity: number
  readonly unitPrice: number
  readonly note: string | null
  readonly modifiers: ReadonlyArray<PosOrderModifier>
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
