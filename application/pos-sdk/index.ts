/**
 * @pos-integration/sdk: the POS adapter port. A plugin package imports this by name (never by a
 * relative path into the core), exports its `PosPlugin` as the module's default export, and lists
 * `effect` as a peer dependency so that one copy of it is loaded.
 */
export type {
  CatalogSnapshot,
  DayOfWeek,
  FulfilmentType,
  MenuSnapshot,
  ModifierGroupSnapshot,
  ModifierOptionSnapshot,
  OutletSnapshot,
  ProductSnapshot,
  SectionSnapshot,
  ServiceHours,
  Snooze,
  SyncCallback,
  TaxRatePpm,
  TaxRatesByFulfilment,
  WeeklyWindow
} from "../../domain/catalog.ts"
export { UNTIL_FURTHER_NOTICE } from "../../domain/catalog.ts"
export type {
  OrderStatus,
  PosOrder,
  PosOrderAddress,
  PosOrderCharge,
  PosOrderChargeKind,
  PosOrderDiscount,
  PosOrderLine,
  PosOrderModifier
} from "../../domain/pos-order.ts"
export * from "./errors.ts"
export * from "./invariants.ts"
export * from "./issue-text.ts"
export * from "./manifest.ts"
export * from "./money.ts"
export type * from "./plugin.ts"
export * from "./webhook-request.ts"
export * from "./webhook-signature.ts"
