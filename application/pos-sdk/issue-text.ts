import { SchemaAST, type SchemaIssue } from "effect"

/**
 * Schema failures in plain words, the one style of every validation detail of the service and of
 * POS payload problems: a path (`items[0].name`) and a problem (`expected a string, got 5`), never
 * the schema library's own wording.
 */
export interface IssueProblem {
  readonly path: ReadonlyArray<PropertyKey>
  /** What is wrong, then `, got <value>` where the issue holds the refused value. */
  readonly problem: string
}

/** How many problems one answer lists: enough to fix a request in one go, short enough to read. */
const maxProblems = 10
const maxValueLength = 40

/** A value as the caller sent it, cut short: strings quoted, the rest as JSON. */
export const showValue = (value: unknown): string => {
  if (value === undefined) return "nothing"
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > maxValueLength ? `${text.slice(0, maxValueLength - 3)}...` : text
}

/** `["items", 0, "name"]` -> `items[0].name` (`""` for the root). */
export const pathText = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((acc, key) => {
    if (typeof key === "number") return `${acc}[${key}]`
    const name = String(key)
    if (!/^[A-Za-z0-9_$-]+$/.test(name)) return `${acc}[${JSON.stringify(name)}]`
    return acc === "" ? name : `${acc}.${name}`
  }, "")

/** `what is wrong, got <value>`. */
export const withValue = (problem: string, value?: { readonly value: unknown }) =>
  value === undefined ? problem : `${problem}, got ${showValue(value.value)}`

const editDistance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}

/** The known name a misspelt one most likely meant: same letters in other case, or a couple of edits away. */
export const closestName = (name: string, known: ReadonlyArray<string>): string | undefined => {
  let best: { name: string; distance: number } | undefined
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name, candidate)
    if (distance <= Math.max(1, Math.floor(candidate.length / 4)) && (best === undefined || distance < best.distance)) {
      best = { name: candidate, distance }
    }
  }
  return best?.name
}

/** `is not a known field (did you mean 'marketingOptIn'?)`. */
export const unknownName = (what: "field" | "parameter", name: string, known: ReadonlyArray<string>): string => {
  const guess = closestName(name, known)
  return `is not a known ${what}${guess === undefined ? "" : ` (did you mean '${guess}'?)`}`
}

const propertyNames = (ast: SchemaAST.AST): ReadonlyArray<string> => {
  const type = SchemaAST.toType(ast)
  return type._tag === "Objects" ? type.propertySignatures.map((p) => String(p.name)) : []
}

const typeNames: Partial<Record<SchemaAST.AST["_tag"], string>> = {
  String: "a string",
  Number: "a number",
  Boolean: "a boolean",
  Null: "null",
  Objects: "an object",
  Arrays: "an array",
  BigInt: "an integer"
}

const flattenUnion = (ast: SchemaAST.AST): ReadonlyArray<SchemaAST.AST> => {
  const type = SchemaAST.toEncoded(ast)
  return type._tag === "Union" ? type.types.flatMap(flattenUnion) : [type]
}

/** What a schema node accepts, in words: `a string or null`, `one of "LIST", "GRID"`. */
export const describeType = (ast: SchemaAST.AST): string => {
  const type = SchemaAST.toEncoded(ast)
  switch (type._tag) {
    case "Literal":
      return JSON.stringify(type.literal)
    case "Union": {
      const members = flattenUnion(type).filter((member) => member._tag !== "Undefined")
      if (members.length > 0 && members.every((member) => member._tag === "Literal")) {
        return `one of ${members.map((member) => JSON.stringify((member as SchemaAST.Literal).literal)).join(", ")}`
      }
      return [...new Set(members.map(describeType))].join(" or ")
    }
    case "Objects":
      return type.propertySignatures.length === 0 && type.indexSignatures.length === 0 ? "an object" : "a JSON object"
    case "Suspend":
      return describeType(type.thunk())
    default:
      return typeNames[type._tag] ?? "a valid value"
  }
}

const annotation = (annotations: unknown, key: "message" | "expected"): string | undefined => {
  if (typeof annotations !== "object" || annotations === null) return undefined
  const text = (annotations as Record<string, unknown>)[key]
  return typeof text === "string" ? (key === "expected" ? `expected ${text}` : text) : undefined
}

/** A check's own message first (ours, written for partners), then what the check expects. */
const annotationText = (...sources: ReadonlyArray<unknown>): string | undefined => {
  for (const source of sources) {
    const message = annotation(source, "message")
    if (message !== undefined) return message
  }
  for (const source of sources) {
    const expected = annotation(source, "expected")
    if (expected !== undefined) return expected
  }
  return undefined
}

const inputOf = (issue: SchemaIssue.Issue): { value: unknown } | undefined =>
  "input" in issue ? { value: issue.input } : undefined

/**
 * The problems of a decode failure, the first few, each with its path. Parse with
 * `reportInput: true` so that each problem can show the value it refused.
 */
export const issueProblems = (root: SchemaIssue.Issue): ReadonlyArray<IssueProblem> => {
  const out: Array<IssueProblem> = []
  const push = (path: ReadonlyArray<PropertyKey>, problem: string, value?: { value: unknown }) =>
    out.push({ path, problem: withValue(problem, value) })
  const walk = (issue: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>, near: { value: unknown } | undefined) => {
    if (out.length >= maxProblems) return
    const value = inputOf(issue) ?? near
    switch (issue._tag) {
      case "Pointer":
        return walk(issue.issue, [...path, ...issue.path], undefined)
      case "Composite":
        for (const inner of issue.issues) walk(inner, path, value)
        return
      case "Encoding":
        return walk(issue.issue, path, value)
      case "Filter":
        return push(
          path,
          annotationText(issue.filter.annotations, issueAnnotations(issue.issue)) ?? "is not valid",
          value
        )
      case "MissingKey":
        return push(path, "is required")
      case "UnexpectedKey": {
        const name = String(path.at(-1) ?? "")
        return push(path, unknownName("field", name, propertyNames(issue.ast)), value)
      }
      case "InvalidType":
        return push(path, `expected ${describeType(issue.ast)}`, value)
      case "InvalidValue":
      case "Forbidden":
        return push(path, annotationText(issue.annotations) ?? "is not valid", value)
      case "AnyOf": {
        // A union none of whose members accepted the value: when exactly one member got past the
        // type check, its own problem is the useful one; otherwise say which types are accepted.
        const deeper = issue.issues.filter((inner) => inner._tag !== "InvalidType")
        if (deeper.length === 1) return walk(deeper[0]!, path, value)
        return push(path, `expected ${describeType(issue.ast)}`, value)
      }
      case "OneOf":
        return push(path, "matches more than one of the accepted forms", value)
    }
  }
  walk(root, [], undefined)
  return out.length > 0 ? out : [{ path: [], problem: "is not valid" }]
}

const issueAnnotations = (issue: SchemaIssue.Issue): unknown =>
  issue._tag === "InvalidValue" || issue._tag === "Forbidden" ? issue.annotations : undefined
