/**
 * A menu's operating hours (SPEC section 9): whether they are well formed, and whether the menu is open
 * at an instant and when that next changes.
 *
 * Semantics:
 * - Weekly ranges and date exceptions are local wall-clock times in the menu's IANA zone, so a menu that
 *   opens at 09:00 opens at 09:00 local time on a daylight-saving change day, whatever the UTC offset.
 * - A range whose `closes` is before its `opens` runs past midnight into the next day; `closes` 24:00 is
 *   the end of the day. Ranges that touch (one closes when the next opens) are one opening, without a change.
 * - A range belongs to the local date it opens on. A date exception replaces the ranges that open on its
 *   date: closed all day, or its own ranges. A range that opened the day before and runs past midnight is
 *   not cut by an exception on the next date: an evening opening finishes as announced.
 * - A local time that does not exist (the gap when clocks spring forward) is reached at the first instant
 *   after the gap; a local time that occurs twice (when clocks fall back) is reached at its first occurrence.
 *   Equivalently: a local time L is reached at the first instant whose wall clock shows L or later.
 *
 * Plain functions over plain data: the zone's offsets come from Intl, with small caches so the effective
 * menu can ask on every request.
 */
import type { DateException, MenuHours, WeeklyRange } from "./menu.ts"

export interface HoursProblem {
  readonly path: string
  readonly message: string
}

export interface OpenAt {
  readonly open: boolean
  /** When the menu next closes (open) or opens (closed); null when that does not happen within 8 days. */
  readonly nextChange: Date | null
}

const MINUTE = 60_000
const DAY = 86_400_000
const MINUTES_PER_DAY = 1440
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

/** How far ahead `menuOpenAt` looks for the next change. */
export const NEXT_CHANGE_HORIZON_MS = 8 * DAY

const dayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const

// ---------------------------------------------------------------------------------------------------
// Parsing

const opensPattern = /^(?:[01][0-9]|2[0-3]):[0-5][0-9]$/
const closesPattern = /^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/
const datePattern = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/

/** Minutes after midnight of an `HH:MM` opening time, or null when malformed. */
const parseOpens = (value: unknown): number | null =>
  typeof value === "string" && opensPattern.test(value) ? hhmm(value) : null

/** Minutes after midnight of an `HH:MM` closing time (24:00 allowed), or null when malformed. */
const parseCloses = (value: unknown): number | null =>
  typeof value === "string" && closesPattern.test(value) ? hhmm(value) : null

const hhmm = (value: string): number => Number(value.slice(0, 2)) * 60 + Number(value.slice(3, 5))

/** The end of a range in minutes after the midnight it opens after: past 1440 when it runs into the next day. */
const rangeEnd = (opens: number, closes: number): number => (closes > opens ? closes : closes + MINUTES_PER_DAY)

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0

const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

/** Days since 1970-01-01 of a proleptic Gregorian date (exact for any year, unlike Date.UTC for years below 100). */
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  return era * 146097 + dayOfEra - 719468
}

type ParsedDate = { readonly day: number } | { readonly problem: string }

const parseDate = (value: unknown): ParsedDate => {
  const match = typeof value === "string" ? datePattern.exec(value) : null
  if (match === null) return { problem: `${JSON.stringify(value)} is not a date YYYY-MM-DD` }
  const year = Number(match[1])
  const month = Number(match[2])
  const day = Number(match[3])
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return { problem: `${value} is not a real date` }
  }
  return { day: daysFromCivil(year, month, day) }
}

/** ISO day of week (1 = Monday) of a day number (days since 1970-01-01, a Thursday). */
const isoDayOfWeek = (day: number): number => ((((day + 3) % 7) + 7) % 7) + 1

