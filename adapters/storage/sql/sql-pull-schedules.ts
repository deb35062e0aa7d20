import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { type PullSchedule, PullSchedules } from "../../../application/ports/pull-schedules.ts"
import { storageFailure, toDate, toDateOrNull } from "./sql-errors.ts"

interface ScheduleRow {
  readonly provider: string
  readonly interval_ms: unknown
  readonly next_run_at: unknown
  readonly last_run_at: unknown
  readonly updated_at: unknown
}

const toSchedule = (row: ScheduleRow): PullSchedule => ({
  provider: row.provider,
  intervalMs: Number(row.interval_ms),
  nextRunAt: toDate(row.next_run_at),
  lastRunAt: toDateOrNull(row.last_run_at),
  updatedAt: toDate(row.updated_at)
})

/**
 * Pull schedules on the control database's SqlClient. A claim is one conditional UPDATE: two
 * instances claiming together both try to move `next_run_at`; the second waits for the first's row
 * lock, re-reads the row, finds it no longer due, and claims nothing.
 */
export const layerSqlPullSchedules = Layer.effect(
  PullSchedules,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return PullSchedules.of({
      set: (provider, intervalMs, now) =>
        sql<ScheduleRow>`
          INSERT INTO pull_schedules (provider, interval_ms, next_run_at, last_run_at, updated_at)
          VALUES (${provider}, ${intervalMs}, ${now}, NULL, ${now})
          ON CONFLICT (provider) DO UPDATE SET
            interval_ms = excluded.interval_ms,
            next_run_at = LEAST(pull_schedules.next_run_at,
                                ${now}::timestamptz + excluded.interval_ms * interval '1 millisecond'),
            updated_at = excluded.updated_at
          RETURNING *`.pipe(
          Effect.map((rows) => toSchedule(rows[0]!)),
          storageFailure("set pull schedule")
        ),
      remove: (provider) =>
        sql`DELETE FROM pull_schedules WHERE provider = ${provider} RETURNING provider`.pipe(
          Effect.map((rows) => rows.length > 0),
          storageFailure("remove pull schedule")
        ),
      list: sql<ScheduleRow>`SELECT * FROM pull_schedules ORDER BY provider COLLATE "C"`.pipe(
        Effect.map((rows) => rows.map(toSchedule)),
        storageFailure("list pull schedules")
      ),
      claimDue: (now) =>
        sql<ScheduleRow>`
          UPDATE pull_schedules
          SET next_run_at = ${now}::timestamptz + interval_ms * interval '1 millisecond', last_run_at = ${now}
          WHERE next_run_at <= ${now}
          RETURNING *`.pipe(
          Effect.map((rows) => rows.map(toSchedule).sort((a, b) => (a.provider < b.provider ? -1 : 1))),
          storageFailure("claim due pull schedules")
        )
    })
  })
)
