// What the commands print: tables and timestamps an operator reads in a terminal.

export const timestamp = (date: Date | null, none: string): string =>
  date === null ? none : date.toISOString().replace(/\.000Z$/, "Z")

/** Names come from operators' input: control characters would let a name rewrite the terminal. */
export const cell = (text: string): string => text.replace(/\p{Cc}/gu, "?")

export const renderTable = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const all = [header, ...rows].map((row) => row.map(cell))
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i]?.length ?? 0)))
  return all
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd()
    )
    .join("\n")
}
