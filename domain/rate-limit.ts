import { Schema } from "effect"
import type { KeyKind } from "./api-key.ts"

/**
 * Rate limits (SPEC 3): token buckets with an explicit rate and burst, per API key (OAuth clients
 * count as keys of kind `partner`) and per tenant, each per class of operation. A tenant without
 * limits has none: they are off by default.
 */
export const OperationClass = Schema.Literals(["reads", "writes", "syncs"])
export type OperationClass = typeof OperationClass.Type
export const operationClasses: ReadonlyArray<OperationClass> = OperationClass.literals

/** The most a bucket refills a second, and holds: far above what one instance serves. */
export const maxRate = 1_000_000

/** A bucket: `rate` tokens a second (fractions allowed: 0.5 is 30 a minute) up to `burst` held. */
export const Limit = Schema.Struct({
  rate: Schema.Number.pipe(
    Schema.check(Schema.isFinite(), Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(maxRate))
  ).annotate({ description: "Tokens added a second (requests a second sustained); above 0." }),
  burst: Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: maxRate }))).annotate({
    description: "Tokens the bucket holds: the requests allowed at once after a quiet period."
  })
})
export type Limit = typeof Limit.Type

/** One limit per class of operation; a class left out is not limited. */
export const ClassLimits = Schema.Struct({
  reads: Schema.optionalKey(Limit),
  writes: Schema.optionalKey(Limit),
  syncs: Schema.optionalKey(Limit)
})
export type ClassLimits = typeof ClassLimits.Type

export const RateLimits = Schema.Struct({
  /** Each key (or OAuth client) of a kind has a bucket of its own with these limits. */
  keys: Schema.optionalKey(
    Schema.Struct({
      partner: Schema.optionalKey(ClassLimits),
      pos: Schema.optionalKey(ClassLimits),
      editor: Schema.optionalKey(ClassLimits)
    })
  ),
  /** One bucket per class shared by every key and client of the tenant. */
  tenant: Schema.optionalKey(ClassLimits)
})
export type RateLimits = typeof RateLimits.Type

export const noRateLimits: RateLimits = {}

/** Whether any limit is set (a tenant without one skips the check entirely). */
export const hasRateLimits = (limits: RateLimits): boolean =>
  limits.tenant !== undefined && Object.keys(limits.tenant).length > 0
    ? true
    : Object.values(limits.keys ?? {}).some((byClass) => byClass !== undefined && Object.keys(byClass).length > 0)

/** The limits a request of this class from a key of this kind is under. */
export const limitsFor = (
  limits: RateLimits,
  kind: KeyKind,
  operation: OperationClass
): { readonly key: Limit | undefined; readonly tenant: Limit | undefined } => ({
  key: limits.keys?.[kind]?.[operation],
  tenant: limits.tenant?.[operation]
})

/** A bucket as stored: the tokens it held at `atMs` (milliseconds since the epoch). */
export interface BucketState {
  readonly tokens: number
  readonly atMs: number
}

export interface Take {
  readonly state: BucketState
  /** Whole tokens handed out: at most what was asked for, 0 when the bucket is empty. */
  readonly granted: number
}

/** Tokens in the bucket at `nowMs`: a new bucket is full; a clock behind the last take adds nothing. */
export const available = (state: BucketState | undefined, limit: Limit, nowMs: number): number =>
  state === undefined
    ? limit.burst
    : Math.min(limit.burst, state.tokens + (Math.max(0, nowMs - state.atMs) * limit.rate) / 1000)

/**
 * Takes up to `want` whole tokens. The stored time never moves back (instances' clocks differ
 * slightly), so no interval is refilled twice. The SQL adapter computes the same in one statement.
 */
export const takeTokens = (state: BucketState | undefined, limit: Limit, want: number, nowMs: number): Take => {
  const tokens = available(state, limit, nowMs)
  const granted = Math.max(0, Math.min(want, Math.floor(tokens)))
  return { state: { tokens: tokens - granted, atMs: Math.max(state?.atMs ?? nowMs, nowMs) }, granted }
}

/** Seconds until the bucket holds one whole token again (Retry-After), at least 1. */
export const secondsUntilToken = (tokens: number, limit: Limit): number =>
  Math.max(1, Math.ceil((1 - tokens) / limit.rate))

/** Seconds until the bucket is full again (the `t` of the RateLimit header). */
export const secondsUntilFull = (tokens: number, limit: Limit): number =>
  Math.max(0, Math.ceil((limit.burst - tokens) / limit.rate))

/** The window a bucket's quota is expressed over: the time it takes to refill from empty. */
export const windowSeconds = (limit: Limit): number => Math.max(1, Math.ceil(limit.burst / limit.rate))

/** The limits in one line, for the audit log and the CLI: `partner keys: reads 10/s burst 20; tenant: syncs 1/s burst 5`. */
export const describeRateLimits = (limits: RateLimits): string => {
  const classes = (byClass: ClassLimits | undefined) =>
    operationClasses.flatMap((operation) => {
      const limit = byClass?.[operation]
      return limit === undefined ? [] : [`${operation} ${limit.rate}/s burst ${limit.burst}`]
    })
  const parts = [
    ...(["partner", "pos", "editor"] as const).flatMap((kind) => {
      const described = classes(limits.keys?.[kind])
      return described.length === 0 ? [] : [`${kind} keys: ${described.join(", ")}`]
    }),
    ...(classes(limits.tenant).length === 0 ? [] : [`tenant: ${classes(limits.tenant).join(", ")}`])
  ]
  return parts.length === 0 ? "none" : parts.join("; ")
}
