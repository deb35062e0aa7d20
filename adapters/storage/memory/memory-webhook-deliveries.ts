import { Effect } from "effect"
import type { ClaimedWebhookDelivery } from "../../../application/ports/webhook-deliveries.ts"
import { WebhookDeliveries } from "../../../application/ports/webhook-deliveries.ts"
import type { WebhookEventType, WebhookOwner } from "../../../domain/webhook-endpoint.ts"
import {
  type DeliveredEventType,
  endpointDisabledType,
  type WebhookDeliveryAttempt,
  type WebhookDeliveryRecord,
  type WebhookDeliveryState
} from "../../../domain/webhook-event.ts"
import type { WebhookEndpointTable } from "./memory-webhook-endpoints.ts"

interface StoredEvent {
  readonly id: string
  readonly type: DeliveredEventType
  readonly occurredAt: Date
  /** As JSON text: the database keeps a document, never the caller's object. */
  readonly data: string
  /** The trace of the order an order event is about (see ClaimedWebhookDelivery). */
  readonly traceContext: string | null
}

interface StoredDelivery {
  readonly id: string
  readonly eventId: string
  readonly endpointId: string
  readonly sequence: number
  state: WebhookDeliveryState
  attempts: number
  triesSince: number
  dueAt: Date
  leaseOwner: string | null
  leaseUntil: Date | null
  tryingSince: Date
  readonly createdAt: Date
  finishedAt: Date | null
  readonly tries: Array<WebhookDeliveryAttempt>
}

/** One tenant's webhook events and deliveries in memory, beside its endpoints' table. */
export interface WebhookDeliveryTables {
  readonly endpoints: WebhookEndpointTable
  /** endpoint id -> the last sequence number it gave */
  readonly sequences: Map<string, number>
  /** endpoint id -> when it last received a delivery */
  readonly lastSuccess: Map<string, Date>
  readonly events: Map<string, StoredEvent>
  readonly deliveries: Map<string, StoredDelivery>
}

export const makeWebhookDeliveryTables = (endpoints: WebhookEndpointTable): WebhookDeliveryTables => ({
  endpoints,
  sequences: new Map(),
  lastSuccess: new Map(),
  events: new Map(),
  deliveries: new Map()
})

const hexId = (prefix: string) => `${prefix}${globalThis.crypto.randomUUID().replaceAll("-", "")}`

/**
 * Records an event and fans it out as `webhook_emit` and `webhook_fan_out` do at the commit
 * (webhook-event-migrations.ts): one delivery per enabled endpoint that hears it, with the
 * endpoint's next sequence number. `owners`: null for a tenant-wide event, else only the endpoints
 * one of them owns (none: nobody's).
 */
export const emitMemoryEvent = (
  t: WebhookDeliveryTables,
  event: {
    readonly type: DeliveredEventType
    readonly data: unknown
    readonly owners: ReadonlyArray<WebhookOwner> | null
    readonly at: Date
    readonly except?: string
    readonly everyType?: boolean
    readonly traceContext?: string | null
  }
): void => {
  const targets = [...t.endpoints.endpoints.values()].filter(
    (endpoint) =>
      endpoint.enabled &&
      (event.everyType === true ||
        endpoint.eventTypes.length === 0 ||
        endpoint.eventTypes.includes(event.type as WebhookEventType)) &&
      (event.owners === null || event.owners.some((owner) => endpoint.owners.includes(owner))) &&
      endpoint.id !== event.except
  )
  if (targets.length === 0) return
  const stored: StoredEvent = {
    id: hexId("evt_"),
    type: event.type,
    occurredAt: new Date(event.at.getTime()),
    data: JSON.stringify(event.data),
    traceContext: event.traceContext ?? null
  }
  t.events.set(stored.id, stored)
  for (const endpoint of targets) {
    const sequence = (t.sequences.get(endpoint.id) ?? 0) + 1
    t.sequences.set(endpoint.id, sequence)
    const delivery: StoredDelivery = {
      id: hexId("whd_"),
      eventId: stored.id,
      endpointId: endpoint.id,
      sequence,
      state: "pending",
      attempts: 0,
      triesSince: 0,
      dueAt: new Date(event.at.getTime()),
      leaseOwner: null,
      leaseUntil: null,
      tryingSince: new Date(event.at.getTime()),
      createdAt: new Date(event.at.getTime()),
      finishedAt: null,
      tries: []
    }
    t.deliveries.set(delivery.id, delivery)
  }
}

const copyAttempt = (a: WebhookDeliveryAttempt): WebhookDeliveryAttempt => ({
  ...a,
  startedAt: new Date(a.startedAt.getTime())
})

/**
 * Partner webhook deliveries in memory. Each operation is one synchronous step, so two claims never
 * see the same free delivery. The deliveries of a removed endpoint are gone with it, as the
 * database's cascade removes them: here they are passed over.
 */
