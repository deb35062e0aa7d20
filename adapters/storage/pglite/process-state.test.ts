import { describe, expect, it } from "vitest"
import { parseProcStat } from "./process-state.ts"

// Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
// utime stime cutime cstime priority nice threads itrealvalue starttime ...
const tail = "1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 2048 1 18446744073709551615"

describe("/proc/<pid>/stat", () => {
  it("reads the state and start time after the command name", () => {
    expect(parseProcStat(`42 (node) S ${tail}`)).toEqual({ state: "S", startTime: "987654" })
    expect(parseProcStat(`42 (node) Z ${tail}`)).toEqual({ state: "Z", startTime: "987654" })
  })

  it("is not misled by a command name holding spaces and parentheses", () => {
    expect(parseProcStat(`42 (a) b (c) R ${tail}`)).toEqual({ state: "R", startTime: "987654" })
  })

  it("gives nothing for text that is not a stat line", () => {
    expect(parseProcStat("")).toBeUndefined()
    expect(parseProcStat("42 (node) S 1 1")).toBeUndefined()
    expect(parseProcStat(`42 (node) S ${tail.replace("987654", "soon")}`)).toBeUndefined()
  })
})
