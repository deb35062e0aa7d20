import { Clock, Context, Effect, Metric } from "effect"
import { Orders, type OutboxBacklog } from "../../application/ports/orders.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { WebhookDeliveries } from "../../application/ports/webhook-deliveries.ts"
import { storageReason } from "../failures.ts"
import { TenantDatabases } from "../tenancy/tenant-databases.ts"

const pending = Metric.gauge("outbox_pending", {
  description: "Unfinished outbox rows across the tenants, by kind: orders (to the POS) and webhooks (to partners)"
})
const oldestAge = Metric.gauge("outbox_oldest_due_age_seconds", {
  description: "How long the oldest due outbox row has been due, by kind (0 when none is due)"
})
const kinds = ["orders", "webhooks"] as const
const series = Object.fromEntries(
  kinds.map((kind) => [
    kind,
    { pending: Metric.withAttributes(pending, { kind }), age: Metric.withAttributes(oldestAge, { kind }) }
  ])
) as Record<(typeof kinds)[number], { readonly pending: Metric.Gauge<number>; readonly age: Metric.Gauge<number> }>

/** Read at most this often: a scrape every second does not read every tenant every second. */
const refreshMs = 5000

/**
 * The outboxes' depth and age, read from every active tenant's database when `/metrics` is scraped
 * (at most every 5 s). A tenant whose database does not answer is left out of that reading and
 * logged; the others still count.
 */
export const makeOutboxGauges = Effect.gen(function* () {
  const directory = yield* TenantDirectory
  const databases = yield* TenantDatabases
  let readAt = Number.NEGATIVE_INFINITY

  const sum = (all: ReadonlyArray<OutboxBacklog>, now: number) => {
    const oldest = Math.min(...all.map((b) => b.oldestDueAt?.getTime() ?? Number.POSITIVE_INFINITY))
    return {
      pending: all.reduce((total, b) => total + b.pending, 0),
      age: Number.isFinite(oldest) ? Math.max(0, (now - oldest) / 1000) : 0
    }
  }

  return Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    if (now - readAt < refreshMs) return
    readAt = now
    const at = new Date(now)
    const ids = yield* directory.activeIds.pipe(
      Effect.catch((error) =>
        Effect.as(Effect.logWarning("outbox metrics: the tenant directory did not answer", storageReason(error)), [])
      )
    )
    const read = yield* Effect.forEach(
      ids,
      (id) =>
        Effect.scoped(
          Effect.gen(function* () {
            const repositories = yield* databases.repositories(id)
            return {
              orders: yield* Context.get(repositories, Orders).backlog(at),
              webhooks: yield* Context.get(repositories, WebhookDeliveries).backlog(at)
            }
          })
        ).pipe(
          Effect.catch((error) =>
            Effect.as(
              Effect.logWarning("outbox metrics: a tenant's database did not answer", {
                tenant: id,
                ...storageReason(error)
              }),
              undefined
            )
          )
        ),
      { concurrency: 4 }
    )
    const answered = read.filter((r) => r !== undefined)
    for (const kind of kinds) {
      const total = sum(
        answered.map((r) => r[kind]),
        now
      )
      yield* Metric.update(series[kind].pending, total.pending)
      yield* Metric.update(series[kind].age, total.age)
    }
  })
})
