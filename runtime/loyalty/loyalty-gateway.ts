import { Clock, Context, Effect, Layer, type Redacted } from "effect"
import { HttpClient } from "effect/http"
import { makeEmbeddedLoyalty } from "../../adapters/loyalty/embedded-loyalty.ts"
import { makeHttpLoyalty } from "../../adapters/loyalty/http-loyalty.ts"
import {
  type CircuitBreaker,
  type CircuitState,
  makeCircuitBreaker
} from "../../application/loyalty/circuit-breaker.ts"
import type { Loyalty, LoyaltyError } from "../../application/ports/loyalty.ts"
import { LoyaltyLedger } from "../../application/ports/loyalty-ledger.ts"
import { NotConfigured, UpstreamTimeout, UpstreamUnavailable } from "../../domain/errors.ts"
import type { Tenant } from "../../domain/tenant.ts"
import { AppConfig } from "../config.ts"
import { traced } from "../observability/tracing.ts"
import { TtlCache } from "../tenancy/ttl-cache.ts"

/** Which loyalty backend serves a tenant (SPEC section 11). */
export type LoyaltyBackend =
  | { readonly _tag: "Embedded" }
  | { readonly _tag: "Service"; readonly url: string; readonly credential: Redacted.Redacted<string> | null }

/** The tenant's own URL, else LOYALTY_URL; with neither, the embedded ledger. */
export const loyaltyBackendOf = (tenant: Tenant, defaultUrl: string | undefined): LoyaltyBackend => {
  const url = tenant.loyaltyUrl ?? defaultUrl
  return url === undefined || url === null
    ? { _tag: "Embedded" }
    : { _tag: "Service", url, credential: tenant.loyaltyCredential }
}

/**
 * The loyalty port for the request's tenant: the loyalty-service with the tenant's credential
 * and the tenant's own breaker, or the embedded ledger in the tenant's database. A tenant of a
 * deployment with a loyalty-service but without a credential is NotConfigured: nothing is called.
 */
export class LoyaltyGateway extends Context.Service<
  LoyaltyGateway,
  {
    /** `startedAtMs`: when the partner request began; its deadline runs from there. */
    readonly forTenant: (
      tenant: Tenant,
      startedAtMs: number
    ) => Effect.Effect<Loyalty, NotConfigured | UpstreamUnavailable, LoyaltyLedger>
    /** The state of each tenant's breaker this process holds (tenants calling a loyalty-service lately). */
    readonly breakerStates: (nowMs: number) => ReadonlyArray<{ readonly tenant: string; readonly state: CircuitState }>
  }
>()("pos/runtime/LoyaltyGateway") {
  static readonly layer = Layer.effect(
    LoyaltyGateway,
    Effect.gen(function* () {
      const config = yield* AppConfig
      const client = yield* HttpClient.HttpClient
      // A breaker lives while its tenant is in use; an idle tenant's is forgotten, but never
      // sooner than its open period, so a failing upstream is not retried early.
      const idleMs = Math.max(config.tenantIdleTtlMs, 2 * config.loyaltyBreaker.resetMs)
      const breakers = new TtlCache<string, CircuitBreaker>(idleMs, 100_000)
      const breakerFor = (key: string, now: number) => {
        const breaker = breakers.get(key, now) ?? makeCircuitBreaker(config.loyaltyBreaker)
        breakers.set(key, breaker, now)
        return breaker
      }
      /**
       * The loyalty-service client for one partner request: each call gets what is left of the
       * request's deadline, so the customer lookup and the refCode claim count against it too.
       */
      const serviceLoyalty = (options: {
        readonly url: string
        readonly credential: Redacted.Redacted<string>
        readonly breaker: CircuitBreaker
        readonly deadlineMs: number
      }): Loyalty => {
        const withClient = <A>(use: (loyalty: Loyalty) => Effect.Effect<A, LoyaltyError>) =>
          Effect.gen(function* () {
            const remaining = options.deadlineMs - (yield* Clock.currentTimeMillis)
            if (remaining <= 0) return yield* new UpstreamTimeout({ upstream: "loyalty-service" })
            const loyalty = yield* makeHttpLoyalty({
              baseUrl: options.url,
              credential: options.credential,
              timeoutMs: remaining,
              breaker: options.breaker
            })
            return yield* use(loyalty)
          }).pipe(
            // Its HTTP calls carry our traceparent: the loyalty-service's spans join the request's trace.
            Effect.provideService(HttpClient.HttpClient, client)
          )
        const call = <A>(operation: string, use: (loyalty: Loyalty) => Effect.Effect<A, LoyaltyError>) =>
          traced(`loyalty.${operation}`, { kind: "client", attributes: { "peer.service": "loyalty-service" } })(
            withClient(use)
          )
        return {
          member: (customerId) => call("member", (l) => l.member(customerId)),
          transactions: (customerId) => call("transactions", (l) => l.transactions(customerId)),
          rewards: call("rewards", (l) => l.rewards),
          earn: (request) => call("earn", (l) => l.earn(request)),
          redeem: (request) => call("redeem", (l) => l.redeem(request))
        }
      }

      const severity: Record<CircuitState, number> = { closed: 0, "half-open": 1, open: 2 }
      return LoyaltyGateway.of({
        // A tenant pointed at another URL lately has two breakers: the one further from closed counts.
        breakerStates: (nowMs) => {
          const byTenant = new Map<string, CircuitState>()
          for (const [key, breaker] of breakers.entries(nowMs)) {
            const tenant = key.slice(0, key.indexOf(" "))
            const state = breaker.state(nowMs)
            const known = byTenant.get(tenant)
            if (known === undefined || severity[state] > severity[known]) byTenant.set(tenant, state)
          }
          return [...byTenant].map(([tenant, state]) => ({ tenant, state }))
        },
        forTenant: (tenant, startedAtMs) =>
          Effect.gen(function* () {
            const backend = loyaltyBackendOf(tenant, config.loyaltyUrl)
            if (backend._tag === "Embedded") return makeEmbeddedLoyalty(yield* LoyaltyLedger)
            if (backend.credential === null) return yield* new NotConfigured({ what: "loyalty credential" })
            const now = yield* Clock.currentTimeMillis
            // Keyed by URL too: pointing a tenant elsewhere starts with a closed breaker.
            const breaker = breakerFor(`${tenant.id} ${backend.url}`, now)
            // An open breaker answers at once, before the request does any work of its own.
            const refusingMs = breaker.refusingForMs(now)
            if (refusingMs > 0) {
              return yield* new UpstreamUnavailable({
                upstream: "loyalty-service",
                retryAfterSeconds: Math.max(1, Math.ceil(refusingMs / 1000))
              })
            }
            return serviceLoyalty({
              url: backend.url,
              credential: backend.credential,
              breaker,
              deadlineMs: startedAtMs + config.loyaltyTimeoutMs
            })
          })
      })
    })
  )
}