const civilFromDays = (days: number): string => {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const dayOfEra = z - era * 146097
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365
  )
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const mp = Math.floor((5 * dayOfYear + 2) / 153)
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`
}

// ---------------------------------------------------------------------------------------------------
// Time zones

const FORMATTER_CACHE_SIZE = 1024
const formatters = new Map<string, Intl.DateTimeFormat>()

/** A formatter of the zone's wall clock (cached per zone); throws RangeError for a zone Intl does not know. */
const formatterOf = (zone: string): Intl.DateTimeFormat => {
  let formatter = formatters.get(zone)
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      calendar: "gregory",
      numberingSystem: "latn",
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric"
    })
    if (formatters.size >= FORMATTER_CACHE_SIZE) formatters.delete(formatters.keys().next().value!)
    formatters.set(zone, formatter)
  }
  return formatter
}

/** The zone's UTC offset at an instant, in milliseconds (local wall clock minus UTC). */
const offsetAt = (zone: string, instant: number): number => {
  let year = 0
  let month = 0
  let day = 0
  let hour = 0
  let minute = 0
  let second = 0
  let beforeCommonEra = false
  for (const part of formatterOf(zone).formatToParts(instant)) {
    switch (part.type) {
      case "year":
        year = Number(part.value)
        break
      case "month":
        month = Number(part.value)
        break
      case "day":
        day = Number(part.value)
        break
      case "hour":
        hour = Number(part.value)
        break
      case "minute":
        minute = Number(part.value)
        break
      case "second":
        second = Number(part.value)
        break
      case "era":
        beforeCommonEra = part.value.startsWith("B")
        break
    }
  }
  if (beforeCommonEra) year = 1 - year
  const local = daysFromCivil(year, month, day) * DAY + ((hour * 60 + minute) * 60 + second) * 1000
  const wholeSecond = instant - (((instant % 1000) + 1000) % 1000)
  return local - wholeSecond
}

/**
 * The zone's offsets over a window: piece i holds from `starts[i]` (the first, from the window's start)
 * to the next piece's start. Offsets are sampled every few hours and each change is searched to the second.
 */
interface Timeline {
  readonly starts: ReadonlyArray<number>
  readonly offsets: ReadonlyArray<number>
}

const SAMPLE_MS = 3 * 3_600_000
const WINDOW_BEFORE_MS = 5 * DAY
const WINDOW_AFTER_MS = 15 * DAY
const TIMELINE_CACHE_SIZE = 512
const timelines = new Map<string, Timeline>()

const buildTimeline = (zone: string, from: number, to: number): Timeline => {
  const starts: Array<number> = [Number.NEGATIVE_INFINITY]
  const offsets: Array<number> = [offsetAt(zone, from)]
  let known = from
  while (known < to) {
    const sample = Math.min(known + SAMPLE_MS, to)
    const sampled = offsetAt(zone, sample)
    // Between `known` and `sample` the offset went from the last one to `sampled` (maybe through others):
    // find each change, to the second.
    while (sampled !== offsets[offsets.length - 1]) {
      const current = offsets[offsets.length - 1]!
      let low = known
      let high = sample
      while (high - low > 1000) {
        const middle = low + Math.floor((high - low) / 2000) * 1000
        if (offsetAt(zone, middle) === current) low = middle
        else high = middle
      }
      starts.push(high)
      offsets.push(offsetAt(zone, high))
      known = high
    }
    known = sample
  }
  return { starts, offsets }
}

/** The zone's offsets around an instant: from 5 days before its UTC day to 15 days after (cached). */
const timelineAround = (zone: string, instant: number): Timeline => {
  const dayStart = Math.floor(instant / DAY) * DAY
  const key = `${zone}\u0000${dayStart}`
  const cached = timelines.get(key)
  if (cached !== undefined) return cached
  const timeline = buildTimeline(zone, dayStart - WINDOW_BEFORE_MS, dayStart + WINDOW_AFTER_MS)
  if (timelines.size >= TIMELINE_CACHE_SIZE) timelines.delete(timelines.keys().next().value!)
  timelines.set(key, timeline)
  return timeline
}

const offsetIn = (timeline: Timeline, instant: number): number => {
  let i = timeline.starts.length - 1
  while (i > 0 && timeline.starts[i]! > instant) i--
  return timeline.offsets[i]!
}

/**
 * The first instant whose wall clock shows `local` (milliseconds of a local date-time counted as if UTC)
 * or later: the time itself when it exists once, its first occurrence when clocks fall back, the end of
 * the gap when clocks spring forward over it.
 */
const instantOfLocal = (timeline: Timeline, local: number): number => {
  const { starts, offsets } = timeline
  const last = starts.length - 1
  for (let i = 0; i < last; i++) {
    const candidate = Math.max(starts[i]!, local - offsets[i]!)
    if (candidate < starts[i + 1]!) return candidate
  }
  return Math.max(starts[last]!, local - offsets[last]!)
}

/** Why a zone is refused, or null when Intl knows it as an IANA zone. */
const zoneProblem = (zone: unknown): string | null => {
  if (typeof zone !== "string" || zone.trim() === "") {
    return "a time zone is required (an IANA name such as Europe/Amsterdam)"
  }
  // "+02:00", "-0500" (or with a Unicode minus sign): an offset holds all year, so opening times would drift with daylight saving.
  if (/^[+\-\u2212]|^[0-9]/.test(zone)) {
    return `${JSON.stringify(zone)} is a fixed UTC offset: use an IANA zone such as Europe/Amsterdam, whose offset follows daylight saving time`
  }
  let resolved: string
  try {
    // Not cached: any spelling Intl accepts would otherwise take a place among the zones menus use.
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone
  } catch {
    return `${JSON.stringify(zone)} is not a time zone we know (an IANA name such as Europe/Amsterdam)`
  }
  if (/^[+-]/.test(resolved)) {
    return `${JSON.stringify(zone)} is a fixed UTC offset: use an IANA zone such as Europe/Amsterdam, whose offset follows daylight saving time`
  }
  if (resolved !== zone && resolved.toLowerCase() === zone.toLowerCase()) {
    return `${JSON.stringify(zone)} is spelled ${resolved}`
  }
  return null
}

// ---------------------------------------------------------------------------------------------------
// Problems

interface Span {
  readonly opens: number
  /** Minutes after the midnight of the date the range opens on: above 1440 when it runs into the next day. */
  readonly end: number
  readonly path: string
  readonly label: string
}

/** Whether two ranges opening `shift` days apart (the second later) share a minute. */
const overlapShifted = (first: Span, second: Span, shiftMinutes: number): boolean =>
  first.opens < second.end + shiftMinutes && second.opens + shiftMinutes < first.end

/** A well-formed, non-empty range as a span, or null with its problems reported. */
const spanOf = (
  range: { readonly opens: string; readonly closes: string },
  path: string,
  label: string,
  problems: Array<HoursProblem>
): Span | null => {
  const opens = parseOpens(range.opens)
  const closes = parseCloses(range.closes)
  if (opens === null) {
    problems.push({
      path: `${path}.opens`,
      message: `${JSON.stringify(range.opens)} is not a time HH:MM from 00:00 to 23:59`
    })
  }
  if (closes === null) {
    problems.push({
      path: `${path}.closes`,
      message: `${JSON.stringify(range.closes)} is not a time HH:MM from 00:00 to 24:00`
    })
  }
  if (opens === null || closes === null) return null
  if (opens === closes) {
    problems.push({ path, message: `opens and closes at ${range.opens}: the range is empty` })
    return null
  }
  return { opens, end: rangeEnd(opens, closes), path, label: `${label} ${range.opens} to ${range.closes}` }
}

/**
 * Every problem of a menu's hours, each with its path (`hours.timezone`, `hours.weekly[3].opens`,
 * `hours.exceptions[0].date`...), always in the same order: the zone; each weekly range's form; each weekly
 * range overlapping an earlier one (on the week's circle: Sunday runs into Monday); each exception (its date,
 * its ranges' form, its ranges overlapping one another); then each exception's ranges overlapping what runs
 * past midnight into its date, or what its date runs into. Empty when the hours are well formed.
 */
export const hoursProblems = (hours: MenuHours): ReadonlyArray<HoursProblem> => {
  const problems: Array<HoursProblem> = []
  const zone = zoneProblem(hours.timezone)
  if (zone !== null) problems.push({ path: "hours.timezone", message: zone })

  // Weekly ranges: their form, then overlaps on the week's circle (Sunday runs into Monday).
  const weekly = hours.weekly.map((range: WeeklyRange, index): { readonly day: number; readonly span: Span } | null => {
    const path = `hours.weekly[${index}]`
    const day: unknown = range.dayOfWeek
    const dayValid = typeof day === "number" && Number.isInteger(day) && day >= 1 && day <= 7
    if (!dayValid) {
      problems.push({
        path: `${path}.dayOfWeek`,
        message: `${JSON.stringify(day)} is not a day of the week from 1 (Monday) to 7 (Sunday)`
      })
    }
    const span = spanOf(range, path, dayValid ? dayNames[day - 1]! : "", problems)
    return dayValid && span !== null ? { day, span } : null
  })
  weekly.forEach((entry, index) => {
    if (entry === null) return
    for (let earlier = 0; earlier < index; earlier++) {
      const other = weekly[earlier]
      if (other === undefined || other === null) continue
      const shift = (entry.day - other.day) * MINUTES_PER_DAY
      const overlaps = [-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK].some((wrap) =>
        overlapShifted(other.span, entry.span, shift + wrap)
      )
      if (overlaps) {
        problems.push({ path: entry.span.path, message: `overlaps ${other.span.path} (${other.span.label})` })
      }
    }
  })

  // Exceptions: date, consistency, their ranges, then overlaps with the days around them.
  const byDay = new Map<number, { readonly index: number; readonly spans: ReadonlyArray<Span> }>()
  const exceptionEntries: Array<{ readonly index: number; readonly day: number; readonly spans: ReadonlyArray<Span> }> =
    []
  hours.exceptions.forEach((exception: DateException, index) => {
    const path = `hours.exceptions[${index}]`
    const date = parseDate(exception.date)
    let day: number | null = null
    if ("problem" in date) {
      problems.push({ path: `${path}.date`, message: date.problem })
    } else {
      const first = byDay.get(date.day)
      if (first !== undefined) {
        problems.push({
          path: `${path}.date`,
          message: `${exception.date} is also hours.exceptions[${first.index}]: one exception per date`
        })
      } else {
        day = date.day
      }
    }
    if (exception.closed && exception.ranges.length > 0) {
      problems.push({ path: `${path}.ranges`, message: "a date closed all day has no ranges" })
    }
    if (!exception.closed && exception.ranges.length === 0) {
      problems.push({
        path: `${path}.ranges`,
        message: "a date that is not closed needs its ranges (or closed: true to close all day)"
      })
    }
    const valid: Array<Span> = []
    exception.ranges.forEach((range, rangeIndex) => {
      const span = spanOf(range, `${path}.ranges[${rangeIndex}]`, String(exception.date), problems)
      if (span === null) return
      for (const other of valid) {
        if (overlapShifted(other, span, 0)) {
          problems.push({ path: span.path, message: `overlaps ${other.path} (${other.label})` })
        }
      }
      valid.push(span)
    })
    if (day !== null) {
      const entry = { index, spans: exception.closed ? [] : valid }
      byDay.set(day, entry)
      exceptionEntries.push({ index, day, spans: entry.spans })
    }
  })

  // The ranges that open on a date: its exception's, else the week's for its day.
  const opening = (day: number): ReadonlyArray<Span> =>
    byDay.get(day)?.spans ??
    weekly.flatMap((entry) => (entry !== null && entry.day === isoDayOfWeek(day) ? [entry.span] : []))
  for (const { day, spans } of exceptionEntries) {
    // What runs past midnight from the day before into this date...
    for (const span of spans) {
      for (const before of opening(day - 1)) {
        if (overlapShifted(before, span, MINUTES_PER_DAY)) {
          problems.push({
            path: span.path,
            message: `overlaps ${before.path} (${before.label}), which runs past midnight into ${civilFromDays(day)}`
          })
        }
      }
    }
    // ...and what this date runs past midnight into, unless the next date is an exception (checked as above).
    if (byDay.has(day + 1)) continue
    for (const span of spans) {
      for (const after of opening(day + 1)) {
        if (overlapShifted(span, after, MINUTES_PER_DAY)) {
          problems.push({
            path: span.path,
            message: `runs past midnight into ${civilFromDays(day + 1)} and overlaps ${after.path} (${after.label})`
          })
        }
      }
    }
  }
  return problems
}

// ---------------------------------------------------------------------------------------------------
// Open at an instant

interface PreparedHours {
  /** Index 1 (Monday) to 7 (Sunday): [opens, end] in minutes after the midnight the range opens after. */
  readonly weekly: ReadonlyArray<ReadonlyArray<readonly [number, number]>>
  readonly exceptions: ReadonlyMap<number, ReadonlyArray<readonly [number, number]>>
}

const prepared = new WeakMap<MenuHours, PreparedHours>()

/** Ranges as minutes: malformed and empty ones are left out; of two exceptions for one date the first counts. */
const prepare = (hours: MenuHours): PreparedHours => {
  const cached = prepared.get(hours)
  if (cached !== undefined) return cached
  const toMinutes = (range: { readonly opens: string; readonly closes: string }): Array<readonly [number, number]> => {
    const opens = parseOpens(range.opens)
    const closes = parseCloses(range.closes)
    return opens === null || closes === null || opens === closes ? [] : [[opens, rangeEnd(opens, closes)]]
  }
  const weekly: Array<Array<readonly [number, number]>> = [[], [], [], [], [], [], [], []]
  for (const range of hours.weekly) weekly[range.dayOfWeek]?.push(...toMinutes(range))
  const exceptions = new Map<number, ReadonlyArray<readonly [number, number]>>()
  for (const exception of hours.exceptions) {
    const date = parseDate(exception.date)
    if ("problem" in date || exceptions.has(date.day)) continue
    exceptions.set(date.day, exception.closed ? [] : exception.ranges.flatMap(toMinutes))
  }
  const result = { weekly, exceptions }
  prepared.set(hours, result)
  return result
}

/**
 * Whether a menu is open at an instant, and when it next closes (open) or opens (closed), looking up to
 * 8 days ahead (null when nothing changes in that time: open all week round, or not open at all).
 * No hours: always open. Hours are expected to have no problems (see `hoursProblems`); malformed ranges
 * are left out, overlapping ones count as one opening. A zone Intl does not know throws a RangeError.
 */
export const menuOpenAt = (hours: MenuHours | null, at: Date): OpenAt => {
  if (hours === null) return { open: true, nextChange: null }
  const instant = at.getTime()
  if (Number.isNaN(instant)) throw new RangeError("menuOpenAt: invalid instant")
  const timeline = timelineAround(hours.timezone, instant)
  const { weekly, exceptions } = prepare(hours)
  const today = Math.floor((instant + offsetIn(timeline, instant)) / DAY)

  // Every opening of the dates from two days before today's local date to ten days after, as instants:
  // enough to cover ranges running in from earlier dates and to see 8 days ahead whatever the offsets do.
  const openings: Array<readonly [number, number]> = []
  for (let day = today - 2; day <= today + 10; day++) {
    const ranges = exceptions.get(day) ?? weekly[isoDayOfWeek(day)]!
    for (const [opens, end] of ranges) {
      const start = instantOfLocal(timeline, day * DAY + opens * MINUTE)
      const stop = instantOfLocal(timeline, day * DAY + end * MINUTE)
      if (stop > start) openings.push([start, stop])
    }
  }
  openings.sort((a, b) => a[0] - b[0])

  const horizon = instant + NEXT_CHANGE_HORIZON_MS
  const within = (change: number): Date | null => (change <= horizon ? new Date(change) : null)
  let i = 0
  while (i < openings.length) {
    const start = openings[i]![0]
    let stop = openings[i]![1]
    i++
    while (i < openings.length && openings[i]![0] <= stop) stop = Math.max(stop, openings[i++]![1])
    if (instant < start) return { open: false, nextChange: within(start) }
    if (instant < stop) return { open: true, nextChange: within(stop) }
  }
  return { open: false, nextChange: null }
}
