/**
 * Whether two stored rows say the same thing, ignoring their `updatedAt` (and `createdAt`): a sync
 * writes a row only when this is false, so an identical re-sync writes nothing. Rows are plain data
 * (primitives, Dates, arrays, records); key order does not matter. Runs once per row of a sync
 * (hundreds of thousands), so it walks the values instead of serialising them.
 */
export const sameRow = (a: object, b: object): boolean => sameRecord(a, b, true)

const skipped = (key: string) => key === "updatedAt" || key === "createdAt"

const sameRecord = (a: object, b: object, top: boolean): boolean => {
  const ra = a as Record<string, unknown>
  const rb = b as Record<string, unknown>
  let count = 0
  for (const key in ra) {
    if (top && skipped(key)) continue
    const va = ra[key]
    if (va === undefined) continue
    count++
    if (!same(va, rb[key])) return false
  }
  for (const key in rb) {
    if (top && skipped(key)) continue
    if (rb[key] !== undefined) count--
  }
  return count === 0
}

const same = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime()
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b) || b instanceof Date) return false
  return sameRecord(a, b, false)
}
