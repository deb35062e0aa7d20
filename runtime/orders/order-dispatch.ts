import { Clock, Context, Deferred, Effect, Fiber, Layer, Option, Random, Schedule, Semaphore } from "effect"
import { HttpClient } from "effect/http"
import { type CallResult, decideDelivery, type RetryPolicy } from "../../application/orders/delivery-outcome.ts"
import { parentOf } from "../../application/orders/trace-context.ts"
import { Outlets } from "../../application/ports/catalog.ts"
import { OrderDueIndex } from "../../application/ports/order-due-index.ts"
import { type ClaimedDelivery, Orders } from "../../application/ports/orders.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import type { TenantRepositories } from "../../application/ports/tenant-storage.ts"
import type { StorageError } from "../../domain/errors.ts"
import type { DeliveryOutcome } from "../../domain/order.ts"
import { toPosOrder } from "../../domain/order-pos.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { AppConfig } from "../config.ts"
import { redactUrls, storageReason } from "../failures.ts"
import { recordOrderTry } from "../observability/metrics.ts"
import { traced } from "../observability/tracing.ts"
import { WebhookDispatch } from "../partner-webhooks/webhook-dispatch.ts"
import { makePosCallContext } from "../plugins/call-context.ts"
import { type LoadedPlugin, PluginRegistry } from "../plugins/plugin-registry.ts"
import { TenantDatabases } from "../tenancy/tenant-databases.ts"
import {
  claimUntilEmpty,
  coalescedLooks,
  detached,
  drainLoop,
  makeUnderWay,
  type TenantDispatcher,
  takePermits
} from "../tenancy/tenant-work.ts"

/** Outcomes of a try after which the POS may hold the order. */
const reachedPos: ReadonlySet<DeliveryOutcome> = new Set(["delivered", "duplicate", "unavailable"])

/**
 * The order dispatcher: delivers the tenants' outbox rows (orders and cancellations) to their POS.
 *
 * - Where the work is: the control database's due index (`OrderDueIndex`), marked after each
 *   placement's commit (one mark for the placements that commit while one is under way), so the
 *   dispatcher opens only the pools of tenants with work due. A sweep of every tenant's outbox at
 *   start and every ORDER_SWEEP_MS finds work a crash left out of it.
 * - A claim (lease, attempt counted) commits before the POS is called; on PGlite the single session
 *   is not held across the call. A process that dies mid-call leaves its rows leased until the lease
 *   ends; another instance (or this one restarted) then claims them again, and the POS answers the
 *   refCode it already has as a duplicate.
 * - ORDER_DISPATCH_CONCURRENCY calls run at once, across tenants; each call has the deadline
 *   POS_CALL_TIMEOUT_MS (no answer by then is a transient failure, retried). A row is claimed only
 *   when a call can start for it, so a lease covers the call, not a wait for others'.
 */
export class OrderDispatch extends Context.Service<OrderDispatch, TenantDispatcher>()("pos/runtime/OrderDispatch") {
  /**
   * The dispatcher with its background work (the tick over the due index, the periodic sweep); with
   * `background: false` (the admin CLI, which must never call a POS), only what is asked of it.
   */
  static readonly layerWith = (options: { readonly background: boolean }) =>
    Layer.effect(
      OrderDispatch,
      Effect.suspend(() => OrderDispatch.make(options.background))
    )

  static readonly layer = OrderDispatch.layerWith({ background: true })

