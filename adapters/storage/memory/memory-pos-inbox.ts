import { Effect } from "effect"
import { type JobRow, type OrderEventRow, PosInbox } from "../../../application/ports/pos-inbox.ts"
import { SNOOZED_INDEFINITELY } from "../../../domain/catalog.ts"
import { outletBusyChanged, productAvailabilityChanged } from "../../../domain/webhook-event.ts"
import type { CatalogTables, TenantEventSink } from "./memory-catalog.ts"

/** One tenant's inbox tables in memory. */
export interface InboxTables {
  /** provider + "\u0000" + dedupe key -> received at */
  readonly deliveries: Map<string, Date>
  readonly orderEvents: Map<string, OrderEventRow>
  readonly jobs: Map<string, JobRow & { readonly leaseUntil: Date | null }>
}

export const makeInboxTables = (): InboxTables => ({ deliveries: new Map(), orderEvents: new Map(), jobs: new Map() })

const sameTarget = (a: JobRow, b: JobRow) =>
  a.kind === b.kind &&
  a.provider === b.provider &&
  (a.externalOutletId ?? "") === (b.externalOutletId ?? "") &&
  (a.accountId ?? "") === (b.accountId ?? "")

const plain = ({ leaseUntil: _, ...job }: JobRow & { readonly leaseUntil: Date | null }): JobRow => job

const byCreatedDesc = (a: JobRow, b: JobRow) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)

/** The POS inbox in memory: everything runs synchronously, so a delivery applies as one step. */
export const makeMemoryPosInbox = (catalog: CatalogTables, t: InboxTables, emit: TenantEventSink = () => {}) => {
  const pendingTwin = (job: JobRow) =>
    [...t.jobs.values()].find((j) => j.status === "pending" && j.id !== job.id && sameTarget(j, job))
  const insertJob = (job: JobRow): string => {
    const twin = pendingTwin(job)
    if (twin !== undefined) return twin.id
    t.jobs.set(job.id, { ...job, status: "pending", attempts: 0, lastError: null, finishedAt: null, leaseUntil: null })
    return job.id
  }
  return PosInbox.of({
    seen: (provider, dedupeKey) => Effect.sync(() => t.deliveries.has(`${provider}\u0000${dedupeKey}`)),
    accept: (delivery) =>
      Effect.sync(() => {
        const key = `${delivery.provider}\u0000${delivery.dedupeKey}`
        if (t.deliveries.has(key)) return "duplicate" as const
        t.deliveries.set(key, delivery.receivedAt)
        let changed = false
        for (const { storeId, items } of delivery.snoozes) {
          const links = catalog.itemStores.get(storeId)
          for (const { posCode, until } of items) {
            for (const [itemId, link] of links ?? []) {
              const item = catalog.items.get(itemId)
              if (item?.provider !== delivery.provider || item.posCode !== posCode) continue
              if ((link.snoozedUntil?.getTime() ?? null) === (until?.getTime() ?? null)) continue
              links!.set(itemId, { ...link, snoozedUntil: until, updatedAt: delivery.receivedAt })
              emit(
                productAvailabilityChanged(
                  storeId,
                  itemId,
                  until,
                  until !== null && until.getTime() >= SNOOZED_INDEFINITELY.getTime()
                ),
                delivery.receivedAt
              )
              changed = true
            }
            // Modifier options are tenant-level objects: their snooze holds at every outlet.
            for (const [id, option] of catalog.options) {
              if (option.provider !== delivery.provider || option.posCode !== posCode) continue
              if ((option.snoozedUntil?.getTime() ?? null) === (until?.getTime() ?? null)) continue
              catalog.options.set(id, { ...option, snoozedUntil: until, updatedAt: delivery.receivedAt })
              changed = true
            }
          }
        }
        if (changed) catalog.generation.value += 1
        for (const { storeId, mode } of delivery.busyModes) {
          if (!catalog.stores.has(storeId)) continue
          const busy = outletBusyChanged(storeId, catalog.busyModes.get(storeId) ?? "ONLINE", mode)
          catalog.busyModes.set(storeId, mode)
          if (busy !== null) emit(busy, delivery.receivedAt)
        }
        for (const event of delivery.orderEvents) t.orderEvents.set(event.id, event)
        for (const job of delivery.jobs) insertJob(job)
        return "applied" as const
      }),
    enqueue: (job) => Effect.sync(() => insertJob(job)),
    claim: (now, leaseUntil) =>
      Effect.sync(() => {
        const due = [...t.jobs.values()]
          .filter(
            (j) =>
              (j.status === "pending" && j.runAfter.getTime() <= now.getTime()) ||
              (j.status === "running" && j.leaseUntil !== null && j.leaseUntil.getTime() <= now.getTime())
          )
          .sort((a, b) => a.runAfter.getTime() - b.runAfter.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0]
        if (due === undefined) return undefined
        const claimed = { ...due, status: "running" as const, attempts: due.attempts + 1, leaseUntil }
        t.jobs.set(due.id, claimed)
        return plain(claimed)
      }),
    finish: (id, outcome) =>
      Effect.sync(() => {
        const job = t.jobs.get(id)
        if (job === undefined) return
        if (outcome._tag === "done") {
          t.jobs.set(id, { ...job, status: "done", leaseUntil: null, finishedAt: outcome.at })
        } else if (outcome._tag === "failed") {
          t.jobs.set(id, {
            ...job,
            status: "failed",
            leaseUntil: null,
            lastError: outcome.error,
            finishedAt: outcome.at
          })
        } else if (pendingTwin(job) !== undefined) {
          t.jobs.set(id, { ...job, status: "done", leaseUntil: null, lastError: outcome.error, finishedAt: outcome.at })
        } else {
          t.jobs.set(id, {
            ...job,
            status: "pending",
            leaseUntil: null,
            lastError: outcome.error,
            runAfter: outcome.retryAt
          })
        }
      }),
    getJob: (id) =>
      Effect.sync(() => {
        const job = t.jobs.get(id)
        return job === undefined ? undefined : plain(job)
      }),
    listJobs: (limit) => Effect.sync(() => [...t.jobs.values()].map(plain).sort(byCreatedDesc).slice(0, limit)),
    orderEvents: (refCode) =>
      Effect.sync(() =>
        [...t.orderEvents.values()]
          .filter((e) => e.refCode === refCode)
          .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      ),
    purgeJobs: (before) =>
      Effect.sync(() => {
        let purged = 0
        for (const [id, job] of t.jobs) {
          const ended = job.status === "done" || job.status === "failed"
          if (ended && job.finishedAt !== null && job.finishedAt.getTime() < before.getTime()) {
            t.jobs.delete(id)
            purged++
          }
        }
        return purged
      }),
    purgeDeliveries: (before) =>
      Effect.sync(() => {
        let purged = 0
        for (const [key, at] of t.deliveries) {
          if (at.getTime() < before.getTime()) {
            t.deliveries.delete(key)
            purged++
          }
        }
        return purged
      })
  })
}
