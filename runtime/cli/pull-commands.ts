import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import {
  formatDuration,
  longestPullIntervalMs,
  removePullSchedule,
  setPullSchedule,
  shortestPullIntervalMs
} from "../../application/admin/pull-schedule-admin.ts"
import { PullSchedules } from "../../application/ports/pull-schedules.ts"
import { AdminError } from "./admin-errors.ts"
import { cliCaller, type Handle } from "./admin-services.ts"
import { requirePlugin } from "./credentials-commands.ts"
import { renderTable, timestamp } from "./output.ts"

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `15m`, `1h30m`, `90s`, `2d`: whole numbers with a unit each (ms, s, m, h, d), in milliseconds. */
export const parseDuration = (raw: string): Option.Option<number> => {
  const text = raw.trim().toLowerCase()
  if (!/^(?:\d+(?:ms|s|m|h|d))+$/.test(text)) return Option.none()
  let total = 0
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(amount) * units[unit!]!
  return Number.isSafeInteger(total) && total >= shortestPullIntervalMs && total <= longestPullIntervalMs
    ? Option.some(total)
    : Option.none()
}

const provider = Argument.String("provider").pipe(Argument.withDescription("The POS plugin's id (e.g. lightspeed)"))

const schedule = (handle: Handle) =>
  Command.make(
    "schedule",
    {
      provider,
      every: Flag.String("every").pipe(
        Flag.withDescription("How often to pull, e.g. 15m, 1h, 1h30m, 1d (1 minute to 30 days)"),
        Flag.filterMap(parseDuration, () => "a duration of 1 minute to 30 days, e.g. 15m, 1h, 1h30m or 1d"),
        Flag.optional
      ),
      off: Flag.Boolean("off").pipe(Flag.withDescription("Remove the provider's schedule"), Flag.withDefault(false))
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const every = Option.getOrUndefined(input.every)
          if (input.off === (every !== undefined)) {
            return yield* new AdminError({ message: "give exactly one of --every <duration> and --off" })
          }
          if (every === undefined) {
            const removed = yield* removePullSchedule(cliCaller, input.provider)
            yield* Console.log(
              removed
                ? `pull schedule of ${input.provider} removed`
                : `${input.provider} had no pull schedule: nothing to remove`
            )
            return
          }
          const loaded = yield* requirePlugin(input.provider)
          const set = yield* setPullSchedule(cliCaller, { plugin: loaded.plugin, intervalMs: every }).pipe(
            Effect.catchTags({
              CannotPull: (error) => new AdminError({ message: error.message }),
              InvalidInput: (error) => new AdminError({ message: error.details })
            })
          )
          yield* Console.log(
            `${input.provider} is pulled every ${formatDuration(set.intervalMs)} for every active tenant; next run ${timestamp(set.nextRunAt, "-")}`
          )
        })
      )
  ).pipe(
    Command.withDescription(
      "Pull a provider's outlets and catalogs on a schedule, for every active tenant (--every), or stop (--off)"
    )
  )

const list = (handle: Handle) =>
  Command.make("schedules", {}, () =>
    handle(
      Effect.gen(function* () {
        const all = yield* (yield* PullSchedules).list
        yield* Console.log(
          all.length === 0
            ? "no pull schedules"
            : renderTable(
                ["PROVIDER", "EVERY", "NEXT RUN", "LAST RUN"],
                all.map((s) => [
                  s.provider,
                  formatDuration(s.intervalMs),
                  timestamp(s.nextRunAt, "-"),
                  timestamp(s.lastRunAt, "never")
                ])
              )
        )
      })
    )
  ).pipe(Command.withDescription("List the pull schedules"))

export const pullCommands = (handle: Handle) =>
  Command.make("pull").pipe(
    Command.withDescription("Schedule pulls of catalogs from POS systems that are asked rather than pushing"),
    Command.withSubcommands([schedule(handle), list(handle)])
  )
