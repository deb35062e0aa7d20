import { issueProblems, pathText, withValue } from "@pos-integration/sdk"
import type { SchemaIssue } from "effect"

export { showValue, unknownName } from "@pos-integration/sdk"

/**
 * One style of validation detail for every rule of every operation:
 * `<body|query|path|header>.<path>: <what is wrong>, got <value, cut short>`, in our own words,
 * never the schema library's (application/pos-sdk/issue-text.ts). Several are joined with `; `.
 */
export type InputKind = "body" | "query" | "path" | "header"

/** `body` + `["items", 0, "name"]` -> `body.items[0].name`. */
export const fieldPath = (kind: InputKind, path: ReadonlyArray<PropertyKey>): string => {
  const text = pathText(path)
  return text === "" ? kind : text.startsWith("[") ? `${kind}${text}` : `${kind}.${text}`
}

export const detail = (
  kind: InputKind,
  path: ReadonlyArray<PropertyKey>,
  problem: string,
  value?: { readonly value: unknown }
) => `${fieldPath(kind, path)}: ${withValue(problem, value)}`

/** A decode failure of one part of the request, as detail lines. */
export const issueDetails = (kind: InputKind, issue: SchemaIssue.Issue): ReadonlyArray<string> =>
  issueProblems(issue)
    .slice(0, 5)
    .map(({ path, problem }) => `${fieldPath(kind, path)}: ${problem}`)
