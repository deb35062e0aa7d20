import { Effect } from "effect"
import { type PullSchedule, PullSchedules } from "../../../application/ports/pull-schedules.ts"

const byProvider = (a: PullSchedule, b: PullSchedule) =>
  a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0

/** Pull schedules in memory: every step runs synchronously, so a claim is atomic. */
export const makeMemoryPullSchedules = () => {
  const schedules = new Map<string, PullSchedule>()
  return PullSchedules.of({
    set: (provider, intervalMs, now) =>
      Effect.sync(() => {
        const existing = schedules.get(provider)
        const sooner = now.getTime() + intervalMs
        const schedule: PullSchedule = {
          provider,
          intervalMs,
          nextRunAt: existing === undefined ? now : new Date(Math.min(existing.nextRunAt.getTime(), sooner)),
          lastRunAt: existing?.lastRunAt ?? null,
          updatedAt: now
        }
        schedules.set(provider, schedule)
        return schedule
      }),
    remove: (provider) => Effect.sync(() => schedules.delete(provider)),
    list: Effect.sync(() => [...schedules.values()].sort(byProvider)),
    claimDue: (now) =>
      Effect.sync(() => {
        const claimed: Array<PullSchedule> = []
        for (const schedule of schedules.values()) {
          if (schedule.nextRunAt.getTime() > now.getTime()) continue
          const next = { ...schedule, nextRunAt: new Date(now.getTime() + schedule.intervalMs), lastRunAt: now }
          schedules.set(schedule.provider, next)
          claimed.push(next)
        }
        return claimed.sort(byProvider)
      })
  })
}
