import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { DayOfWeek } from "./catalog.ts"
import type { DateException, MenuHours, WeeklyRange } from "./menu.ts"
import { hoursProblems, menuOpenAt, NEXT_CHANGE_HORIZON_MS } from "./menu-hours.ts"

const MINUTE = 60_000
const DAY = 86_400_000

const hours = (
  timezone: string,
  weekly: ReadonlyArray<readonly [DayOfWeek, string, string]>,
  exceptions: ReadonlyArray<DateException> = []
): MenuHours => ({
  timezone,
  weekly: weekly.map(([dayOfWeek, opens, closes]) => ({ dayOfWeek, opens, closes })),
  exceptions
})

const closedOn = (date: string): DateException => ({ date, closed: true, ranges: [] })
const openOn = (date: string, ...ranges: ReadonlyArray<readonly [string, string]>): DateException => ({
  date,
  closed: false,
  ranges: ranges.map(([opens, closes]) => ({ opens, closes }))
})

/** `menuOpenAt` at an ISO instant, with its next change as ISO text (null when none). */
const at = (menuHours: MenuHours | null, instant: string): { open: boolean; nextChange: string | null } => {
  const answer = menuOpenAt(menuHours, new Date(instant))
  return { open: answer.open, nextChange: answer.nextChange?.toISOString() ?? null }
}

const iso = (text: string): string => new Date(text).toISOString()

