import type { Effect } from "effect"
import type {
  InsufficientPoints,
  NotFound,
  RefCodeConflict,
  Rejected,
  StorageError,
  UpstreamFailure,
  UpstreamTimeout,
  UpstreamUnavailable
} from "../../domain/errors.ts"
import type {
  EarnRequest,
  LoyaltyMember,
  LoyaltyTransaction,
  PointsResult,
  RedeemRequest,
  Reward
} from "../../domain/loyalty.ts"

/** What a loyalty backend may answer besides success: the mapping of SPEC section 11. */
export type LoyaltyError =
  | NotFound
  | Rejected
  | InsufficientPoints
  /** The refCode was used before for another request (another member, amount or reward). */
  | RefCodeConflict
  | UpstreamFailure
  | UpstreamTimeout
  | UpstreamUnavailable
  /** The embedded ledger's database failing: a defect for the caller (500). */
  | StorageError

/**
 * The loyalty port: one tenant's loyalty programme. Served by the loyalty-service over HTTP
 * (adapters/loyalty/http-loyalty.ts) or by the embedded ledger in the tenant's database
 * (adapters/loyalty/embedded-loyalty.ts). The customer is known to exist when these are called.
 */
export interface Loyalty {
  readonly member: (customerId: string) => Effect.Effect<LoyaltyMember, LoyaltyError>
  readonly transactions: (customerId: string) => Effect.Effect<ReadonlyArray<LoyaltyTransaction>, LoyaltyError>
  readonly rewards: Effect.Effect<ReadonlyArray<Reward>, LoyaltyError>
  /** The refCode is the upstream's idempotency key: the same refCode earns once. */
  readonly earn: (request: EarnRequest) => Effect.Effect<PointsResult, LoyaltyError>
  readonly redeem: (request: RedeemRequest) => Effect.Effect<PointsResult, LoyaltyError>
}
