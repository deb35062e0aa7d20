import { Clock, Context, Effect, Layer } from "effect"
import type { Principal } from "../../application/auth/authenticate.ts"
import { type BucketTake, RateLimitBuckets } from "../../application/ports/rate-limit-buckets.ts"
import {
  hasRateLimits,
  type Limit,
  limitsFor,
  type OperationClass,
  secondsUntilFull,
  secondsUntilToken,
  windowSeconds
} from "../../domain/rate-limit.ts"
import type { Tenant } from "../../domain/tenant.ts"
import { storageReason } from "../failures.ts"
import { recordRateLimited } from "../observability/metrics.ts"

/** What a limited request is told: its headers, and when refused, why and when to come back. */
export type RateDecision =
  | { readonly allowed: true; readonly headers: Readonly<Record<string, string>> }
  | {
      readonly allowed: false
      readonly headers: Readonly<Record<string, string>>
      readonly retryAfterSeconds: number
      readonly details: string
    }

/** Tokens taken from a shared bucket and not used within this long are dropped (the bucket refilled meanwhile). */
const allowanceMs = 1000
/**
 * Tokens taken from a shared bucket at once: a tenth of a second at its rate, at most a tenth of
 * its burst, at least one. Another instance can be refused while this one holds them, so they stay
 * few; a limit of 10 a second takes one at a time (each take a round trip, ten a second).
 */
export const allowanceOf = (limit: Limit): number =>
  Math.max(1, Math.min(Math.floor(limit.burst / 10), Math.floor(limit.rate / 10)))

interface Local {
  readonly rate: number
  readonly burst: number
  /** Tokens taken and not yet used, until `expiresAtMs`. */
  allowance: number
  expiresAtMs: number
  /** What the shared bucket held after the last take. */
  tokens: number
  /** The shared bucket was empty: refused here until it holds a token again. */
  emptyUntilMs: number
}

const maxLocals = 50_000

interface BucketAnswer {
  readonly granted: boolean
  /** Tokens left to this caller's view: the shared bucket's plus this instance's allowance. */
  readonly tokens: number
}

/**
 * The rate limits' check (SPEC 3): per key (or OAuth client, as a partner key) and per tenant, per
 * class of operation. Buckets shared through PostgreSQL are taken from a few tokens at a time and
 * spent from a small in-process allowance, so a check is rarely a round trip, and an empty bucket
 * is refused here until it refills.
 */
export class RateLimiter extends Context.Service<
  RateLimiter,
  {
    /** Undefined when no limit applies (the tenant set none for this key kind and class). */
    readonly check: (
      tenant: Tenant,
      principal: Principal,
      operation: OperationClass
    ) => Effect.Effect<RateDecision | undefined>
  }
