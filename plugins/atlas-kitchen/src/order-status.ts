import type { OrderStatus } from "@pos-integration/sdk"

/**
 * Atlas order `state` values with a canonical meaning. The docs type `state` as a free string and
 * show only "unpaid" (payment still due: no canonical meaning). "cancelled" and "completed" are
 * the states behind the order's `cancelled_at` / `completed_at` timestamps; "confirmed" is what the
 * storefront docs call an order once its payment succeeded. Anything else maps to null: the core
 * logs it and changes nothing.
 */
const canonical: Readonly<Record<string, OrderStatus>> = {
  confirmed: "ACCEPTED",
  completed: "COMPLETED",
  cancelled: "CANCELLED",
  canceled: "CANCELLED"
}

export const orderStatus = (state: string): OrderStatus | null =>
  Object.hasOwn(canonical, state.trim().toLowerCase()) ? (canonical[state.trim().toLowerCase()] ?? null) : null
