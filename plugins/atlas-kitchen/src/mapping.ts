import { type PayloadIssue, PayloadRejected } from "@pos-integration/sdk"
import { Effect } from "effect"

/** How many issues a rejection lists, like the SDK's own Schema failures. */
const maxIssues = 10

/** Problems found while mapping a decoded payload: all are reported together, each with its path. */
export class Problems {
  private readonly found: Array<PayloadIssue> = []

  add(path: string, message: string): void {
    this.found.push({ path, message })
  }

  get issues(): ReadonlyArray<PayloadIssue> {
    return this.found.slice(0, maxIssues)
  }

  get isEmpty(): boolean {
    return this.found.length === 0
  }
}

/**
 * Runs a mapping from vendor terms to canonical ones. It is plain code over decoded data, but a
 * decoder must never die, so anything it throws becomes a rejection rather than a defect.
 */
export const mapWith = <A>(map: (problems: Problems) => A): Effect.Effect<A, PayloadRejected> =>
  Effect.try({
    try: () => {
      const problems = new Problems()
      const value = map(problems)
      return { value, problems }
    },
    catch: (error) =>
      PayloadRejected.one(
        "(root)",
        `the payload could not be mapped: ${error instanceof Error ? error.message : "error"}`
      )
  }).pipe(
    Effect.flatMap(({ value, problems }) =>
      problems.isEmpty ? Effect.succeed(value) : Effect.fail(new PayloadRejected({ issues: problems.issues }))
    )
  )

/**
 * Canonical objects by external id, in first-seen order. The same object listed twice (a product
 * in two sections, a group shared by two products) is kept once; a different object under an id
 * already taken is a problem naming both places.
 */
export class ById<T> {
  private readonly entries = new Map<string, { readonly value: T; readonly key: string; readonly path: string }>()
  private readonly kind: string
  private readonly problems: Problems

  constructor(kind: string, problems: Problems) {
    this.kind = kind
    this.problems = problems
  }

  add(id: string, value: T, path: string): void {
    // The snapshots are built by this plugin with a fixed key order, so their JSON compares them.
    const key = JSON.stringify(value)
    const seen = this.entries.get(id)
    if (seen === undefined) this.entries.set(id, { value, key, path })
    else if (seen.key !== key) {
      this.problems.add(path, `${this.kind} ${id} differs from the ${this.kind} ${id} at ${seen.path}`)
    }
  }

  values(): ReadonlyArray<T> {
    return [...this.entries.values()].map((entry) => entry.value)
  }
}

/** Trimmed text, or null when there is none. */
export const text = (value: string | null | undefined): string | null => {
  const trimmed = value?.trim() ?? ""
  return trimmed === "" ? null : trimmed
}

/** The ids once each, in first-seen order. */
export const unique = (ids: ReadonlyArray<string>): ReadonlyArray<string> => [...new Set(ids)]
