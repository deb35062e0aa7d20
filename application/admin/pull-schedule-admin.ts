/**
 * Pull schedules as operators set and remove them, through the CLI or the admin API alike: one
 * per provider, for every active tenant, each change recorded in the audit log.
 */
import { Clock, Effect, Schema } from "effect"
import { InvalidInput } from "../../domain/errors.ts"
import type { PosPlugin } from "../pos-sdk/plugin.ts"
import { PullSchedules } from "../ports/pull-schedules.ts"
import { type AdminCaller, audit } from "./audit.ts"

/** Pulls run at most once a minute and at least once every 30 days: a POS API is not to be hammered. */
export const shortestPullIntervalMs = 60_000
export const longestPullIntervalMs = 30 * 86_400_000

/** A schedule for a plugin whose POS pushes its outlets and menus rather than being asked. */
export class CannotPull extends Schema.TaggedError<CannotPull>()("CannotPull", { provider: Schema.String }) {
  override get message(): string {
    return `the ${this.provider} plugin cannot pull: its POS pushes outlets and menus`
  }
}

/** Milliseconds as the largest units that divide them: 5400000 -> `1h30m`. */
export const formatDuration = (ms: number): string => {
  let rest = ms
  let text = ""
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1]
  ] as const) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`
      rest %= size
    }
  }
  return text === "" ? "0ms" : text
}

/** Creates or changes the plugin's schedule: a new one is due at once (see PullSchedules.set). */
export const setPullSchedule = Effect.fnUntraced(function* (
  caller: AdminCaller,
  input: { readonly plugin: PosPlugin; readonly intervalMs: number }
) {
  const { intervalMs } = input
  if (!Number.isSafeInteger(intervalMs) || intervalMs < shortestPullIntervalMs || intervalMs > longestPullIntervalMs) {
    return yield* new InvalidInput({
      details: `intervalMs: must be ${shortestPullIntervalMs} (a minute) to ${longestPullIntervalMs} (30 days), got ${intervalMs}`
    })
  }
  const provider = input.plugin.manifest.id
  if (input.plugin.pull === undefined || !input.plugin.manifest.capabilities.includes("pull")) {
    return yield* new CannotPull({ provider })
  }
  const schedules = yield* PullSchedules
  const before = (yield* schedules.list).find((schedule) => schedule.provider === provider)
  const schedule = yield* schedules.set(provider, intervalMs, new Date(yield* Clock.currentTimeMillis))
  if (before?.intervalMs !== intervalMs) {
    yield* audit(caller, {
      action: "pull-schedule.set",
      target: `pull schedule ${provider}`,
      summary: `scheduled pulls of ${provider} every ${formatDuration(intervalMs)} for every active tenant${
        before === undefined ? "" : ` (was every ${formatDuration(before.intervalMs)})`
      }`
    })
  }
  return schedule
})

/** Removes a provider's schedule: true when there was one (and only then is it recorded). */
export const removePullSchedule = Effect.fnUntraced(function* (caller: AdminCaller, provider: string) {
  const removed = yield* (yield* PullSchedules).remove(provider)
  if (removed) {
    yield* audit(caller, {
      action: "pull-schedule.remove",
      target: `pull schedule ${provider}`,
      summary: `removed the pull schedule of ${provider}`
    })
  }
  return removed
})