  private static make = (background: boolean) =>
    Effect.gen(function* () {
      const scope = yield* Effect.scope
      const settings = yield* AppConfig
      const databases = yield* TenantDatabases
      const directory = yield* TenantDirectory
      const index = yield* OrderDueIndex
      const registry = yield* PluginRegistry
      const http = yield* HttpClient.HttpClient
      const webhooks = yield* WebhookDispatch
      const policy: RetryPolicy = {
        maxAttempts: settings.orderMaxAttempts,
        baseMs: settings.orderRetryBaseMs,
        maxMs: settings.orderRetryMaxMs,
        giveUpMs: settings.orderGiveUpMs
      }
      // A lease outlives the call's deadline with room to record its outcome.
      const leaseMs = Math.max(settings.orderLeaseMs, settings.posCallTimeoutMs + 5000)
      const calls = Semaphore.makeUnsafe(settings.orderDispatchConcurrency)
      const owner = `${process.pid}-${globalThis.crypto.randomUUID()}`
      const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

      /** The plugin call for a claimed row, every failure a typed result, bounded by the deadline. */
      const call = (loaded: LoadedPlugin | undefined, row: ClaimedDelivery) =>
        Effect.gen(function* () {
          if (loaded === undefined) {
            return { _tag: "Unsupported", reason: `no POS plugin '${row.order.provider}' is loaded` } as CallResult
          }
          const store = yield* (yield* Outlets).get(row.order.outletId)
          if (store === undefined) {
            return { _tag: "Rejected", reason: `outlet '${row.order.outletId}' no longer exists` } as CallResult
          }
          const context = yield* makePosCallContext(loaded, { store }, http)
          const plugin = loaded.plugin
          const attempted: Effect.Effect<CallResult, unknown> =
            row.kind === "submit"
              ? Effect.map(plugin.submitOrder(toPosOrder(row.order), context), (submitted) => ({
                  _tag: "Submitted" as const,
                  posOrderId: submitted.posOrderId,
                  duplicate: submitted.duplicate
                }))
              : Effect.as(
                  plugin.cancelOrder(
                    { refCode: row.order.refCode, posOrderId: row.order.posOrderId, reason: row.reason },
                    context
                  ),
                  { _tag: "Cancelled" as const }
                )
          return yield* attempted.pipe(
            traced(`pos.${row.kind === "submit" ? "submitOrder" : "cancelOrder"}`, {
              kind: "client",
              attributes: { "pos.provider": row.order.provider, "order.id": row.orderId }
            }),
            Effect.timeoutOption(settings.posCallTimeoutMs),
            Effect.map(
              Option.getOrElse(
                (): CallResult => ({
                  _tag: "Unavailable",
                  reason: `the POS did not answer within ${settings.posCallTimeoutMs} ms`
                })
              )
            )
          )
        }).pipe(
          Effect.catch((error: unknown): Effect.Effect<CallResult> => {
            const tagged = error as { readonly _tag?: string; readonly reason?: string; readonly operation?: string }
            switch (tagged._tag) {
              case "PosRejected":
                return Effect.succeed({ _tag: "Rejected", reason: redactUrls(String(tagged.reason)) })
              case "PosUnavailable":
                return Effect.succeed({ _tag: "Unavailable", reason: redactUrls(String(tagged.reason)) })
              case "MissingCredentials":
              case "UnreadableCredentials":
                return Effect.succeed({ _tag: "NotConfigured", reason: String(tagged.reason) })
              case "UnsupportedOperation":
                return Effect.succeed({ _tag: "Unsupported", reason: `${tagged.operation} is not implemented` })
              case "StorageError":
                return Effect.succeed({ _tag: "Unavailable", reason: "the service could not read what the call needs" })
              default:
                return Effect.as(Effect.logError("order delivery failed unexpectedly", { error }), {
                  _tag: "Unavailable",
                  reason: "the delivery failed unexpectedly (see the service log)"
                } as CallResult)
            }
          }),
          Effect.catchDefect((defect) =>
            Effect.as(Effect.logError("order delivery failed unexpectedly", { defect }), {
              _tag: "Unavailable",
              reason: "the delivery failed unexpectedly (see the service log)"
            } as CallResult)
          )
        )

      /**
       * Whether a cancellation needs the POS: only when the order may be there, that is when a try of
       * it reached the POS and was taken, or its outcome is unknown (no answer, a 5xx). A try the POS
       * refused, or one that never left (no credentials, no plugin, skipped), left nothing to cancel.
       */
      const cancellationNeeded = (row: ClaimedDelivery) =>
        Effect.gen(function* () {
          const attempts = yield* (yield* Orders).attempts(row.orderId)
          return attempts.some((a) => a.kind === "submit" && reachedPos.has(a.outcome))
        })

      /** One claimed row: the call (or none), then its outcome recorded if the lease is still ours. */
      const deliver = (tenant: TenantId, row: ClaimedDelivery) =>
        Effect.gen(function* () {
          const orders = yield* Orders
          const startedAt = yield* now
          // The caller holds a call permit for the row: the call starts now.
          const result: CallResult =
            row.kind === "submit" && row.order.status !== "RECEIVED" && row.order.status !== "FAILED"
              ? { _tag: "Skipped", reason: `the order is ${row.order.status}: nothing to deliver` }
              : row.kind === "cancel" && !(yield* cancellationNeeded(row))
                ? { _tag: "Skipped", reason: "the order never reached the POS" }
                : yield* call(registry.get(row.order.provider), row)
          const finishedAt = yield* now
          const decision = decideDelivery(row, result, startedAt, finishedAt, policy, yield* Random.next)
          const kept = yield* orders.finish(row.id, owner, decision.attempt, decision.finish)
          yield* recordOrderTry(row.kind, decision.attempt.outcome)
          // A status change records the order's partner webhook events.
          if (kept && decision.finish._tag === "Done" && decision.finish.change !== null) yield* webhooks.kick(tenant)
          if (!kept) {
            yield* Effect.logWarning("an order delivery's lease ran out before its outcome was recorded", {
              tenant,
              order: row.orderId,
              kind: row.kind
            })
          }
          yield* Effect.logInfo("order delivery", {
            tenant,
            order: row.orderId,
            kind: row.kind,
            attempt: row.attempts,
            outcome: decision.attempt.outcome,
            ...(decision.finish._tag === "Retry" ? { retryAt: decision.finish.dueAt.toISOString() } : {})
          })
          if (decision.finish._tag === "Retry") {
            yield* index.mark(tenant, decision.finish.dueAt)
            yield* Effect.forkIn(
              Effect.delay(kickDrain(tenant), Math.max(0, decision.finish.dueAt.getTime() - finishedAt.getTime())),
              scope
            )
          }
        }).pipe(deliverySpan(tenant, row))

      /** A delivery continues the trace its row was queued in (the partner's request), else starts one. */
      const deliverySpan = (tenant: TenantId, row: ClaimedDelivery) => {
        const parent = parentOf(row.traceContext)
        return traced("orders.deliver", {
          kind: "consumer",
          ...(parent === undefined ? { root: true } : { parent }),
          attributes: { tenant, "order.id": row.orderId, "delivery.kind": row.kind, "delivery.attempt": row.attempts }
        })
      }

      /**
       * Deliveries under way in this process, by tenant. Each runs in its own fiber, detached from
       * whoever claimed it (a request's kick: its log annotations are not the delivery's), so a
       * call that hangs until its deadline holds its permit only: the tenant's other due rows are
       * claimed and sent meanwhile.
       */
      const underWay = makeUnderWay()
      const underWayOf = underWay.of

      /** One batch: claims as many rows as permits are held and starts their deliveries; how many were claimed. */
      const batch = (tenant: TenantId, repositories: Context.Context<TenantRepositories>) =>
        Effect.acquireUseRelease(
          takePermits(calls, settings.orderDispatchConcurrency),
          (permits) =>
            Effect.gen(function* () {
              const at = yield* now
              const rows = yield* Context.get(repositories, Orders)
                .claim({ now: at, owner, leaseUntil: new Date(at.getTime() + leaseMs), limit: permits.held })
                .pipe(traced("outbox.claim", { attributes: { outbox: "orders", tenant } }))
              // The permits no row needs go back now.
              if (permits.held > rows.length) {
                yield* calls.release(permits.held - rows.length)
                permits.held = rows.length
              }
              const fibers = underWayOf(tenant)
              for (const row of rows) {
                const fiber = yield* Effect.forkIn(
                  deliver(tenant, row).pipe(
                    Effect.provideContext(repositories),
                    Effect.catchCause((cause) =>
                      Effect.logError("an order delivery failed unexpectedly", { tenant, order: row.orderId, cause })
                    ),
                    Effect.ensuring(calls.release(1)),
                    detached
                  ),
                  scope
                )
                // Its permit is the fiber's now.
                permits.held--
                fibers.add(fiber)
                yield* Effect.forkIn(
                  Effect.andThen(
                    Fiber.await(fiber),
                    Effect.suspend(() => {
                      fibers.delete(fiber)
                      // The last delivery under way ended: look again (the index entry to settle).
                      return fibers.size === 0 ? kickDrain(tenant) : Effect.void
                    })
                  ).pipe(detached),
                  scope
                )
              }
              return rows.length
            }),
          // Whatever is still held (an interruption before the forks): given back.
          (permits) => (permits.held > 0 ? calls.release(permits.held) : Effect.void)
        )

      /** Claims and starts the tenant's due rows until none is due; how many were claimed. */
      const claimAll = (tenant: TenantId, repositories: Context.Context<TenantRepositories>) =>
        claimUntilEmpty(batch(tenant, repositories))

      /** Delivers the tenant's due rows, waiting for the calls under way, until none is due. */
      const drain = (tenant: TenantId): Effect.Effect<number, StorageError> =>
        Effect.scoped(
          Effect.gen(function* () {
            const found = yield* databases.resolve(tenant)
            if (found === undefined) return 0
            const repositories = yield* databases.repositories(found.id)
            return yield* drainLoop(claimAll(tenant, repositories), () => underWayOf(tenant))
          })
        )

      /** Drains in the background, then settles the tenant's index entry to its next due work. */
      const kickDrain: (tenant: TenantId) => Effect.Effect<void> = coalescedLooks(scope, (tenant) =>
        Effect.gen(function* () {
          const entry = yield* index.find(tenant)
          if ((yield* databases.resolve(tenant)) === undefined) {
            // No active tenant has the id (removed or suspended, or never one): its entry is
            // forgotten rather than looked at every second; the sweep indexes its work again if
            // it comes back. Read from the directory itself: the resolver's set of active ids
            // may not know yet a tenant another instance has just created.
            const stored = yield* directory.find(tenant)
            if (entry !== null && (stored === undefined || stored.status !== "active")) {
              yield* index.settle(tenant, entry.version, null)
            }
            return
          }
          yield* Effect.scoped(
            Effect.flatMap(databases.repositories(tenant), (repositories) => claimAll(tenant, repositories))
          )
          // Settled once nothing is under way: the last delivery to end looks again.
          if (entry !== null && underWayOf(tenant).size === 0) {
            const next = yield* Effect.scoped(
              Effect.flatMap(databases.repositories(tenant), (r) => Context.get(r, Orders).nextDue())
            )
            yield* index.settle(tenant, entry.version, next)
          }
        }).pipe(
          Effect.catch((error) =>
            Effect.logWarning("delivering orders failed; the dispatcher tries again", {
              tenant,
              ...storageReason(error)
            })
          ),
          Effect.catchDefect((defect) => Effect.logError("delivering orders failed unexpectedly", { tenant, defect }))
        )
      )

      const markNow = (tenant: TenantId): Effect.Effect<void> =>
        Effect.flatMap(now, (at) => index.mark(tenant, at)).pipe(
          Effect.catch((error) =>
            Effect.logWarning("indexing order work failed; the sweep finds it", { tenant, ...storageReason(error) })
          )
        )

      /**
       * Index marks by tenant: one at a time, and the kicks that arrive while one runs share the
       * next, which starts after their commits (a mark begun before a commit may not cover it: a
       * drain elsewhere may settle the entry from an outbox read before that commit).
       */
      const marking = new Map<TenantId, { next: Deferred.Deferred<void> | null }>()
      const markLoop = (
        tenant: TenantId,
        entry: { next: Deferred.Deferred<void> | null },
        done: Deferred.Deferred<void>
      ) =>
        Effect.flatMap(markNow(tenant), (): Effect.Effect<void> => {
          Deferred.doneUnsafe(done, Effect.void)
          const next = entry.next
          if (next === null) {
            marking.delete(tenant)
            return Effect.void
          }
          entry.next = null
          return markLoop(tenant, entry, next)
        })
      const markCoalesced = (tenant: TenantId): Effect.Effect<void> =>
        Effect.suspend(() => {
          const running = marking.get(tenant)
          if (running !== undefined) {
            if (running.next === null) running.next = Deferred.makeUnsafe<void>()
            return Deferred.await(running.next)
          }
          const entry = { next: null as Deferred.Deferred<void> | null }
          marking.set(tenant, entry)
          const done = Deferred.makeUnsafe<void>()
          // In the dispatcher's scope, not the kicking request's: a request that goes away does not stop the others' mark.
          return Effect.andThen(
            Effect.forkIn(
              markLoop(tenant, entry, done).pipe(
                // Stopped (the service shutting down): nobody is left waiting.
                Effect.onExit(() =>
                  Effect.sync(() => {
                    if (marking.get(tenant) === entry) marking.delete(tenant)
                    Deferred.doneUnsafe(done, Effect.void)
                    if (entry.next !== null) Deferred.doneUnsafe(entry.next, Effect.void)
                  })
                ),
                detached
              ),
              scope
            ),
            Deferred.await(done)
          )
        })

      const kick = (tenant: TenantId): Effect.Effect<void> => Effect.andThen(markCoalesced(tenant), kickDrain(tenant))

      const sweep: Effect.Effect<void, StorageError> = Effect.flatMap(directory.activeIds, (ids) =>
        Effect.forEach(
          ids,
          (id) =>
            Effect.scoped(
              Effect.gen(function* () {
                const repositories = yield* databases.repositories(id)
                const next = yield* Context.get(repositories, Orders).nextDue()
                if (next !== null) yield* index.mark(id, next)
              })
            ).pipe(
              Effect.catch((error) =>
                Effect.logWarning("looking for order work failed", { tenant: id, ...storageReason(error) })
              )
            ),
          { discard: true }
        )
      )

      /** The loop: drains the tenants the index says are due, then sleeps until the next due time (at most a second). */
      const tick = Effect.gen(function* () {
        const due = yield* index.due(yield* now, 1000)
        for (const entry of due) yield* kickDrain(entry.tenantId as TenantId)
      }).pipe(Effect.catch((error) => Effect.logWarning("reading the order due index failed", storageReason(error))))
      if (background) {
        yield* Effect.forkIn(Effect.repeat(tick, Schedule.spaced(1000)), scope)
        yield* Effect.forkIn(
          Effect.repeat(
            sweep.pipe(Effect.catch((error) => Effect.logWarning("the order sweep failed", storageReason(error)))),
            Schedule.spaced(settings.orderSweepMs)
          ),
          scope
        )
      }

      return OrderDispatch.of({ kick, drain, sweep })
    })
}
