import { Clock, Context, Effect, Fiber, Layer, Random, Schedule, Semaphore } from "effect"
import { currentTraceContext, parentOf } from "../../application/orders/trace-context.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import type { TenantRepositories } from "../../application/ports/tenant-storage.ts"
import { type ClaimedWebhookDelivery, WebhookDeliveries } from "../../application/ports/webhook-deliveries.ts"
import { WebhookEndpoints } from "../../application/ports/webhook-endpoints.ts"
import { decideWebhookTry, signingSecrets } from "../../application/webhook-endpoints/endpoints.ts"
import type { StorageError } from "../../domain/errors.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { eventBody } from "../../domain/webhook-event.ts"
import { AppConfig } from "../config.ts"
import { storageReason } from "../failures.ts"
import { recordWebhookTry } from "../observability/metrics.ts"
import { traced } from "../observability/tracing.ts"
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
import { sendWebhook } from "./sender.ts"
import { WebhookResolver } from "./services.ts"
import { signatureHeaders } from "./signing.ts"

/** A stored trace context as the span's parent; none: the span is a child of the current one. */
const parentOrCurrent = (traceContext: string | null) => {
  const parent = parentOf(traceContext)
  return parent === undefined ? {} : { parent }
}
/**
 * The partner webhook dispatcher: sends the tenants' pending deliveries (application/ports/
 * webhook-deliveries.ts), each try signed by Standard Webhooks 1.0 with the event's id as
 * `webhook-id` (the same on every try), the try's time as `webhook-timestamp`, and every secret
 * the endpoint signs with now (two during a rotation's overlap).
 *
 * - Where the work is: a request that changed a tenant's data, and a finished order delivery, kick
 *   the tenant (its events were recorded in the change's transaction); a retry wakes its tenant at
 *   its due time; a sweep of every tenant at start and every WEBHOOK_SWEEP_MS finds what another
 *   instance or a crash left.
 * - A claim (lease, try counted) commits before the call. A process that dies mid-call leaves the
 *   delivery leased until the lease ends; it is then claimed and sent again with the same
 *   `webhook-id`, which the receiver de-duplicates on: at least once, never lost.
 * - WEBHOOK_CONCURRENCY tries at once in this process; at most WEBHOOK_MAX_IN_FLIGHT leased per
 *   endpoint, lowest sequence first, so one slow endpoint neither blocks the others nor is flooded.
 */