describe("menuOpenAt", () => {
  it("is always open without hours", () => {
    expect(at(null, "2026-03-23T10:00:00Z")).toEqual({ open: true, nextChange: null })
  })

  it("opens and closes on the minute, in the zone's local time", () => {
    // Amsterdam is UTC+1 in March until the 29th; Monday 23 March 2026.
    const monday = hours("Europe/Amsterdam", [[1, "11:00", "14:00"]])
    expect(at(monday, "2026-03-23T09:59:00Z")).toEqual({ open: false, nextChange: iso("2026-03-23T10:00:00Z") })
    expect(at(monday, "2026-03-23T09:59:59.999Z")).toEqual({ open: false, nextChange: iso("2026-03-23T10:00:00Z") })
    expect(at(monday, "2026-03-23T10:00:00Z")).toEqual({ open: true, nextChange: iso("2026-03-23T13:00:00Z") })
    expect(at(monday, "2026-03-23T10:01:00Z")).toEqual({ open: true, nextChange: iso("2026-03-23T13:00:00Z") })
    expect(at(monday, "2026-03-23T12:59:00Z")).toEqual({ open: true, nextChange: iso("2026-03-23T13:00:00Z") })
    // Closed at 14:00; next Monday is summer time (UTC+2), so 11:00 is 09:00 UTC.
    expect(at(monday, "2026-03-23T13:00:00Z")).toEqual({ open: false, nextChange: iso("2026-03-30T09:00:00Z") })
  })

  it("runs a range closing before it opens past midnight into the next day", () => {
    const friday = hours("Europe/Amsterdam", [[5, "18:00", "02:00"]])
    expect(at(friday, "2026-03-20T16:59:00Z")).toEqual({ open: false, nextChange: iso("2026-03-20T17:00:00Z") })
    expect(at(friday, "2026-03-20T23:00:00Z")).toEqual({ open: true, nextChange: iso("2026-03-21T01:00:00Z") })
    expect(at(friday, "2026-03-21T00:59:00Z")).toEqual({ open: true, nextChange: iso("2026-03-21T01:00:00Z") })
    expect(at(friday, "2026-03-21T01:00:00Z")).toEqual({ open: false, nextChange: iso("2026-03-27T17:00:00Z") })
    // 24:00 is the end of the day, the same instant as 00:00 of the next.
    const toMidnight = hours("Europe/Amsterdam", [[5, "18:00", "24:00"]])
    expect(at(toMidnight, "2026-03-20T22:59:00Z")).toEqual({ open: true, nextChange: iso("2026-03-20T23:00:00Z") })
    expect(at(toMidnight, "2026-03-20T23:00:00Z")).toEqual({ open: false, nextChange: iso("2026-03-27T17:00:00Z") })
  })

  it("runs Sunday night into Monday morning", () => {
    const sunday = hours("Europe/Amsterdam", [[7, "22:00", "03:00"]])
    expect(at(sunday, "2026-03-15T20:59:00Z")).toEqual({ open: false, nextChange: iso("2026-03-15T21:00:00Z") })
    expect(at(sunday, "2026-03-16T00:30:00Z")).toEqual({ open: true, nextChange: iso("2026-03-16T02:00:00Z") })
    expect(at(sunday, "2026-03-16T02:00:00Z")).toEqual({ open: false, nextChange: iso("2026-03-22T21:00:00Z") })
  })

  it("treats ranges that touch as one opening", () => {
    const split = hours("Asia/Singapore", [
      [3, "14:00", "18:00"],
      [3, "10:00", "14:00"]
    ])
    expect(at(split, "2026-07-01T05:00:00Z")).toEqual({ open: true, nextChange: iso("2026-07-01T10:00:00Z") })
    const acrossMidnight = hours("Asia/Singapore", [
      [3, "20:00", "24:00"],
      [4, "00:00", "02:00"]
    ])
    expect(at(acrossMidnight, "2026-07-01T13:00:00Z")).toEqual({
      open: true,
      nextChange: iso("2026-07-01T18:00:00Z")
    })
  })

  it("holds a zone without daylight saving time at its fixed offset", () => {
    const everyDay = hours(
      "Asia/Singapore",
      ([1, 2, 3, 4, 5, 6, 7] as const).map((day) => [day, "09:00", "17:00"] as const)
    )
    expect(at(everyDay, "2026-01-05T00:59:00Z")).toEqual({ open: false, nextChange: iso("2026-01-05T01:00:00Z") })
    expect(at(everyDay, "2026-07-05T01:00:00Z")).toEqual({ open: true, nextChange: iso("2026-07-05T09:00:00Z") })
    expect(at(everyDay, "2026-07-05T09:00:00Z")).toEqual({ open: false, nextChange: iso("2026-07-06T01:00:00Z") })
  })

  it("answers no next change when nothing changes within 8 days", () => {
    const allWeek = hours(
      "Europe/Amsterdam",
      ([1, 2, 3, 4, 5, 6, 7] as const).map((day) => [day, "00:00", "24:00"] as const)
    )
    expect(at(allWeek, "2026-03-27T12:00:00Z")).toEqual({ open: true, nextChange: null })
    // Across both daylight-saving days: still no change.
    expect(at(allWeek, "2026-10-24T12:00:00Z")).toEqual({ open: true, nextChange: null })
    expect(at(hours("Europe/Amsterdam", []), "2026-03-27T12:00:00Z")).toEqual({ open: false, nextChange: null })
    // Open all week but closed on one date: the change is seen, and the reopening after it.
    const oneDayOff = { ...allWeek, exceptions: [closedOn("2026-03-30")] }
    expect(at(oneDayOff, "2026-03-27T12:00:00Z")).toEqual({ open: true, nextChange: iso("2026-03-29T22:00:00Z") })
    expect(at(oneDayOff, "2026-03-30T12:00:00Z")).toEqual({ open: false, nextChange: iso("2026-03-30T22:00:00Z") })
    // Only one date open: seen 8 days ahead, not 9.
    const onlyOneDate = hours("UTC", [], [openOn("2026-04-10", ["12:00", "13:00"])])
    expect(at(onlyOneDate, "2026-04-02T12:00:00Z")).toEqual({ open: false, nextChange: iso("2026-04-10T12:00:00Z") })
    expect(at(onlyOneDate, "2026-04-02T11:59:00Z")).toEqual({ open: false, nextChange: null })
    expect(at(onlyOneDate, "2026-04-10T12:30:00Z")).toEqual({ open: true, nextChange: iso("2026-04-10T13:00:00Z") })
    expect(NEXT_CHANGE_HORIZON_MS).toBe(8 * DAY)
  })

  describe("date exceptions", () => {
    const weekend = hours("Europe/Amsterdam", [
      [5, "18:00", "02:00"],
      [6, "12:00", "22:00"]
    ])

    it("close a date all day", () => {
      const closed = { ...weekend, exceptions: [closedOn("2026-03-21")] }
      expect(at(closed, "2026-03-21T11:00:00Z")).toEqual({ open: false, nextChange: iso("2026-03-27T17:00:00Z") })
      // The week around it is untouched.
      expect(at(closed, "2026-03-28T11:00:00Z")).toEqual({ open: true, nextChange: iso("2026-03-28T21:00:00Z") })
    })

    it("let an opening from the day before run into a closed date", () => {
      // The decision: a range belongs to the date it opens on, so Friday's evening finishes at 02:00 Saturday.
      const closed = { ...weekend, exceptions: [closedOn("2026-03-21")] }
      expect(at(closed, "2026-03-20T23:30:00Z")).toEqual({ open: true, nextChange: iso("2026-03-21T01:00:00Z") })
      expect(at(closed, "2026-03-21T01:00:00Z")).toEqual({ open: false, nextChange: iso("2026-03-27T17:00:00Z") })
      // Closing Friday itself removes that evening, and its part after midnight.
      const fridayClosed = { ...weekend, exceptions: [closedOn("2026-03-20")] }
      expect(at(fridayClosed, "2026-03-20T23:30:00Z")).toEqual({
        open: false,
        nextChange: iso("2026-03-21T11:00:00Z")
      })
    })

    it("replace a date's hours with others", () => {
      const other = { ...weekend, exceptions: [openOn("2026-03-21", ["15:00", "16:00"], ["18:00", "19:00"])] }
      expect(at(other, "2026-03-21T11:00:00Z")).toEqual({ open: false, nextChange: iso("2026-03-21T14:00:00Z") })
      expect(at(other, "2026-03-21T14:30:00Z")).toEqual({ open: true, nextChange: iso("2026-03-21T15:00:00Z") })
      expect(at(other, "2026-03-21T15:00:00Z")).toEqual({ open: false, nextChange: iso("2026-03-21T17:00:00Z") })
      expect(at(other, "2026-03-21T18:00:00Z")).toEqual({ open: false, nextChange: iso("2026-03-27T17:00:00Z") })
    })

    it("run their own ranges past midnight into the next date", () => {
      const late = { ...weekend, exceptions: [openOn("2026-03-22", ["20:00", "01:00"])] }
      expect(at(late, "2026-03-22T23:30:00Z")).toEqual({ open: true, nextChange: iso("2026-03-23T00:00:00Z") })
      expect(at(late, "2026-03-23T00:00:00Z")).toEqual({ open: false, nextChange: iso("2026-03-27T17:00:00Z") })
    })

    it("open on a date the week keeps closed", () => {
      const tuesday = { ...weekend, exceptions: [openOn("2026-03-24", ["09:00", "10:00"])] }
      expect(at(tuesday, "2026-03-23T12:00:00Z")).toEqual({ open: false, nextChange: iso("2026-03-24T08:00:00Z") })
    })
  })

  describe("daylight saving time", () => {
    it("Europe/Amsterdam, 29 March 2026: clocks go from 02:00 to 03:00 (01:00 UTC)", () => {
      const sundays = hours("Europe/Amsterdam", [[7, "09:00", "17:00"]])
      // 09:00 local is 08:00 UTC the Sunday before, and 07:00 UTC on the change day.
      expect(at(sundays, "2026-03-22T07:59:00Z")).toEqual({ open: false, nextChange: iso("2026-03-22T08:00:00Z") })
      expect(at(sundays, "2026-03-29T06:59:00Z")).toEqual({ open: false, nextChange: iso("2026-03-29T07:00:00Z") })
      expect(at(sundays, "2026-03-29T07:00:00Z")).toEqual({ open: true, nextChange: iso("2026-03-29T15:00:00Z") })
      // Saturday night before: closed since 16:00 UTC, opens Sunday 07:00 UTC.
      expect(at(sundays, "2026-03-28T23:00:00Z")).toEqual({ open: false, nextChange: iso("2026-03-29T07:00:00Z") })
      // A time in the gap (02:30 does not exist) is reached when the gap ends: 03:00 CEST, 01:00 UTC.
      const inTheGap = hours("Europe/Amsterdam", [], [openOn("2026-03-29", ["02:30", "04:00"])])
      expect(at(inTheGap, "2026-03-29T00:59:00Z")).toEqual({ open: false, nextChange: iso("2026-03-29T01:00:00Z") })
      expect(at(inTheGap, "2026-03-29T01:00:00Z")).toEqual({ open: true, nextChange: iso("2026-03-29T02:00:00Z") })
      const closingInTheGap = hours("Europe/Amsterdam", [[6, "22:00", "02:30"]])
      expect(at(closingInTheGap, "2026-03-28T21:00:00Z")).toEqual({
        open: true,
        nextChange: iso("2026-03-29T01:00:00Z")
      })
      // A range wholly inside the gap never opens.
      const wholeGap = hours("Europe/Amsterdam", [], [openOn("2026-03-29", ["02:00", "03:00"])])
      expect(at(wholeGap, "2026-03-29T00:30:00Z")).toEqual({ open: false, nextChange: null })
    })

    it("Europe/Amsterdam, 25 October 2026: clocks go from 03:00 back to 02:00 (01:00 UTC)", () => {
      const sundays = hours("Europe/Amsterdam", [[7, "09:00", "17:00"]])
      expect(at(sundays, "2026-10-18T06:59:00Z")).toEqual({ open: false, nextChange: iso("2026-10-18T07:00:00Z") })
      expect(at(sundays, "2026-10-25T07:59:00Z")).toEqual({ open: false, nextChange: iso("2026-10-25T08:00:00Z") })
      expect(at(sundays, "2026-10-25T08:00:00Z")).toEqual({ open: true, nextChange: iso("2026-10-25T16:00:00Z") })
      // 02:30 occurs twice: the first (CEST, 00:30 UTC) counts; 05:00 CET is 04:00 UTC.
      const twice = hours("Europe/Amsterdam", [], [openOn("2026-10-25", ["02:30", "05:00"])])
      expect(at(twice, "2026-10-25T00:29:00Z")).toEqual({ open: false, nextChange: iso("2026-10-25T00:30:00Z") })
      expect(at(twice, "2026-10-25T00:30:00Z")).toEqual({ open: true, nextChange: iso("2026-10-25T04:00:00Z") })
      // Closing at 02:30 closes at its first occurrence: the repeated 02:00-02:30 stays closed.
      const early = hours("Europe/Amsterdam", [], [openOn("2026-10-25", ["01:00", "02:30"])])
      expect(at(early, "2026-10-24T22:59:00Z")).toEqual({ open: false, nextChange: iso("2026-10-24T23:00:00Z") })
      expect(at(early, "2026-10-25T00:29:00Z")).toEqual({ open: true, nextChange: iso("2026-10-25T00:30:00Z") })
      expect(at(early, "2026-10-25T01:15:00Z")).toEqual({ open: false, nextChange: null })
    })

    it("America/New_York, 8 March and 1 November 2026", () => {
      const sundays = hours("America/New_York", [[7, "09:00", "17:00"]])
      expect(at(sundays, "2026-03-01T13:59:00Z")).toEqual({ open: false, nextChange: iso("2026-03-01T14:00:00Z") })
      expect(at(sundays, "2026-03-08T12:59:00Z")).toEqual({ open: false, nextChange: iso("2026-03-08T13:00:00Z") })
      expect(at(sundays, "2026-11-01T13:59:00Z")).toEqual({ open: false, nextChange: iso("2026-11-01T14:00:00Z") })
      // 01:30 EDT (05:30 UTC) to 02:30 EST (07:30 UTC): two hours, the repeated 01:xx included.
      const night = hours("America/New_York", [], [openOn("2026-11-01", ["01:30", "02:30"])])
      expect(at(night, "2026-11-01T05:29:00Z")).toEqual({ open: false, nextChange: iso("2026-11-01T05:30:00Z") })
      expect(at(night, "2026-11-01T06:15:00Z")).toEqual({ open: true, nextChange: iso("2026-11-01T07:30:00Z") })
      // 01:00-01:30 opens once, in its first occurrence (EDT).
      const first = hours("America/New_York", [], [openOn("2026-11-01", ["01:00", "01:30"])])
      expect(at(first, "2026-11-01T05:10:00Z")).toEqual({ open: true, nextChange: iso("2026-11-01T05:30:00Z") })
      expect(at(first, "2026-11-01T06:10:00Z")).toEqual({ open: false, nextChange: null })
      // 02:15 on 8 March does not exist: the menu opens at 03:00 EDT (07:00 UTC).
      const gap = hours("America/New_York", [], [openOn("2026-03-08", ["02:15", "04:00"])])
      expect(at(gap, "2026-03-08T06:59:00Z")).toEqual({ open: false, nextChange: iso("2026-03-08T07:00:00Z") })
      expect(at(gap, "2026-03-08T07:00:00Z")).toEqual({ open: true, nextChange: iso("2026-03-08T08:00:00Z") })
    })

    it("Australia/Lord_Howe shifts by 30 minutes (5 April and 4 October 2026)", () => {
      // 4 October: 02:00 (UTC+10:30) becomes 02:30 (UTC+11) at 15:30 UTC on the 3rd.
      const spring = hours("Australia/Lord_Howe", [], [openOn("2026-10-04", ["02:15", "03:00"])])
      expect(at(spring, "2026-10-03T15:29:00Z")).toEqual({ open: false, nextChange: iso("2026-10-03T15:30:00Z") })
      expect(at(spring, "2026-10-03T15:30:00Z")).toEqual({ open: true, nextChange: iso("2026-10-03T16:00:00Z") })
      // 5 April: 02:00 (UTC+11) goes back to 01:30 (UTC+10:30) at 15:00 UTC on the 4th.
      const autumn = hours("Australia/Lord_Howe", [], [openOn("2026-04-05", ["01:45", "02:15"])])
      expect(at(autumn, "2026-04-04T14:44:00Z")).toEqual({ open: false, nextChange: iso("2026-04-04T14:45:00Z") })
      expect(at(autumn, "2026-04-04T15:20:00Z")).toEqual({ open: true, nextChange: iso("2026-04-04T15:45:00Z") })
      const sundays = hours("Australia/Lord_Howe", [[7, "09:00", "10:00"]])
      expect(at(sundays, "2026-03-29T00:00:00Z")).toEqual({ open: false, nextChange: iso("2026-04-04T22:30:00Z") })
      expect(at(sundays, "2026-09-28T00:00:00Z")).toEqual({ open: false, nextChange: iso("2026-10-03T22:00:00Z") })
    })
  })

  it("refuses an invalid instant and a zone Intl does not know", () => {
    expect(() => menuOpenAt(hours("UTC", []), new Date(Number.NaN))).toThrow(RangeError)
    expect(() => menuOpenAt(hours("Mars/Olympus", [[1, "09:00", "10:00"]]), new Date())).toThrow(RangeError)
  })

  it("leaves malformed and empty ranges out and counts the first of two exceptions for a date", () => {
    const messy: MenuHours = {
      timezone: "UTC",
      weekly: [
        { dayOfWeek: 1, opens: "25:00", closes: "26:00" },
        { dayOfWeek: 1, opens: "10:00", closes: "10:00" },
        { dayOfWeek: 1, opens: "12:00", closes: "13:00" }
      ],
      exceptions: [
        openOn("2026-03-24", ["09:00", "10:00"]),
        closedOn("2026-03-24"),
        openOn("2026-02-30", ["09:00", "10:00"])
      ]
    }
    expect(at(messy, "2026-03-23T09:00:00Z")).toEqual({ open: false, nextChange: iso("2026-03-23T12:00:00Z") })
    expect(at(messy, "2026-03-23T13:00:00Z")).toEqual({ open: false, nextChange: iso("2026-03-24T09:00:00Z") })
    // Overlapping ranges are one opening, from the first open to the last close.
    const overlapping = hours("UTC", [
      [1, "09:00", "12:00"],
      [1, "11:00", "14:00"]
    ])
    expect(at(overlapping, "2026-03-23T11:30:00Z")).toEqual({ open: true, nextChange: iso("2026-03-23T14:00:00Z") })
  })
})

