/** Date-times of our own API (SPEC section 5). */

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/

/**
 * RFC 3339 with a Z or ±HH:MM offset. Checked field by field: Date.parse alone takes 2027-02-30
 * and 24:00 and rolls them over.
 */
export const rfc3339Instant = (raw: string): Date | undefined => {
  const m = rfc3339.exec(raw)
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number
  ]
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  const offsetOk = m[9] === undefined || (Number(m[10]) <= 23 && Number(m[11]) <= 59)
  const fieldsOk = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth
  if (!fieldsOk || hour > 23 || minute > 59 || second > 59 || !offsetOk) return undefined
  const date = new Date(raw.toUpperCase())
  return Number.isNaN(date.getTime()) ? undefined : date
}