export class WebhookDispatch extends Context.Service<WebhookDispatch, TenantDispatcher>()(
  "pos/runtime/WebhookDispatch"
) {
  /** With `background: false` (the admin CLI, which must never send a webhook), kicks do nothing. */
  static readonly layerWith = (options: { readonly background: boolean }) =>
    Layer.effect(
      WebhookDispatch,
      Effect.suspend(() => WebhookDispatch.make(options.background))
    )

  static readonly layer = WebhookDispatch.layerWith({ background: true })

  private static make = (background: boolean) =>
    Effect.gen(function* () {
      const scope = yield* Effect.scope
      const config = yield* AppConfig
      const settings = config.webhookDelivery
      const databases = yield* TenantDatabases
      const directory = yield* TenantDirectory
      const resolver = yield* WebhookResolver
      const leaseMs = settings.timeoutMs + 5000
      const policy = { baseMs: settings.retryBaseMs, maxMs: settings.retryMaxMs, giveUpMs: settings.giveUpMs }
      const permits = Semaphore.makeUnsafe(settings.concurrency)
      // A lease token per claim, not per process: a try that outlived its lease, its delivery
      // claimed again by this very process, cannot finish what the later claim holds.
      const process_ = `${process.pid}-${globalThis.crypto.randomUUID()}`
      let claims = 0
      const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

      /** One claimed delivery: signed, sent, and its try recorded if the lease is still ours. */
      const deliver = (tenant: TenantId, row: ClaimedWebhookDelivery, owner: string) =>
        Effect.gen(function* () {
          const endpoint = yield* (yield* WebhookEndpoints).findById(row.endpointId)
          // Removed or disabled since the claim: the delivery went with it, or waits for it.
          if (endpoint === undefined || !endpoint.enabled) return
          const startedAt = yield* now
          const body = eventBody({
            id: row.eventId,
            type: row.eventType,
            tenantId: tenant,
            occurredAt: row.occurredAt,
            sequence: row.sequence,
            data: row.data
          })
          // The receiver may continue our trace (W3C traceparent), as our other outbound calls allow.
          const trace = yield* currentTraceContext
          const outcome = yield* sendWebhook({
            url: endpoint.url,
            headers: {
              ...(trace === null ? {} : { traceparent: trace }),
              ...signatureHeaders({
                id: row.eventId,
                timestamp: startedAt,
                body,
                secrets: signingSecrets(endpoint, startedAt)
              })
            },
            body,
            resolver,
            allowLoopback: config.webhookAllowLoopback,
            timeoutMs: settings.timeoutMs
          })
          const error =
            outcome.error ??
            (outcome.status !== null && (outcome.status < 200 || outcome.status >= 300)
              ? `answered ${outcome.status}`
              : null)
          const attempt = {
            attempt: row.attempts,
            startedAt,
            latencyMs: outcome.latencyMs,
            statusCode: outcome.status,
            error
          }
          const finishedAt = new Date(startedAt.getTime() + outcome.latencyMs)
          const finish = decideWebhookTry(row, attempt, finishedAt, policy, yield* Random.next)
          const result = yield* (yield* WebhookDeliveries).finish(row.id, owner, attempt, finish)
          yield* recordWebhookTry(finish._tag)
          yield* Effect.logInfo("partner webhook delivery", {
            tenant,
            endpoint: row.endpointId,
            event: row.eventId,
            type: row.eventType,
            attempt: row.attempts,
            status: outcome.status,
            ...(error === null ? {} : { error }),
            outcome: finish._tag,
            ...(finish._tag === "Retry" ? { retryAt: finish.dueAt.toISOString() } : {})
          })
          if (result._tag === "LeaseLost") {
            yield* Effect.logWarning("a webhook delivery's lease ran out before its try was recorded", {
              tenant,
              delivery: row.id
            })
          } else if (result.endpointDisabled) {
            yield* Effect.logWarning("a partner webhook endpoint failed every try for a day and was disabled", {
              tenant,
              endpoint: row.endpointId
            })
          }
          if (finish._tag === "Retry") yield* wakeAt(tenant, finish.dueAt)
        }).pipe(
          traced("webhook.deliver", {
            kind: "producer",
            // An order event continues its order's trace; other deliveries, whatever kicked them.
            ...parentOrCurrent(row.traceContext),
            attributes: {
              tenant,
              "webhook.endpoint": row.endpointId,
              "webhook.event_type": row.eventType,
              "webhook.id": row.eventId,
              "delivery.attempt": row.attempts
            }
          })
        )

      /** Tries under way in this process, by tenant. */
      const underWayOf = makeUnderWay().of

      /** One batch: as many deliveries claimed as permits are held, each sent in its own fiber; how many. */
      const batch = (tenant: TenantId, repositories: Context.Context<TenantRepositories>) =>
        Effect.acquireUseRelease(
          takePermits(permits, settings.concurrency),
          (held) =>
            Effect.gen(function* () {
              const at = yield* now
              const owner = `${process_}-${++claims}`
              const rows = yield* Context.get(repositories, WebhookDeliveries)
                .claim({
                  now: at,
                  owner,
                  leaseUntil: new Date(at.getTime() + leaseMs),
                  limit: held.held,
                  perEndpoint: settings.inFlightPerEndpoint
                })
                .pipe(traced("outbox.claim", { attributes: { outbox: "webhooks", tenant } }))
              const fibers = underWayOf(tenant)
              for (const row of rows) {
                const fiber = yield* Effect.forkIn(
                  detached(
                    deliver(tenant, row, owner).pipe(
                      Effect.provideContext(repositories),
                      Effect.catchCause((cause) =>
                        Effect.logError("a partner webhook delivery failed unexpectedly", {
                          tenant,
                          delivery: row.id,
                          cause
                        })
                      ),
                      Effect.ensuring(permits.release(1))
                    )
                  ),
                  scope
                )
                held.held--
                fibers.add(fiber)
                // When it ends, the endpoint's share has room again: look once more.
                yield* Effect.forkIn(
                  detached(
                    Effect.andThen(
                      Fiber.await(fiber),
                      Effect.suspend(() => {
                        fibers.delete(fiber)
                        return kick(tenant)
                      })
                    )
                  ),
                  scope
                )
              }
              return rows.length
            }),
          (held) => (held.held > 0 ? permits.release(held.held) : Effect.void)
        )

      const claimAll = (tenant: TenantId, repositories: Context.Context<TenantRepositories>) =>
        claimUntilEmpty(batch(tenant, repositories))

      /** One tenant timer: a wake at the earliest time asked. */
      const wakes = new Map<TenantId, { readonly at: number; readonly fiber: Fiber.Fiber<void> }>()
      const wakeAt = (tenant: TenantId, at: Date): Effect.Effect<void> =>
        Effect.gen(function* () {
          const existing = wakes.get(tenant)
          if (existing !== undefined && existing.at <= at.getTime()) return
          if (existing !== undefined) yield* Fiber.interrupt(existing.fiber)
          const delay = Math.max(0, at.getTime() - (yield* Clock.currentTimeMillis))
          const fiber = yield* Effect.forkIn(
            detached(
              Effect.andThen(
                Effect.sleep(delay),
                Effect.suspend(() => {
                  if (wakes.get(tenant)?.fiber === fiber) wakes.delete(tenant)
                  return kick(tenant)
                })
              )
            ),
            scope
          )
          wakes.set(tenant, { at: at.getTime(), fiber })
        })

      const lookOnce = (tenant: TenantId) =>
        Effect.gen(function* () {
          if ((yield* databases.resolve(tenant)) === undefined) return
          yield* Effect.scoped(
            Effect.gen(function* () {
              const repositories = yield* databases.repositories(tenant)
              const deliveries = Context.get(repositories, WebhookDeliveries)
              // The cheap question first: most changes (a tenant without endpoints, an event no
              // endpoint hears) leave nothing due, and a claim is not needed to learn it.
              const due = yield* deliveries.nextDue()
              if (due === null) return
              if (due.getTime() > (yield* Clock.currentTimeMillis)) return yield* wakeAt(tenant, due)
              yield* claimAll(tenant, repositories)
              // What is due now and was not claimed waits for an endpoint's share (a try ending
              // looks again) or another instance's lease: a second from now at the soonest.
              const next = yield* deliveries.nextDue()
              const soonest = (yield* Clock.currentTimeMillis) + 1000
              if (next !== null) yield* wakeAt(tenant, new Date(Math.max(next.getTime(), soonest)))
            })
          )
        }).pipe(
          Effect.catch((error) =>
            Effect.logWarning("sending partner webhooks failed; the dispatcher tries again", {
              tenant,
              ...storageReason(error)
            })
          ),
          Effect.catchDefect((defect) =>
            Effect.logError("sending partner webhooks failed unexpectedly", { tenant, defect })
          )
        )

      const look = coalescedLooks(scope, lookOnce)
      const kick = (tenant: TenantId): Effect.Effect<void> => (background ? look(tenant) : Effect.void)

      const drain = (tenant: TenantId): Effect.Effect<number, StorageError> =>
        Effect.scoped(
          Effect.gen(function* () {
            if ((yield* databases.resolve(tenant)) === undefined) return 0
            const repositories = yield* databases.repositories(tenant)
            return yield* drainLoop(claimAll(tenant, repositories), () => underWayOf(tenant))
          })
        )

      /** When each tenant's finished deliveries were last pruned: at most once an hour. */
      const pruned = new Map<string, number>()
      const pruneOf = (tenant: string, deliveries: WebhookDeliveries["Service"]) =>
        Effect.gen(function* () {
          const at = yield* Clock.currentTimeMillis
          if (at - (pruned.get(tenant) ?? Number.NEGATIVE_INFINITY) < 3_600_000) return
          pruned.set(tenant, at)
          const gone = yield* deliveries.prune(new Date(at - settings.retentionDays * 86_400_000))
          if (gone > 0) yield* Effect.logInfo("pruned partner webhook deliveries", { tenant, deliveries: gone })
        })

      const sweep: Effect.Effect<void, StorageError> = Effect.flatMap(directory.activeIds, (ids) =>
        Effect.forEach(
          ids,
          (id) =>
            Effect.scoped(
              Effect.gen(function* () {
                const repositories = yield* databases.repositories(id)
                const deliveries = Context.get(repositories, WebhookDeliveries)
                const next = yield* deliveries.nextDue()
                if (next !== null) yield* wakeAt(id as TenantId, next)
                yield* pruneOf(id, deliveries)
              })
            ).pipe(
              Effect.catch((error) =>
                Effect.logWarning("looking for partner webhook work failed", { tenant: id, ...storageReason(error) })
              )
            ),
          { discard: true }
        )
      )

      if (background) {
        yield* Effect.forkIn(
          detached(
            Effect.repeat(
              sweep.pipe(
                Effect.catch((error) => Effect.logWarning("the partner webhook sweep failed", storageReason(error)))
              ),
              Schedule.spaced(settings.sweepMs)
            )
          ),
          scope
        )
      }

      return WebhookDispatch.of({ kick, drain, sweep })
    })
}