describe("hoursProblems", () => {
  const valid = hours(
    "Europe/Amsterdam",
    [
      [1, "11:00", "14:00"],
      [1, "17:00", "22:00"],
      [5, "18:00", "02:00"],
      [6, "02:00", "04:00"],
      [7, "22:00", "24:00"],
      [1, "00:00", "03:00"]
    ],
    [closedOn("2026-12-25"), openOn("2026-12-31", ["20:00", "03:00"])]
  )

  it("finds nothing wrong with well-formed hours", () => {
    expect(hoursProblems(valid)).toEqual([])
    expect(hoursProblems(hours("UTC", []))).toEqual([])
    expect(hoursProblems(hours("America/New_York", [[1, "00:00", "24:00"]]))).toEqual([])
  })

  it("refuses a zone that is not an IANA zone", () => {
    const zone = (timezone: string) => hoursProblems({ ...valid, timezone }).map((problem) => problem.path)
    for (const timezone of [
      "+02:00",
      "-05:00",
      "\u221205:00",
      "0200",
      "",
      " ",
      "Mars/Olympus",
      "CEST",
      "europe/amsterdam",
      " Europe/Amsterdam"
    ]) {
      expect(zone(timezone), timezone).toEqual(["hours.timezone"])
    }
    expect(hoursProblems({ ...valid, timezone: "+02:00" })[0]!.message).toContain("fixed UTC offset")
    expect(hoursProblems({ ...valid, timezone: "Mars/Olympus" })[0]!.message).toContain("not a time zone we know")
    expect(hoursProblems({ ...valid, timezone: "europe/amsterdam" })[0]!.message).toContain("Europe/Amsterdam")
    for (const timezone of ["UTC", "Asia/Singapore", "Australia/Lord_Howe", "America/Argentina/Buenos_Aires"]) {
      expect(zone(timezone), timezone).toEqual([])
    }
  })

  it("refuses malformed times, days and empty ranges", () => {
    const weekly = (...ranges: ReadonlyArray<WeeklyRange>) => hoursProblems({ ...hours("UTC", []), weekly: ranges })
    expect(
      weekly(
        { dayOfWeek: 1, opens: "24:00", closes: "25:00" },
        { dayOfWeek: 2, opens: "9:00", closes: "10:60" },
        { dayOfWeek: 3, opens: "12:00", closes: "12:00" },
        { dayOfWeek: 8 as DayOfWeek, opens: "10:00", closes: "11:00" },
        { dayOfWeek: 0 as DayOfWeek, opens: "10:00", closes: "1100" },
        { dayOfWeek: 1.5 as DayOfWeek, opens: " 10:00", closes: "11:00" }
      )
    ).toEqual([
      { path: "hours.weekly[0].opens", message: '"24:00" is not a time HH:MM from 00:00 to 23:59' },
      { path: "hours.weekly[0].closes", message: '"25:00" is not a time HH:MM from 00:00 to 24:00' },
      { path: "hours.weekly[1].opens", message: '"9:00" is not a time HH:MM from 00:00 to 23:59' },
      { path: "hours.weekly[1].closes", message: '"10:60" is not a time HH:MM from 00:00 to 24:00' },
      { path: "hours.weekly[2]", message: "opens and closes at 12:00: the range is empty" },
      { path: "hours.weekly[3].dayOfWeek", message: "8 is not a day of the week from 1 (Monday) to 7 (Sunday)" },
      { path: "hours.weekly[4].dayOfWeek", message: "0 is not a day of the week from 1 (Monday) to 7 (Sunday)" },
      { path: "hours.weekly[4].closes", message: '"1100" is not a time HH:MM from 00:00 to 24:00' },
      { path: "hours.weekly[5].dayOfWeek", message: "1.5 is not a day of the week from 1 (Monday) to 7 (Sunday)" },
      { path: "hours.weekly[5].opens", message: '" 10:00" is not a time HH:MM from 00:00 to 23:59' }
    ])
    expect(weekly({ dayOfWeek: 4, opens: "00:00", closes: "00:00" })).toEqual([
      { path: "hours.weekly[0]", message: "opens and closes at 00:00: the range is empty" }
    ])
    // 23:59 to 00:00 is a minute before midnight; 00:00 to 24:00 the whole day.
    expect(
      weekly({ dayOfWeek: 4, opens: "23:59", closes: "00:00" }, { dayOfWeek: 5, opens: "00:00", closes: "24:00" })
    ).toEqual([])
  })

  it("refuses overlapping weekly ranges, across midnight and from Sunday into Monday", () => {
    const overlaps = (...ranges: ReadonlyArray<readonly [DayOfWeek, string, string]>) =>
      hoursProblems(hours("UTC", ranges))
    expect(overlaps([1, "10:00", "14:00"], [1, "13:59", "18:00"])).toEqual([
      { path: "hours.weekly[1]", message: "overlaps hours.weekly[0] (Monday 10:00 to 14:00)" }
    ])
    expect(overlaps([1, "10:00", "14:00"], [1, "14:00", "18:00"])).toEqual([])
    expect(overlaps([1, "10:00", "14:00"], [1, "09:00", "20:00"])).toEqual([
      { path: "hours.weekly[1]", message: "overlaps hours.weekly[0] (Monday 10:00 to 14:00)" }
    ])
    expect(overlaps([2, "10:00", "14:00"], [2, "10:00", "14:00"])).toEqual([
      { path: "hours.weekly[1]", message: "overlaps hours.weekly[0] (Tuesday 10:00 to 14:00)" }
    ])
    // Friday night into Saturday.
    expect(overlaps([6, "01:00", "03:00"], [5, "22:00", "01:30"])).toEqual([
      { path: "hours.weekly[1]", message: "overlaps hours.weekly[0] (Saturday 01:00 to 03:00)" }
    ])
    expect(overlaps([6, "01:30", "03:00"], [5, "22:00", "01:30"])).toEqual([])
    // Sunday night into Monday, whichever comes first in the list.
    expect(overlaps([7, "22:00", "02:00"], [1, "01:00", "09:00"])).toEqual([
      { path: "hours.weekly[1]", message: "overlaps hours.weekly[0] (Sunday 22:00 to 02:00)" }
    ])
    expect(overlaps([1, "01:00", "09:00"], [7, "22:00", "02:00"])).toEqual([
      { path: "hours.weekly[1]", message: "overlaps hours.weekly[0] (Monday 01:00 to 09:00)" }
    ])
    expect(overlaps([1, "02:00", "09:00"], [7, "22:00", "02:00"])).toEqual([])
    // Two ranges crossing midnight on the same day; one range overlapping two.
    expect(overlaps([3, "20:00", "02:00"], [3, "23:00", "01:00"], [4, "00:30", "05:00"])).toEqual([
      { path: "hours.weekly[1]", message: "overlaps hours.weekly[0] (Wednesday 20:00 to 02:00)" },
      { path: "hours.weekly[2]", message: "overlaps hours.weekly[0] (Wednesday 20:00 to 02:00)" },
      { path: "hours.weekly[2]", message: "overlaps hours.weekly[1] (Wednesday 23:00 to 01:00)" }
    ])
  })

  it("refuses malformed, unreal and repeated exception dates", () => {
    const dates = (...values: ReadonlyArray<string>) =>
      hoursProblems({ ...hours("UTC", []), exceptions: values.map(closedOn) })
    expect(dates("2026-02-29", "2026-13-01", "2026-04-31", "2026-00-10", "2026-01-00", "26-01-01", "2026-1-1")).toEqual(
      [
        { path: "hours.exceptions[0].date", message: "2026-02-29 is not a real date" },
        { path: "hours.exceptions[1].date", message: "2026-13-01 is not a real date" },
        { path: "hours.exceptions[2].date", message: "2026-04-31 is not a real date" },
        { path: "hours.exceptions[3].date", message: "2026-00-10 is not a real date" },
        { path: "hours.exceptions[4].date", message: "2026-01-00 is not a real date" },
        { path: "hours.exceptions[5].date", message: '"26-01-01" is not a date YYYY-MM-DD' },
        { path: "hours.exceptions[6].date", message: '"2026-1-1" is not a date YYYY-MM-DD' }
      ]
    )
    expect(dates("2028-02-29", "2000-02-29", "2026-12-31")).toEqual([])
    expect(dates("2100-02-29")).toEqual([
      { path: "hours.exceptions[0].date", message: "2100-02-29 is not a real date" }
    ])
    expect(dates("2026-12-25", "2026-12-24", "2026-12-25", "2026-12-25")).toEqual([
      { path: "hours.exceptions[2].date", message: "2026-12-25 is also hours.exceptions[0]: one exception per date" },
      { path: "hours.exceptions[3].date", message: "2026-12-25 is also hours.exceptions[0]: one exception per date" }
    ])
  })

  it("refuses a closed date with ranges, an open date without, and malformed or overlapping ranges", () => {
    const exceptions = (...values: ReadonlyArray<DateException>) =>
      hoursProblems({ ...hours("UTC", []), exceptions: values })
    expect(
      exceptions(
        { date: "2026-12-25", closed: true, ranges: [{ opens: "10:00", closes: "12:00" }] },
        { date: "2026-12-26", closed: false, ranges: [] },
        openOn(
          "2026-12-27",
          ["10:00", "24:30"],
          ["11:00", "11:00"],
          ["10:00", "12:00"],
          ["11:30", "13:00"],
          ["13:00", "14:00"]
        )
      )
    ).toEqual([
      { path: "hours.exceptions[0].ranges", message: "a date closed all day has no ranges" },
      {
        path: "hours.exceptions[1].ranges",
        message: "a date that is not closed needs its ranges (or closed: true to close all day)"
      },
      { path: "hours.exceptions[2].ranges[0].closes", message: '"24:30" is not a time HH:MM from 00:00 to 24:00' },
      { path: "hours.exceptions[2].ranges[1]", message: "opens and closes at 11:00: the range is empty" },
      {
        path: "hours.exceptions[2].ranges[3]",
        message: "overlaps hours.exceptions[2].ranges[2] (2026-12-27 10:00 to 12:00)"
      }
    ])
  })

  it("refuses exception ranges overlapping what runs past midnight into or out of their date", () => {
    // Friday 2027-01-01; the week runs Thursday night into Friday and Friday night into Saturday.
    const week = hours("UTC", [
      [4, "20:00", "02:00"],
      [5, "18:00", "01:00"],
      [6, "01:00", "03:00"]
    ])
    const withExceptions = (...values: ReadonlyArray<DateException>) => hoursProblems({ ...week, exceptions: values })
    expect(hoursProblems(week)).toEqual([])
    expect(withExceptions(openOn("2027-01-01", ["01:00", "05:00"]))).toEqual([
      {
        path: "hours.exceptions[0].ranges[0]",
        message: "overlaps hours.weekly[0] (Thursday 20:00 to 02:00), which runs past midnight into 2027-01-01"
      }
    ])
    expect(withExceptions(openOn("2027-01-01", ["22:00", "01:30"]))).toEqual([
      {
        path: "hours.exceptions[0].ranges[0]",
        message: "runs past midnight into 2027-01-02 and overlaps hours.weekly[2] (Saturday 01:00 to 03:00)"
      }
    ])
    expect(withExceptions(openOn("2027-01-01", ["02:00", "05:00"], ["22:00", "01:00"]))).toEqual([])
    // The next date is an exception as well: reported once, on the later date.
    expect(withExceptions(openOn("2026-12-31", ["21:00", "02:00"]), openOn("2027-01-01", ["01:00", "03:00"]))).toEqual([
      {
        path: "hours.exceptions[1].ranges[0]",
        message:
          "overlaps hours.exceptions[0].ranges[0] (2026-12-31 21:00 to 02:00), which runs past midnight into 2027-01-01"
      }
    ])
    // A closed date replaces its own openings: nothing of it runs into the next date.
    expect(withExceptions(closedOn("2027-01-01"), openOn("2027-01-02", ["00:00", "04:00"]))).toEqual([])
    expect(withExceptions(openOn("2027-01-02", ["00:00", "04:00"]))).toEqual([
      {
        path: "hours.exceptions[0].ranges[0]",
        message: "overlaps hours.weekly[1] (Friday 18:00 to 01:00), which runs past midnight into 2027-01-02"
      }
    ])
  })

  it("lists every problem at once, in the order of the document", () => {
    const problems = hoursProblems({
      timezone: "+01:00",
      weekly: [
        { dayOfWeek: 1, opens: "10:00", closes: "14:00" },
        { dayOfWeek: 1, opens: "7:00", closes: "12:00" },
        { dayOfWeek: 1, opens: "12:00", closes: "15:00" }
      ],
      exceptions: [closedOn("2026-02-30"), { date: "2026-03-02", closed: false, ranges: [] }]
    })
    expect(problems.map((problem) => problem.path)).toEqual([
      "hours.timezone",
      "hours.weekly[1].opens",
      "hours.weekly[2]",
      "hours.exceptions[0].date",
      "hours.exceptions[1].ranges"
    ])
  })
})

