import { type PayloadIssue, PayloadRejected } from "@pos-integration/sdk"

const maxIssues = 10

/**
 * Collects the problems of a payload with their paths (`[0].products.p1.subProducts[2]`), so that one
 * answer names the first ten of them rather than the first only.
 */
export class Problems {
  private readonly issues: Array<PayloadIssue> = []

  add(path: string, message: string): void {
    // Only the first ten are reported: keeping the rest would make a menu with a bad field on each
    // of its 100,000 items cost minutes in the duplicate check below.
    if (this.issues.length >= maxIssues) return
    // One bad item reached twice (a snoozed product offered in two groups) is reported once.
    if (this.issues.some((issue) => issue.path === path && issue.message === message)) return
    this.issues.push({ path, message })
  }

  get isEmpty(): boolean {
    return this.issues.length === 0
  }

  /** The first ten, as the SDK's decodePayload reports schema failures. */
  rejection(): PayloadRejected {
    return new PayloadRejected({ issues: [...this.issues] })
  }
}

/** A record's own entry: a vendor id such as `constructor` or `__proto__` must not reach the prototype. */
export const own = <V>(record: Readonly<Record<string, V>> | undefined, key: string): V | undefined =>
  record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined

/** The first occurrence of each id, in order: a vendor list may repeat one. */
export const unique = (ids: ReadonlyArray<string>): Array<string> => {
  // Most lists are short and repeat nothing (a product's groups, a group's options): no Set then.
  if (ids.length <= 16) {
    for (let i = 1; i < ids.length; i++) {
      for (let j = 0; j < i; j++) if (ids[i] === ids[j]) return [...new Set(ids)]
    }
    return ids.slice()
  }
  return [...new Set(ids)]
}

/** Calls `f` with each id of `listed` at its first occurrence; `distinct` is `unique(listed)`. */
export const eachFirst = (
  listed: ReadonlyArray<string>,
  distinct: ReadonlyArray<string>,
  f: (id: string, index: number) => void
): void => {
  if (distinct.length === listed.length) {
    for (let index = 0; index < listed.length; index++) f(listed[index]!, index)
    return
  }
  const seen = new Set<string>()
  for (let index = 0; index < listed.length; index++) {
    const id = listed[index]!
    if (seen.has(id)) continue
    seen.add(id)
    f(id, index)
  }
}