export const makeMemoryWebhookDeliveries = (t: WebhookDeliveryTables) => {
  const enabledEndpoint = (id: string) => t.endpoints.endpoints.get(id)?.enabled === true
  const live = (d: StoredDelivery) => t.endpoints.endpoints.has(d.endpointId)

  const record = (d: StoredDelivery): WebhookDeliveryRecord => ({
    id: d.id,
    endpointId: d.endpointId,
    eventId: d.eventId,
    eventType: t.events.get(d.eventId)!.type,
    sequence: d.sequence,
    state: d.state,
    attempts: d.tries.map(copyAttempt),
    nextAttemptAt: d.state === "pending" ? new Date(d.dueAt.getTime()) : null,
    createdAt: new Date(d.createdAt.getTime()),
    finishedAt: d.finishedAt === null ? null : new Date(d.finishedAt.getTime())
  })

  const find = (endpointId: string, deliveryId: string) => {
    const d = t.deliveries.get(deliveryId)
    return d !== undefined && d.endpointId === endpointId && live(d) ? d : undefined
  }

  return WebhookDeliveries.of({
    claim: (request) =>
      Effect.sync(() => {
        if (request.limit < 1) return []
        const now = request.now.getTime()
        const pending = [...t.deliveries.values()].filter((d) => d.state === "pending" && live(d))
        const leased = new Map<string, number>()
        for (const d of pending) {
          if (d.leaseUntil !== null && d.leaseUntil.getTime() > now) {
            leased.set(d.endpointId, (leased.get(d.endpointId) ?? 0) + 1)
          }
        }
        const free = pending
          .filter(
            (d) =>
              enabledEndpoint(d.endpointId) &&
              d.dueAt.getTime() <= now &&
              (d.leaseUntil === null || d.leaseUntil.getTime() <= now)
          )
          .sort((a, b) => a.sequence - b.sequence)
        const rank = new Map<string, number>()
        const eligible: Array<StoredDelivery> = []
        for (const d of free) {
          const r = (rank.get(d.endpointId) ?? 0) + 1
          rank.set(d.endpointId, r)
          if (r + (leased.get(d.endpointId) ?? 0) <= request.perEndpoint) eligible.push(d)
        }
        const picked = eligible
          .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.sequence - b.sequence)
          .slice(0, request.limit)
          .sort((a, b) =>
            a.endpointId < b.endpointId ? -1 : a.endpointId > b.endpointId ? 1 : a.sequence - b.sequence
          )
        return picked.map((d): ClaimedWebhookDelivery => {
          d.attempts += 1
          d.triesSince += 1
          d.leaseOwner = request.owner
          d.leaseUntil = new Date(request.leaseUntil.getTime())
          const event = t.events.get(d.eventId)!
          return {
            id: d.id,
            endpointId: d.endpointId,
            eventId: event.id,
            eventType: event.type,
            occurredAt: new Date(event.occurredAt.getTime()),
            data: JSON.parse(event.data),
            traceContext: event.traceContext,
            sequence: d.sequence,
            attempts: d.attempts,
            triesSince: d.triesSince,
            tryingSince: new Date(d.tryingSince.getTime()),
            leaseUntil: new Date(d.leaseUntil.getTime())
          }
        })
      }),
    finish: (id, owner, attempt, finish) =>
      Effect.sync(() => {
        const d = t.deliveries.get(id)
        if (d === undefined || !live(d) || d.state !== "pending" || d.leaseOwner !== owner) {
          return { _tag: "LeaseLost" } as const
        }
        const finishedAt = new Date(attempt.startedAt.getTime() + attempt.latencyMs)
        d.tries.push(copyAttempt(attempt))
        switch (finish._tag) {
          case "Retry":
            d.dueAt = new Date(finish.dueAt.getTime())
            d.leaseOwner = null
            d.leaseUntil = null
            return { _tag: "Recorded", endpointDisabled: false } as const
          case "Delivered": {
            d.state = "delivered"
            d.finishedAt = finishedAt
            d.leaseUntil = null
            const last = t.lastSuccess.get(d.endpointId)
            if (last === undefined || last.getTime() < finishedAt.getTime()) t.lastSuccess.set(d.endpointId, finishedAt)
            return { _tag: "Recorded", endpointDisabled: false } as const
          }
          case "GiveUp": {
            d.state = "failed"
            d.finishedAt = finishedAt
            d.leaseUntil = null
            const endpoint = t.endpoints.endpoints.get(d.endpointId)
            const last = t.lastSuccess.get(d.endpointId)
            if (
              endpoint === undefined ||
              !endpoint.enabled ||
              (last !== undefined && last.getTime() >= d.tryingSince.getTime())
            ) {
              return { _tag: "Recorded", endpointDisabled: false } as const
            }
            t.endpoints.endpoints.set(endpoint.id, {
              ...endpoint,
              enabled: false,
              disabledReason: finish.reason,
              updatedAt: finishedAt
            })
            emitMemoryEvent(t, {
              type: endpointDisabledType,
              data: {
                endpointId: endpoint.id,
                url: endpoint.url,
                reason: finish.reason,
                disabledAt: finishedAt.toISOString()
              },
              // To its owners' other endpoints only: its URL is theirs to know.
              owners: endpoint.owners,
              at: finishedAt,
              except: endpoint.id,
              everyType: true
            })
            return { _tag: "Recorded", endpointDisabled: true } as const
          }
        }
      }),
    nextDue: () =>
      Effect.sync(() => {
        let next: number | null = null
        for (const d of t.deliveries.values()) {
          if (d.state !== "pending" || !live(d) || !enabledEndpoint(d.endpointId)) continue
          const at = Math.max(d.dueAt.getTime(), d.leaseUntil?.getTime() ?? Number.NEGATIVE_INFINITY)
          if (next === null || at < next) next = at
        }
        return next === null ? null : new Date(next)
      }),
    list: (endpointId, page) =>
      Effect.sync(() =>
        [...t.deliveries.values()]
          .filter((d) => d.endpointId === endpointId && live(d) && (page.before === null || d.sequence < page.before))
          .sort((a, b) => b.sequence - a.sequence)
          .slice(0, Math.max(0, page.limit))
          .map(record)
      ),
    get: (endpointId, deliveryId) =>
      Effect.sync(() => {
        const d = find(endpointId, deliveryId)
        return d === undefined ? undefined : record(d)
      }),
    redeliver: (endpointId, deliveryId, at) =>
      Effect.sync(() => {
        const d = find(endpointId, deliveryId)
        if (d === undefined) return undefined
        if (d.state !== "pending") {
          d.state = "pending"
          d.dueAt = new Date(at.getTime())
          d.tryingSince = new Date(at.getTime())
          d.triesSince = 0
          d.finishedAt = null
          d.leaseOwner = null
          d.leaseUntil = null
        }
        return record(d)
      }),
    resume: (endpointId, at) =>
      Effect.sync(() => {
        let resumed = 0
        for (const d of t.deliveries.values()) {
          if (d.endpointId !== endpointId || d.state !== "pending" || !live(d)) continue
          d.dueAt = new Date(at.getTime())
          d.tryingSince = new Date(at.getTime())
          d.triesSince = 0
          resumed++
        }
        return resumed
      }),
    health: () =>
      Effect.sync(() =>
        [...t.endpoints.endpoints.values()]
          .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
          .map((endpoint) => {
            const mine = [...t.deliveries.values()].filter((d) => d.endpointId === endpoint.id)
            const pending = mine.filter((d) => d.state === "pending")
            const oldest = Math.min(...pending.map((d) => d.createdAt.getTime()))
            // The latest try by its start, the later recorded of two at one instant.
            let last: WebhookDeliveryAttempt | null = null
            for (const d of mine) {
              for (const a of d.tries) {
                if (last === null || a.startedAt.getTime() >= last.startedAt.getTime()) last = a
              }
            }
            const success = t.lastSuccess.get(endpoint.id)
            return {
              endpointId: endpoint.id,
              pending: pending.length,
              oldestPendingAt: pending.length === 0 ? null : new Date(oldest),
              lastSuccessAt: success === undefined ? null : new Date(success.getTime()),
              lastAttemptAt: last === null ? null : new Date(last.startedAt.getTime()),
              lastError: last?.error ?? null
            }
          })
      ),
    prune: (before) =>
      Effect.sync(() => {
        let gone = 0
        for (const [id, d] of t.deliveries) {
          // A removed endpoint's went with it (the database's cascade): not counted.
          if (!live(d)) t.deliveries.delete(id)
          else if (d.state !== "pending" && d.finishedAt !== null && d.finishedAt.getTime() < before.getTime()) {
            t.deliveries.delete(id)
            gone++
          }
        }
        const referred = new Set([...t.deliveries.values()].map((d) => d.eventId))
        for (const [id, event] of t.events) {
          if (!referred.has(id) && event.occurredAt.getTime() < before.getTime()) t.events.delete(id)
        }
        return gone
      }),
    backlog: (now) =>
      Effect.sync(() => {
        let pending = 0
        let oldest: number | null = null
        for (const d of t.deliveries.values()) {
          if (d.state !== "pending" || !live(d)) continue
          pending++
          const due = d.dueAt.getTime()
          if (due <= now.getTime() && (oldest === null || due < oldest)) oldest = due
        }
        return { pending, oldestDueAt: oldest === null ? null : new Date(oldest) }
      })
  })
}