// ---------------------------------------------------------------------------------------------------
// The property: menuOpenAt against a brute-force model that walks minute by minute, reading each minute's
// wall clock with Intl and comparing it to the ranges as local date-times; it never converts local times
// to instants. "Reached at the first instant after a gap / at its first occurrence" is the running maximum
// of the wall clock: a local time L is reached once the highest wall clock shown so far is L or later.

const zones = [
  "Europe/Amsterdam",
  "America/New_York",
  "Australia/Lord_Howe",
  "Australia/Sydney",
  "America/St_Johns",
  "Pacific/Chatham",
  "America/Santiago",
  "Africa/Casablanca",
  "Asia/Singapore",
  "Asia/Kolkata",
  "Asia/Tehran",
  "UTC"
] as const

const modelFormatters = new Map<string, Intl.DateTimeFormat>()
/** The wall clock of a zone at an instant, in minutes since 1970-01-01 00:00 local. */
const wallClockMinutes = (zone: string, instant: number): number => {
  let formatter = modelFormatters.get(zone)
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit"
    })
    modelFormatters.set(zone, formatter)
  }
  // "29/03/2026, 02:30": day, month, year, hour, minute.
  const text = formatter.format(instant)
  const field = (from: number, to: number) => Number(text.slice(from, to))
  return Date.UTC(field(6, 10), field(3, 5) - 1, field(0, 2), field(12, 14), field(15, 17)) / MINUTE
}

