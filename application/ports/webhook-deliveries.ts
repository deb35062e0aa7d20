import { Context, type Effect } from "effect"
import type { StorageError } from "../../domain/errors.ts"
import type { DeliveredEventType, WebhookDeliveryAttempt, WebhookDeliveryRecord } from "../../domain/webhook-event.ts"
import type { OutboxBacklog } from "./orders.ts"

/** How an endpoint is doing: what waits for it, and how its latest try went. */
export interface WebhookEndpointHealth {
  readonly endpointId: string
  /** Deliveries waiting for a try (or under one). */
  readonly pending: number
  readonly oldestPendingAt: Date | null
  /** When it last answered a delivery 2xx; null: never. */
  readonly lastSuccessAt: Date | null
  /** The latest try of any of its deliveries: when, and its error (null when it succeeded); null: never tried. */
  readonly lastAttemptAt: Date | null
  readonly lastError: string | null
}

/** A delivery claimed for a try, with what its body is built from. */
export interface ClaimedWebhookDelivery {
  readonly id: string
  readonly endpointId: string
  readonly eventId: string
  readonly eventType: DeliveredEventType
  readonly occurredAt: Date
  readonly data: unknown
  /**
   * The trace of the order an order event is about (the W3C traceparent of the request that placed
   * it), which the delivery continues; null for other events and untraced orders.
   */
  readonly traceContext: string | null
  readonly sequence: number
  /** Tries so far, this one included. */
  readonly attempts: number
  /** Tries since `tryingSince` (a redelivery or a resume starts again from 1), this one included. */
  readonly triesSince: number
  /** Since when the delivery has been trying without success: its creation, or its latest redelivery. */
  readonly tryingSince: Date
  readonly leaseUntil: Date
}

export interface WebhookClaimRequest {
  readonly now: Date
  /** Identifies the claimer: only it may finish what it claimed. */
  readonly owner: string
  readonly leaseUntil: Date
  readonly limit: number
  /** At most this many deliveries of one endpoint leased at once (those already leased count). */
  readonly perEndpoint: number
}

/** How a try ended for the delivery. */
export type WebhookFinish =
  | { readonly _tag: "Delivered" }
  | { readonly _tag: "Retry"; readonly dueAt: Date }
  /**
   * Given up. When the endpoint has received nothing since the delivery began trying, it is
   * disabled with `reason`, and an `endpoint.disabled` event goes to its owners' other enabled
   * endpoints (whatever they subscribe to), in the same transaction.
   */
  | { readonly _tag: "GiveUp"; readonly reason: string }

export type WebhookFinishResult =
  /** The lease was lost (it ran out and another claimed the delivery), or the delivery is gone: nothing written. */
  { readonly _tag: "LeaseLost" } | { readonly _tag: "Recorded"; readonly endpointDisabled: boolean }

/**
 * The deliveries of partner webhook events, in the tenant's database: the outbox the webhook
 * dispatcher works from. Events are recorded and fanned out by the changes they report (an order's
 * status, in the Orders adapter's own transaction); this port reads and finishes what they left.
 * Every method is one transaction. Deliveries of a disabled endpoint wait: they are not claimed.
 */
export class WebhookDeliveries extends Context.Service<
  WebhookDeliveries,
  {
    /**
     * Claims up to `limit` pending deliveries due at `now` whose lease is free, of enabled
     * endpoints, lowest sequence of each endpoint first, leasing each to `owner` and counting a try.
     * Two claimers never get the same delivery.
     */
    readonly claim: (request: WebhookClaimRequest) => Effect.Effect<ReadonlyArray<ClaimedWebhookDelivery>, StorageError>
    /** Records a try of a delivery `owner` still leases, and retries, delivers or gives it up. */
    readonly finish: (
      id: string,
      owner: string,
      attempt: WebhookDeliveryAttempt,
      finish: WebhookFinish
    ) => Effect.Effect<WebhookFinishResult, StorageError>
    /** The earliest instant a pending delivery of an enabled endpoint is due and free; null when none. */
    readonly nextDue: () => Effect.Effect<Date | null, StorageError>
    /**
     * The endpoint's deliveries, newest (highest sequence) first, each with its tries; `before`: only
     * those below that sequence (the next page).
     */
    readonly list: (
      endpointId: string,
      page: { readonly before: number | null; readonly limit: number }
    ) => Effect.Effect<ReadonlyArray<WebhookDeliveryRecord>, StorageError>
    readonly get: (
      endpointId: string,
      deliveryId: string
    ) => Effect.Effect<WebhookDeliveryRecord | undefined, StorageError>
    /**
     * Sends a finished delivery again, due at `at`, with the same event (and `webhook-id`), its tries
     * kept and a day of retries from `at`. A pending one is left as it is. Undefined when unknown.
     */
    readonly redeliver: (
      endpointId: string,
      deliveryId: string,
      at: Date
    ) => Effect.Effect<WebhookDeliveryRecord | undefined, StorageError>
    /**
     * An endpoint enabled again: its pending deliveries are due at `at`, with their day of retries
     * counted from `at` (they waited while it was disabled); how many.
     */
    readonly resume: (endpointId: string, at: Date) => Effect.Effect<number, StorageError>
    /** How each of the tenant's endpoints is doing, by endpoint id (every endpoint, also one never sent to). */
    readonly health: () => Effect.Effect<ReadonlyArray<WebhookEndpointHealth>, StorageError>
    /**
     * Forgets deliveries that finished before `before` (delivered or given up), with their tries,
     * and the events no delivery refers to any more; how many deliveries went. Pending ones stay.
     */
    readonly prune: (before: Date) => Effect.Effect<number, StorageError>
    /**
     * Pending deliveries of the tenant (all endpoints), and the oldest due time among those due at
     * `now` (null: none due): the outbox's depth and age.
     */
    readonly backlog: (now: Date) => Effect.Effect<OutboxBacklog, StorageError>
  }
>()("pos/application/WebhookDeliveries") {}
