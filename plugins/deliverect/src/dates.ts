/**
 * Deliverect spells instants several ways: `2024-03-24 22:21:54.000000Z` in menus, `2023-12-18
 * 15:48:42.367000` (no zone) in some snoozedProducts, `2020-03-24T22:21:54.955000Z` in snooze
 * webhooks. The docs say every time in their API is UTC, so a missing zone means UTC.
 */
const pattern = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i

/** The instant as ISO 8601 UTC with milliseconds (`2024-03-24T22:21:54.000Z`), or undefined when it is not one. */
export const parseDeliverectInstant = (text: string): string | undefined => {
  const match = pattern.exec(text.trim())
  if (match === null) return undefined
  const [, year, month, day, hour, minute, second = "0", fraction = "", zone = "Z"] = match
  const fields = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number
  ]
  const [y, mo, d, h, mi, s] = fields
  // Date.UTC rolls 31 February over into March: refuse fields out of range instead.
  // Years before 1000 are not plausible here (and Date.UTC maps 0-99 to the 1900s).
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || s > 59) return undefined
  // Microseconds are truncated to milliseconds: an instant is never moved forward.
  const millis = Number(fraction.padEnd(3, "0").slice(0, 3))
  const offsetMinutes = zone.toUpperCase() === "Z" ? 0 : offsetOf(zone)
  if (offsetMinutes === undefined) return undefined
  const epoch = Date.UTC(y, mo - 1, d, h, mi, s, millis) - offsetMinutes * 60_000
  if (!Number.isFinite(epoch)) return undefined
  const date = new Date(epoch)
  if (Number.isNaN(date.getTime())) return undefined
  const iso = date.toISOString()
  // An offset can push 9999-12-31 into year 10000, which ISO 8601 spells with a sign: refuse it.
  return /^\d{4}-/.test(iso) ? iso : undefined
}

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate()

const offsetOf = (zone: string): number | undefined => {
  const digits = zone.slice(1).replace(":", "")
  const hours = Number(digits.slice(0, 2))
  const minutes = Number(digits.slice(2, 4))
  if (hours > 23 || minutes > 59) return undefined
  return (zone.startsWith("-") ? -1 : 1) * (hours * 60 + minutes)
}