const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3))
const localDate = (day: number): string => new Date(day * DAY).toISOString().slice(0, 10)

/** The ranges opening on a local date (days since 1970-01-01), as [opens, end) minutes of that date. */
const rangesOpeningOn = (model: MenuHours, day: number): ReadonlyArray<readonly [number, number]> => {
  const exception = model.exceptions.find((e) => e.date === localDate(day))
  const isoDay = ((new Date(day * DAY).getUTCDay() + 6) % 7) + 1
  const ranges = exception === undefined ? model.weekly.filter((range) => range.dayOfWeek === isoDay) : exception.ranges
  if (exception?.closed === true) return []
  return ranges.map((range) => {
    const opens = toMinutes(range.opens)
    const closes = toMinutes(range.closes)
    return [opens, closes > opens ? closes : closes === opens ? opens : closes + 1440] as const
  })
}

/** Whether a local date-time (minutes since 1970-01-01 local) is inside the hours. */
const coversWallClock = (
  model: MenuHours,
  local: number,
  byDay: Map<number, ReadonlyArray<readonly [number, number]>>
): boolean => {
  const today = Math.floor(local / 1440)
  for (const day of [today, today - 1]) {
    let ranges = byDay.get(day)
    if (ranges === undefined) {
      ranges = rangesOpeningOn(model, day)
      byDay.set(day, ranges)
    }
    const minuteOfRange = local - day * 1440
    if (ranges.some(([opens, end]) => minuteOfRange >= opens && minuteOfRange < end)) return true
  }
  return false
}

