import { Clock, Effect, Metric } from "effect"
import type { CircuitState } from "../../application/loyalty/circuit-breaker.ts"
import { DatabaseUsage } from "../../application/ports/database-usage.ts"
import { AppConfig } from "../config.ts"
import { storageReason } from "../failures.ts"
import { LoyaltyGateway } from "../loyalty/loyalty-gateway.ts"

const breakers = Metric.gauge("loyalty_breakers", {
  description: "Tenants' loyalty-service circuit breakers held by this process, by state (closed, half_open, open)"
})
const breakerState = Metric.gauge("loyalty_breaker_state", {
  description: "A tenant's loyalty-service circuit breaker: 0 closed, 1 half-open, 2 open (with METRICS_TENANT_LABELS)"
})
const connections = Metric.gauge("db_connections", {
  description:
    "This process's database connections by state (PostgreSQL: as pg_stat_activity shows them on the control database's server; PGlite: its one session)"
})
const waiting = Metric.gauge("db_connections_waiting", {
  description: "Sessions waiting on a lock (PostgreSQL), or statements and transactions queued for the session (PGlite)"
})

const stateLabels: Record<CircuitState, string> = { closed: "closed", "half-open": "half_open", open: "open" }
const stateValues: Record<CircuitState, number> = { closed: 0, "half-open": 1, open: 2 }

/** Read at most this often: the database's view costs a query. */
const refreshMs = 5000

/**
 * The loyalty breakers' states and the database connections, read when `/metrics` is scraped. A
 * tenant id appears only with METRICS_TENANT_LABELS; otherwise breakers are counted by state.
 */
export const makeServiceGauges = Effect.gen(function* () {
  const config = yield* AppConfig
  const gateway = yield* LoyaltyGateway
  const database = yield* DatabaseUsage
  const tenantStates = new Set<string>()
  const connectionStates = new Set<string>()
  let readAt = Number.NEGATIVE_INFINITY

  const refreshBreakers = (now: number) =>
    Effect.gen(function* () {
      const states = gateway.breakerStates(now)
      for (const state of Object.keys(stateLabels) as ReadonlyArray<CircuitState>) {
        const count = states.filter((s) => s.state === state).length
        yield* Metric.update(Metric.withAttributes(breakers, { state: stateLabels[state] }), count)
      }
      if (!config.metrics.tenantLabels) return
      const seen = new Set<string>()
      for (const { tenant, state } of states) {
        seen.add(tenant)
        tenantStates.add(tenant)
        yield* Metric.update(Metric.withAttributes(breakerState, { tenant }), stateValues[state])
      }
      // A breaker forgotten (its tenant idle) is closed: its series says so rather than keep its last state.
      for (const tenant of tenantStates) {
        if (!seen.has(tenant)) yield* Metric.update(Metric.withAttributes(breakerState, { tenant }), 0)
      }
    })

  const refreshConnections = Effect.gen(function* () {
    const usage = yield* database.usage
    for (const [state, count] of Object.entries(usage.connections)) {
      connectionStates.add(state)
      yield* Metric.update(Metric.withAttributes(connections, { state }), count)
    }
    // A state no connection is in now reads 0, not its last count.
    for (const state of connectionStates) {
      if (!(state in usage.connections)) yield* Metric.update(Metric.withAttributes(connections, { state }), 0)
    }
    yield* Metric.update(waiting, usage.waiting)
  }).pipe(
    Effect.catch((error) => Effect.logWarning("database metrics: the database did not answer", storageReason(error)))
  )

  return Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    yield* refreshBreakers(now)
    if (now - readAt < refreshMs) return
    readAt = now
    yield* refreshConnections
  })
})
