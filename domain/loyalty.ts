/** The loyalty model of SPEC section 11, as the loyalty-service and the embedded ledger both answer it. */

export interface LoyaltyMember {
  readonly customerId: string
  readonly points: number
  readonly tier: string
}

export type LoyaltyTransactionType = "EARN" | "REDEEM"

export interface LoyaltyTransaction {
  readonly transactionId: string
  readonly type: LoyaltyTransactionType
  readonly points: number
  /** The order amount in minor units for an earn; null for a redeem. */
  readonly amount: number | null
  readonly refCode: string
  readonly createdAt: Date
}

export interface Reward {
  readonly rewardId: string
  readonly name: string
  readonly points: number
}

/** What earn and redeem answer. */
export interface PointsResult {
  readonly transactionId: string
  readonly points: number
  readonly balance: number
}

export interface EarnRequest {
  readonly customerId: string
  /** Minor units of `currency`, the tenant's currency. */
  readonly amount: number
  readonly currency: string
  readonly orderId: string | null
  readonly refCode: string
}

export type RedeemRequest =
  | { readonly customerId: string; readonly rewardId: string; readonly points?: undefined; readonly refCode: string }
  | { readonly customerId: string; readonly points: number; readonly rewardId?: undefined; readonly refCode: string }

/**
 * ISO 4217 minor-unit exponents that are not 2. Every other currency has cents; these have none
 * or thousandths.
 */
const exponents: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4
}

export const minorUnitExponent = (currency: string): number => exponents[currency] ?? 2

/** The embedded ledger's rule: one point per whole currency unit, rounded down. */
export const pointsForAmount = (amountMinor: number, currency: string): number =>
  Math.floor(amountMinor / 10 ** minorUnitExponent(currency))

/** Tiers of the embedded ledger, by the points a member ever earned. */
export const tierFor = (lifetimePoints: number): string =>
  lifetimePoints >= 5000 ? "gold" : lifetimePoints >= 1000 ? "silver" : "bronze"

/** refCode: 1 to 48 characters (the longest every POS accepts) of `[A-Za-z0-9._:-]` (SPEC section 6). */
export const RefCodePattern = /^[A-Za-z0-9._:-]{1,48}$/