/** The model's answer: open at the instant, and the first whole minute after it where that flips. */
const modelOpenAt = (model: MenuHours, instant: number): { open: boolean; nextChange: number | null } => {
  const first = Math.floor(instant / MINUTE) * MINUTE
  let highest = Number.NEGATIVE_INFINITY
  // Clocks fall back by at most a few hours: six hours before is enough to know the highest wall clock.
  for (let minute = first - 6 * 60 * MINUTE; minute < first; minute += MINUTE) {
    highest = Math.max(highest, wallClockMinutes(model.timezone, minute))
  }
  highest = Math.max(highest, wallClockMinutes(model.timezone, first))
  const byDay = new Map<number, ReadonlyArray<readonly [number, number]>>()
  const open = coversWallClock(model, highest, byDay)
  for (let minute = first + MINUTE; minute <= instant + 8 * DAY; minute += MINUTE) {
    highest = Math.max(highest, wallClockMinutes(model.timezone, minute))
    if (coversWallClock(model, highest, byDay) !== open) return { open, nextChange: minute }
  }
  return { open, nextChange: null }
}

/** The instants where a zone's offset changes between two instants, found with Intl (daily, then by halves). */
const offsetChanges = (zone: string, from: number, to: number): Array<number> => {
  const offset = (instant: number) => wallClockMinutes(zone, instant) - Math.floor(instant / MINUTE)
  const changes: Array<number> = []
  for (let day = from; day < to; day += DAY) {
    if (offset(day) === offset(day + DAY)) continue
    let low = day
    let high = day + DAY
    while (high - low > MINUTE) {
      const middle = low + Math.floor((high - low) / 2 / MINUTE) * MINUTE
      if (offset(middle) === offset(low)) low = middle
      else high = middle
    }
    changes.push(high)
  }
  return changes
}

