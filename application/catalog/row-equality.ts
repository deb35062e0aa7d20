/**
 * Whether two stored rows say the same thing, ignoring their `updatedAt` (and `createdAt`): a sync
 * writes a row only when this is false, so an identical re-sync writes nothing.
 */
export const sameRow = (a: object, b: object): boolean => canonical(a, true) === canonical(b, true)

const skipped = new Set(["updatedAt", "createdAt"])

const canonical = (value: unknown, top = false): string => {
  if (value instanceof Date) return JSON.stringify(value.toISOString())
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v)).join(",")}]`
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value)
      .filter((k) => !(top && skipped.has(k)))
      .sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`
  }
  return JSON.stringify(value) ?? "null"
}
