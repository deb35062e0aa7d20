import { Context, type Effect } from "effect"
import type { StorageError } from "../../domain/errors.ts"

/** How often the service pulls a provider's catalogs, for every active tenant. */
export interface PullSchedule {
  readonly provider: string
  readonly intervalMs: number
  /** When the next run is due; a run claims it by moving it one interval past the claim. */
  readonly nextRunAt: Date
  /** When a run last claimed this schedule; null before the first. */
  readonly lastRunAt: Date | null
  readonly updatedAt: Date
}

/**
 * Pull schedules, one per provider, kept in the control database: they apply to every tenant.
 * Several service instances share them; each due run is claimed by exactly one instance.
 */
export class PullSchedules extends Context.Service<
  PullSchedules,
  {
    /**
     * Creates or changes a provider's schedule. A new one is due at once; a changed one keeps its
     * next run unless the new interval brings it closer (`now + interval`).
     */
    readonly set: (provider: string, intervalMs: number, now: Date) => Effect.Effect<PullSchedule, StorageError>
    /** Removes a provider's schedule: true when there was one. */
    readonly remove: (provider: string) => Effect.Effect<boolean, StorageError>
    /** Every schedule, by provider. */
    readonly list: Effect.Effect<ReadonlyArray<PullSchedule>, StorageError>
    /**
     * Claims every schedule due at `now`, in one atomic step: each moves its next run to
     * `now + interval` and is answered; one due schedule is answered to exactly one of several
     * concurrent claimers.
     */
    readonly claimDue: (now: Date) => Effect.Effect<ReadonlyArray<PullSchedule>, StorageError>
  }
>()("pos/application/PullSchedules") {}