const from2025 = Date.UTC(2025, 0, 1)
const to2029 = Date.UTC(2029, 0, 1)
const changesByZone = new Map(zones.map((zone) => [zone, offsetChanges(zone, from2025, to2029)]))

const hhmm = (minutes: number): string =>
  `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`

/** Times of day, often on the hour or half hour and often at night, where clocks change. */
const timeOfDay = (max: number): fc.Arbitrary<number> =>
  fc.oneof(
    fc.integer({ min: 0, max }),
    fc.integer({ min: 0, max: Math.floor(max / 30) }).map((half) => half * 30),
    fc.integer({ min: 0, max: 240 }).map((minute) => Math.min(minute, max))
  )

const rangeArbitrary = fc.record({ opens: timeOfDay(1439).map(hhmm), closes: timeOfDay(1440).map(hhmm) })

const weeklyArbitrary: fc.Arbitrary<ReadonlyArray<WeeklyRange>> = fc.array(
  fc.record({
    dayOfWeek: fc.integer({ min: 1, max: 7 }) as fc.Arbitrary<DayOfWeek>,
    opens: rangeArbitrary.map((range) => range.opens),
    closes: rangeArbitrary.map((range) => range.closes)
  }),
  { maxLength: 8 }
)
/** Weeks mostly with several ranges: a week without any makes the model walk all 8 days. */
const weekArbitrary = fc.oneof(
  { weight: 1, arbitrary: weeklyArbitrary },
  { weight: 4, arbitrary: fc.array(weeklyArbitrary, { minLength: 1, maxLength: 3 }).map((weeks) => weeks.flat()) }
)

/** Exceptions as days after the instant's local date (-2 to 9), made into dates once the instant is known. */
const exceptionsArbitrary = fc.uniqueArray(
  fc.record({
    dayOffset: fc.integer({ min: -2, max: 9 }),
    closed: fc.boolean(),
    ranges: fc.array(rangeArbitrary, { minLength: 1, maxLength: 2 })
  }),
  { selector: (exception) => exception.dayOffset, maxLength: 3 }
)

const instantArbitrary = (zone: string): fc.Arbitrary<number> => {
  const anyInstant = fc.integer({ min: from2025, max: to2029 })
  const changes = changesByZone.get(zone as (typeof zones)[number]) ?? []
  if (changes.length === 0) return anyInstant
  const nearChange = fc
    .tuple(fc.constantFrom(...changes), fc.integer({ min: -3 * 1440, max: 1440 }), fc.integer({ min: 0, max: 59_999 }))
    .map(([change, minutes, millis]) => change + minutes * MINUTE + (millis < 30_000 ? 0 : millis))
  return fc.oneof(anyInstant, nearChange, nearChange)
}

