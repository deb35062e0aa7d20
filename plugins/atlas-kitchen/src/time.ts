import type { DayOfWeek } from "@pos-integration/sdk"

/**
 * Atlas's `day_of_week` convention is not stated in its docs. Atlas is a Rails application, whose
 * `wday` counts 0 = Sunday .. 6 = Saturday; ISO counts 1 = Monday .. 7 = Sunday. Both agree on
 * 1..6 = Monday..Saturday, so 0 and 7 are both read as Sunday and either convention maps right.
 */
export const dayOfWeek = (day: number): DayOfWeek | undefined => {
  switch (day) {
    case 0:
    case 7:
      return 7
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
      return day
    default:
      return undefined
  }
}

const secondsPerDay = 86_400

/**
 * Seconds from midnight (`service_start: 32400` is 09:00) as a local `HH:MM`. A service ending at or
 * past midnight (86400 and up) wraps to the next day's clock time: the canonical window then closes
 * before it opens, which means it runs past midnight. Seconds that are not a whole minute are
 * refused (undefined) rather than rounded.
 */
export const clockTime = (seconds: number): string | undefined => {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds % 60 !== 0) return undefined
  const minutes = (seconds % secondsPerDay) / 60
  const hh = String(Math.floor(minutes / 60)).padStart(2, "0")
  const mm = String(minutes % 60).padStart(2, "0")
  return `${hh}:${mm}`
}

/** The largest instant a JavaScript Date holds, in seconds: past it `toISOString` throws. */
const maxUnixSeconds = 8.64e12

/** Unix seconds (`event_at: 1727423000`) as ISO 8601 UTC with milliseconds; undefined when out of range. */
export const isoFromUnixSeconds = (seconds: number): string | undefined =>
  Number.isFinite(seconds) && Math.abs(seconds) <= maxUnixSeconds ? new Date(seconds * 1000).toISOString() : undefined

/** Atlas's dates and times of day are Singapore time, GMT+08 all year (docs.atlas.kitchen, "Date and Time"). */
export const atlasOffsetMs = 8 * 60 * 60 * 1000

/** An instant as Atlas's serving date (`YYYY-MM-DD`, GMT+08) and whole seconds from that date's midnight. */
export const servingTime = (millis: number): { readonly date: string; readonly seconds: number } => {
  const local = millis + atlasOffsetMs
  const date = new Date(local).toISOString().slice(0, 10)
  const seconds = Math.floor((local - Date.parse(`${date}T00:00:00Z`)) / 1000)
  return { date, seconds }
}