>()("pos/runtime/RateLimiter") {
  static readonly layer = Layer.effect(
    RateLimiter,
    Effect.gen(function* () {
      const buckets = yield* RateLimitBuckets
      const locals = new Map<string, Local>()

      const takeShared = (bucket: string, limit: Limit, nowMs: number): Effect.Effect<BucketAnswer> => {
        let local = locals.get(bucket)
        if (local !== undefined && (local.rate !== limit.rate || local.burst !== limit.burst)) local = undefined
        if (local !== undefined && local.allowance > 0 && nowMs < local.expiresAtMs) {
          local.allowance -= 1
          return Effect.succeed({ granted: true, tokens: local.tokens + local.allowance })
        }
        if (local !== undefined && nowMs < local.emptyUntilMs) {
          return Effect.succeed({ granted: false, tokens: local.tokens })
        }
        return Effect.map(take(bucket, limit, allowanceOf(limit), nowMs), (taken) => {
          if (locals.size >= maxLocals) locals.clear()
          const granted = taken.granted > 0
          locals.set(bucket, {
            rate: limit.rate,
            burst: limit.burst,
            allowance: granted ? taken.granted - 1 : 0,
            expiresAtMs: nowMs + allowanceMs,
            tokens: taken.tokens,
            emptyUntilMs: granted ? 0 : nowMs + ((1 - taken.tokens) / limit.rate) * 1000
          })
          return { granted, tokens: taken.tokens + (granted ? taken.granted - 1 : 0) }
        })
      }

      // A bucket that cannot be reached does not refuse: limits protect capacity, and a request
      // that needs the database fails on its own if the database is down.
      const take = (bucket: string, limit: Limit, want: number, nowMs: number): Effect.Effect<BucketTake> =>
        buckets.take(bucket, limit, want, nowMs).pipe(
          Effect.catch((error) =>
            Effect.as(Effect.logWarning("rate limit not checked: its bucket is unavailable", storageReason(error)), {
              granted: want,
              tokens: limit.burst
            })
          )
        )

      const takeOne = (bucket: string, limit: Limit, nowMs: number): Effect.Effect<BucketAnswer> =>
        buckets.shared
          ? takeShared(bucket, limit, nowMs)
          : Effect.map(take(bucket, limit, 1, nowMs), (taken) => ({ granted: taken.granted > 0, tokens: taken.tokens }))

      return RateLimiter.of({
        // A tenant without limits (the usual case) is answered without starting any work.
        check: (tenant, principal, operation) =>
          !hasRateLimits(tenant.rateLimits)
            ? noLimit
            : Effect.gen(function* () {
                const kind = principal.scheme === "apiKey" ? principal.kind : "partner"
                const limits = limitsFor(tenant.rateLimits, kind, operation)
                if (limits.key === undefined && limits.tenant === undefined) return undefined
                const nowMs = yield* Clock.currentTimeMillis
                const who = principal.scheme === "apiKey" ? `key/${principal.keyId}` : `client/${principal.clientId}`
                const applied: Array<{ name: string; limit: Limit; answer: BucketAnswer }> = []
                // The key's bucket first: a key over its own limit does not spend the tenant's tokens.
                for (const [scope, limit, bucket] of [
                  ["key", limits.key, `${tenant.id}/${who}/${operation}`],
                  ["tenant", limits.tenant, `${tenant.id}/tenant/${operation}`]
                ] as const) {
                  if (limit === undefined) continue
                  const answer = yield* takeOne(bucket, limit, nowMs)
                  applied.push({ name: `${scope}-${operation}`, limit, answer })
                  if (!answer.granted) {
                    yield* recordRateLimited(operation, scope)
                    const retryAfterSeconds = secondsUntilToken(answer.tokens, limit)
                    return {
                      allowed: false,
                      headers: { ...headersOf(applied), "retry-after": String(retryAfterSeconds) },
                      retryAfterSeconds,
                      details: `the ${scope === "key" ? "key's" : "tenant's"} limit for ${operation} (${describeLimit(limit)}) is used up; retry after ${retryAfterSeconds} s`
                    }
                  }
                }
                return { allowed: true, headers: headersOf(applied) }
              })
      })
    })
  )
}

const noLimit: Effect.Effect<RateDecision | undefined> = Effect.succeed(undefined)

export const describeLimit = (limit: Limit): string => `${limit.rate} a second, burst ${limit.burst}`

/**
 * The IETF RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers): each bucket
 * as a policy of `q` requests over `w` seconds (its burst, and the time it takes to refill), and
 * what remains of it (`r`) with the seconds until it is full again (`t`).
 */
const headersOf = (
  applied: ReadonlyArray<{ readonly name: string; readonly limit: Limit; readonly answer: BucketAnswer }>
): Record<string, string> => ({
  "ratelimit-policy": applied.map((a) => `"${a.name}";q=${a.limit.burst};w=${windowSeconds(a.limit)}`).join(", "),
  ratelimit: applied
    .map(
      (a) =>
        `"${a.name}";r=${Math.max(0, Math.floor(a.answer.tokens))};t=${secondsUntilFull(Math.max(0, a.answer.tokens), a.limit)}`
    )
    .join(", ")
})