describe("menuOpenAt agrees with a minute-by-minute model", () => {
  it("finds offset changes to test near in the zones with daylight saving time", () => {
    expect(changesByZone.get("Europe/Amsterdam")).toContain(Date.UTC(2026, 2, 29, 1))
    expect(changesByZone.get("Europe/Amsterdam")).toContain(Date.UTC(2026, 9, 25, 1))
    expect(changesByZone.get("Australia/Lord_Howe")).toContain(Date.UTC(2026, 9, 3, 15, 30))
    expect(changesByZone.get("Asia/Singapore")).toEqual([])
  })

  it("over random weeks, exceptions, zones and instants near daylight-saving changes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones).chain((zone) =>
          fc.record({
            zone: fc.constant(zone),
            instant: instantArbitrary(zone),
            weekly: weekArbitrary,
            exceptions: exceptionsArbitrary
          })
        ),
        ({ zone, instant, weekly, exceptions }) => {
          const today = Math.floor(wallClockMinutes(zone, instant) / 1440)
          const menuHours: MenuHours = {
            timezone: zone,
            weekly,
            exceptions: exceptions.map(({ dayOffset, closed, ranges }) => ({
              date: localDate(today + dayOffset),
              closed,
              ranges: closed ? [] : ranges
            }))
          }
          const expected = modelOpenAt(menuHours, instant)
          const actual = menuOpenAt(menuHours, new Date(instant))
          expect({ open: actual.open, nextChange: actual.nextChange?.getTime() ?? null }).toEqual(expected)
        }
      ),
      { numRuns: 300 }
    )
  })
})

// hoursProblems' overlaps against brute force: every range as the set of minutes it covers (on the week's
// circle for weekly ranges, on the calendar for a date's), and two ranges overlap when the sets meet.
describe("hoursProblems' overlaps agree with counting minutes", () => {
  type Range = { readonly opens: string; readonly closes: string }
  const minutesOf = (range: Range, dayStart: number, modulo: number | null): Set<number> => {
    const opens = toMinutes(range.opens)
    const closes = toMinutes(range.closes)
    const end = closes > opens ? closes : closes + 1440
    const minutes = new Set<number>()
    for (let m = opens; m < end; m++) minutes.add(modulo === null ? dayStart + m : (dayStart + m) % modulo)
    return minutes
  }
  const meet = (a: Set<number>, b: Set<number>): boolean => [...a].some((minute) => b.has(minute))

  const validRange = fc
    .tuple(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 0, max: 1440 }))
    .filter(([opens, closes]) => opens !== closes)
    .map(([opens, closes]) => ({ opens: hhmm(opens), closes: hhmm(closes) }))
  const firstDay = Date.UTC(2027, 0, 1) / DAY

  it("over random weeks and exceptions", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ dayOfWeek: fc.integer({ min: 1, max: 7 }) as fc.Arbitrary<DayOfWeek>, range: validRange }),
          { maxLength: 6 }
        ),
        fc.uniqueArray(
          fc.record({
            dayOffset: fc.integer({ min: 0, max: 9 }),
            closed: fc.boolean(),
            ranges: fc.array(validRange, { minLength: 1, maxLength: 3 })
          }),
          { selector: (exception) => exception.dayOffset, maxLength: 4 }
        ),
        (weeklyInput, exceptionInput) => {
          const weekly = weeklyInput.map(({ dayOfWeek, range }) => ({ dayOfWeek, ...range }))
          const exceptions = exceptionInput.map(({ dayOffset, closed, ranges }) => ({
            date: localDate(firstDay + dayOffset),
            closed,
            ranges: closed ? [] : ranges
          }))
          const expected: Array<string> = []
          const weeklySets = weekly.map((range) => minutesOf(range, (range.dayOfWeek - 1) * 1440, 7 * 1440))
          weeklySets.forEach((set, j) => {
            for (let i = 0; i < j; i++)
              if (meet(weeklySets[i]!, set)) expected.push(`hours.weekly[${j}] hours.weekly[${i}]`)
          })
          const exceptionAt = (day: number) => exceptions.findIndex((e) => e.date === localDate(day))
          /** The ranges opening on a date, each with its path and calendar minutes. */
          const openingOn = (day: number): Array<{ path: string; minutes: Set<number> }> => {
            const index = exceptionAt(day)
            if (index >= 0) {
              return exceptions[index]!.ranges.map((range, k) => ({
                path: `hours.exceptions[${index}].ranges[${k}]`,
                minutes: minutesOf(range, day * 1440, null)
              }))
            }
            const isoDay = ((new Date(day * DAY).getUTCDay() + 6) % 7) + 1
            return weekly.flatMap((range, q) =>
              range.dayOfWeek === isoDay
                ? [{ path: `hours.weekly[${q}]`, minutes: minutesOf(range, day * 1440, null) }]
                : []
            )
          }
          exceptionInput.forEach(({ dayOffset }) => {
            const day = firstDay + dayOffset
            const own = openingOn(day)
            own.forEach((range, l) => {
              for (let k = 0; k < l; k++)
                if (meet(own[k]!.minutes, range.minutes)) expected.push(`${range.path} ${own[k]!.path}`)
            })
            for (const range of own) {
              for (const before of openingOn(day - 1)) {
                if (meet(before.minutes, range.minutes)) expected.push(`${range.path} ${before.path}`)
              }
              if (exceptionAt(day + 1) >= 0) continue
              for (const after of openingOn(day + 1)) {
                if (meet(after.minutes, range.minutes)) expected.push(`${range.path} ${after.path}`)
              }
            }
          })
          const problems = hoursProblems({ timezone: "Europe/Amsterdam", weekly, exceptions })
          const actual = problems.map(
            (problem) => `${problem.path} ${/hours\.[a-z]+\[\d+\](?:\.ranges\[\d+\])?/.exec(problem.message)?.[0]}`
          )
          expect(actual.sort()).toEqual(expected.sort())
        }
      )
    )
  })
})
