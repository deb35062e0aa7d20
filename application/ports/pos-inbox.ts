import { Context, type Effect } from "effect"
import type { StorageError } from "../../domain/errors.ts"

export type BusyMode = "ONLINE" | "BUSY" | "PAUSED"

/** An item's snooze as a webhook set it: by the POS's code, at one outlet. Null `until`: available again. */
export interface SnoozeChange {
  readonly posCode: string
  readonly until: Date | null
}

/** An order status a POS reported, kept for the orders it concerns. */
export interface OrderEventRow {
  readonly id: string
  readonly provider: string
  readonly refCode: string | null
  readonly posOrderId: string | null
  readonly status: string | null
  readonly vendorStatus: string
  readonly reason: string | null
  readonly at: Date | null
  readonly receivedAt: Date
}

/** Work that runs after a webhook is answered, or on request, or on schedule: today, pulls. */
export interface JobRow {
  readonly id: string
  readonly kind: "pull"
  readonly provider: string
  /** The outlet to pull (the POS's id), or null with an account: every outlet of the account. */
  readonly externalOutletId: string | null
  readonly accountId: string | null
  /** What asked for it: a webhook, an operator or partner request, a schedule. */
  readonly reason: "webhook" | "request" | "schedule"
  readonly status: "pending" | "running" | "done" | "failed"
  readonly attempts: number
  readonly runAfter: Date
  readonly lastError: string | null
  readonly createdAt: Date
  readonly finishedAt: Date | null
}

/** What one verified webhook delivery changes, applied at once and together. */
export interface Delivery {
  readonly provider: string
  /** Identifies the delivery: the same bytes delivered again have the same key, and change nothing. */
  readonly dedupeKey: string
  readonly receivedAt: Date
  /** Snoozes by outlet (our store id). */
  readonly snoozes: ReadonlyArray<{ readonly storeId: string; readonly items: ReadonlyArray<SnoozeChange> }>
  readonly busyModes: ReadonlyArray<{ readonly storeId: string; readonly mode: BusyMode }>
  readonly orderEvents: ReadonlyArray<OrderEventRow>
  /** Pending pull jobs to add; one already pending for the same target is not added twice. */
  readonly jobs: ReadonlyArray<JobRow>
}

/**
 * A tenant's POS inbox: verified webhook deliveries, applied exactly once, and the durable queue of
 * work that runs after the answer (it survives a restart: it is in the tenant's database).
 */
export class PosInbox extends Context.Service<
  PosInbox,
  {
    /**
     * Applies a delivery in one transaction: the snoozes to the outlets' links and modifier
     * options, busy modes to the outlets, order events recorded, jobs queued. A delivery whose key
     * was seen before changes nothing and answers "duplicate".
     */
    readonly accept: (delivery: Delivery) => Effect.Effect<"applied" | "duplicate", StorageError>
    /** Whether a delivery with this key was accepted (and is still remembered). */
    readonly seen: (provider: string, dedupeKey: string) => Effect.Effect<boolean, StorageError>
    /** Queues a job unless one for the same provider and target is pending: answers the pending one's id. */
    readonly enqueue: (job: JobRow) => Effect.Effect<string, StorageError>
    /**
     * Claims the oldest pending job due at `now` (or a running one whose lease ran out: its
     * process stopped), marking it running until `leaseUntil`. Several instances never claim one job.
     */
    readonly claim: (now: Date, leaseUntil: Date) => Effect.Effect<JobRow | undefined, StorageError>
    /** Ends a job: done, failed for good, or back to pending to run again after `retryAt`. */
    readonly finish: (
      id: string,
      outcome:
        | { readonly _tag: "done"; readonly at: Date }
        | { readonly _tag: "failed"; readonly at: Date; readonly error: string }
        | { readonly _tag: "retry"; readonly at: Date; readonly error: string; readonly retryAt: Date }
    ) => Effect.Effect<void, StorageError>
    readonly getJob: (id: string) => Effect.Effect<JobRow | undefined, StorageError>
    /** Jobs newest first. */
    readonly listJobs: (limit: number) => Effect.Effect<ReadonlyArray<JobRow>, StorageError>
    /** The order events of a refCode, oldest first (for the orders they concern). */
    readonly orderEvents: (refCode: string) => Effect.Effect<ReadonlyArray<OrderEventRow>, StorageError>
    /** Forgets jobs that ended (done or failed) before `before`: how many. */
    readonly purgeJobs: (before: Date) => Effect.Effect<number, StorageError>
    /** Forgets deliveries received before `before` (their effects stay). */
    readonly purgeDeliveries: (before: Date) => Effect.Effect<number, StorageError>
  }
>()("pos/application/PosInbox") {}
