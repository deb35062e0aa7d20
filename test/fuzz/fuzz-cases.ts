import * as fc from "fast-check"
import type { OpenApiOperation } from "../contract/served-document.ts"
import {
  type JsonSchema,
  type JsonType,
  objectShape,
  resolve,
  type SchemaContext,
  typesOf,
  validValue,
  valueOfType
} from "./json-schema.ts"

/**
 * Requests for one operation of the OpenAPI document: a valid one drawn from its schemas, or that
 * request with one thing broken. A case holds only choices (numbers, generated values); ids that
 * exist are looked up when it is sent, so cases can be drawn up front from one seed.
 */

export interface Parameter {
  readonly name: string
  readonly in: "path" | "query" | "header"
  readonly required: boolean
  readonly schema: JsonSchema
}

export interface Target {
  readonly method: string
  /** The path template, e.g. `/api/v1/outlets/{outletId}`. */
  readonly path: string
  readonly operation: OpenApiOperation
  /** Methods no path of the document answers where this one is (a method mutation picks one). */
  readonly unansweredMethods: ReadonlyArray<string>
}

export const bodyMutations = [
  "wrongType",
  "missingRequired",
  "unknownField",
  "hugeString",
  "emptyString",
  "nul",
  "loneSurrogate",
  "invalidUtf8",
  "deepNesting",
  "duplicateKey",
  "wrongContentType",
  "noContentType",
  "hugeNumber",
  "negativeZero",
  "notJson",
  "emptyBody",
  "nonObject"
] as const
export type BodyMutation = (typeof bodyMutations)[number]

export const pathMutations = ["nul", "loneSurrogate", "huge", "encodedSlash"] as const
export const queryMutations = [
  "nul",
  "loneSurrogate",
  "huge",
  "wrongType",
  "outOfRange",
  "unknown",
  "repeated"
] as const

export type Mutation =
  | { readonly target: "path"; readonly how: (typeof pathMutations)[number]; readonly pick: number }
  | { readonly target: "query"; readonly how: (typeof queryMutations)[number]; readonly pick: number }
  | { readonly target: "body"; readonly how: BodyMutation; readonly pick: number }
  | { readonly target: "method"; readonly pick: number }

export interface FuzzCase {
  /** Per path parameter: which known id to use, and a generated value for when none is known. */
  readonly path: ReadonlyArray<{ readonly pick: number; readonly known: boolean; readonly literal: string }>
  readonly query: ReadonlyArray<readonly [string, string]>
  /** Header parameters, `undefined` value: looked up when sent (If-Match from the resource). */
  readonly headers: ReadonlyArray<readonly [string, string | undefined]>
  /** A JSON body from the schema, or the index of a POS payload (the vendor's format). */
  readonly body:
    | {
        readonly json: unknown
        /** Which known ids replace generated ones in the body, and whether to resend a body that worked. */
        readonly pick: number
        readonly reuse: boolean
      }
    | { readonly fixture: number }
    | undefined
  readonly mutation: Mutation | undefined
}

export const parametersOf = (operation: OpenApiOperation): ReadonlyArray<Parameter> =>
  (operation.parameters ?? []) as unknown as ReadonlyArray<Parameter>

/** The JSON body schema, or undefined (no body, or the POS's own format). */
export const jsonBodySchema = (operation: OpenApiOperation): JsonSchema | undefined => {
  const content = (operation.requestBody as { content?: Record<string, { schema?: JsonSchema }> } | undefined)?.content
  const schema = content?.["application/json"]?.schema
  return schema === undefined ||
    (schema["type"] === undefined && schema["$ref"] === undefined && schema["anyOf"] === undefined)
    ? undefined
    : schema
}

export const hasBody = (operation: OpenApiOperation) => operation.requestBody !== undefined

export const bodyRequired = (operation: OpenApiOperation) =>
  (operation.requestBody as { required?: boolean } | undefined)?.required === true

const asText = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value))

/** The arbitrary of cases for one target; `mutated` is the share of cases with something broken. */
export const casesFor = (target: Target, context: SchemaContext, mutated = 0.6): fc.Arbitrary<FuzzCase> => {
  const parameters = parametersOf(target.operation)
  const pathParameters = parameters.filter((p) => p.in === "path")
  const queryParameters = parameters.filter((p) => p.in === "query")
  const headerParameters = parameters.filter((p) => p.in === "header")
  const path = fc.tuple(
    ...pathParameters.map((p) =>
      fc.record({
        pick: fc.nat(),
        known: fc.integer({ min: 0, max: 9 }).map((n) => n < 8),
        // Never empty: an empty segment is another path, answered by another operation.
        literal: validValue(p.schema, context)
          .map(asText)
          .filter((v) => v !== "")
      })
    )
  )
  const query = fc
    .tuple(
      ...queryParameters.map((p) =>
        (p.required ? validValue(p.schema, context) : fc.option(validValue(p.schema, context), { freq: 2 })).map(
          (value) => [p.name, value] as const
        )
      )
    )
    .map((pairs) =>
      pairs.flatMap(([name, value]) => (value === null || value === undefined ? [] : [[name, asText(value)] as const]))
    )
  const headers = fc
    .tuple(
      ...headerParameters.map((p) =>
        fc
          .oneof(
            fc.constant(undefined),
            // Header values are bytes: what a client can send is printable ASCII.
            validValue(p.schema, context)
              .map(asText)
              .filter((v) => /^[\x20-\x7e]*$/.test(v)),
            fc.constant(null) // left out
          )
          .map((value) => [p.name.toLowerCase(), value] as const)
      )
    )
    .map((pairs) => pairs.filter(([, value]) => value !== null) as Array<readonly [string, string | undefined]>)
  const schema = jsonBodySchema(target.operation)
  const body: fc.Arbitrary<FuzzCase["body"]> = !hasBody(target.operation)
    ? fc.constant(undefined)
    : schema === undefined
      ? fc.nat().map((fixture) => ({ fixture }))
      : fc.record({ json: validValue(schema, context), pick: fc.nat(), reuse: fc.boolean() })

  const kinds: Array<fc.Arbitrary<Mutation>> = [fc.nat().map((pick) => ({ target: "method", pick }) as const)]
  if (pathParameters.length > 0) {
    kinds.push(fc.record({ target: fc.constant("path"), how: fc.constantFrom(...pathMutations), pick: fc.nat() }))
  }
  kinds.push(fc.record({ target: fc.constant("query"), how: fc.constantFrom(...queryMutations), pick: fc.nat() }))
  if (hasBody(target.operation)) {
    const weight = 4
    for (let i = 0; i < weight; i++) {
      kinds.push(fc.record({ target: fc.constant("body"), how: fc.constantFrom(...bodyMutations), pick: fc.nat() }))
    }
  }
  const mutation = fc.oneof(
    { weight: Math.round((1 - mutated) * 100), arbitrary: fc.constant(undefined) },
    { weight: Math.round(mutated * 100), arbitrary: fc.oneof(...kinds) }
  )
  return fc.record({ path, query, headers, body, mutation })
}

// ---- Sending a case ----

export interface Materialised {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string>
  readonly body: string | Uint8Array | undefined
  /** Why the request must be refused (a 4xx), when it must. */
  readonly mustRefuse: { readonly why: string; readonly status: number | undefined } | undefined
}

export interface Resolvers {
  /** A known value for a path parameter (ids harvested from earlier answers), if any. */
  readonly known: (name: string, pick: number) => string | undefined
  /** A POS payload (the vendor's format) and the provider it is in. */
  readonly fixture: (
    target: Target,
    pick: number
  ) => { readonly body: unknown; readonly provider: string; readonly query?: string } | undefined
  /** A body this operation accepted before (a seed's or a fuzz case's), if any. */
  readonly accepted: (target: Target, pick: number) => unknown
}

/** Fields named like a known id (`outletId`, `productId`, ...) mostly get a known one, so bodies reach deeper checks. */
const withKnownIds = (value: unknown, pick: number, resolvers: Resolvers): unknown => {
  let turn = pick
  const visit = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(visit)
    if (typeof v !== "object" || v === null) return v
    return Object.fromEntries(
      Object.entries(v).map(([k, field]) => {
        if (typeof field === "string" && turn++ % 4 !== 0) {
          const known = resolvers.known(k, turn)
          if (known !== undefined) return [k, known]
        }
        return [k, visit(field)]
      })
    )
  }
  return visit(value)
}

const encodeSegment = (value: string) => encodeURIComponent(value)

const insertMiddle = (text: string, inserted: string) => {
  const at = Math.floor(text.length / 2)
  return text.slice(0, at) + inserted + text.slice(at)
}

/** Paths to every string in a JSON value. */
const stringPaths = (
  value: unknown,
  at: ReadonlyArray<string | number> = []
): Array<ReadonlyArray<string | number>> => {
  if (typeof value === "string") return [at]
  if (Array.isArray(value)) return value.flatMap((v, i) => stringPaths(v, [...at, i]))
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => stringPaths(v, [...at, k]))
  }
  return []
}

const setAt = (value: unknown, at: ReadonlyArray<string | number>, next: (old: unknown) => unknown): unknown => {
  if (at.length === 0) return next(value)
  const [head, ...rest] = at
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? setAt(v, rest, next) : v))
  const record = value as Record<string, unknown>
  return { ...record, [head as string]: setAt(record[head as string], rest, next) }
}

const rawNumber = "\u0001RAW-NUMBER\u0001"

const notAdmitted = (admitted: ReadonlySet<JsonType>): Array<JsonType> =>
  (["string", "integer", "number", "boolean", "null", "array", "object"] as const).filter((t) =>
    t === "integer" ? !admitted.has("integer") && !admitted.has("number") : !admitted.has(t)
  )

/** Whether every string the schema admits is bounded (a maximum length, a pattern or an enum). */
const hasMaxLength = (schema: JsonSchema, context: SchemaContext): boolean => {
  const resolved = resolve(schema, context)
  if (typeof resolved["maxLength"] === "number" || typeof resolved["pattern"] === "string") return true
  if (Array.isArray(resolved["enum"])) return true
  const list = (resolved["anyOf"] ?? resolved["oneOf"]) as Array<JsonSchema> | undefined
  return list?.filter((b) => typesOf(b, context).has("string")).every((b) => hasMaxLength(b, context)) === true
}

const encoder = new TextEncoder()

/**
 * The request a case stands for. `ownFormat` is false where the body is a POS's payload: the
 * vendor's format, read as it comes (no duplicate-key or unknown-field rules of ours).
 */
export const materialise = (
  target: Target,
  fuzz: FuzzCase,
  context: SchemaContext,
  resolvers: Resolvers
): Materialised => {
  const parameters = parametersOf(target.operation)
  const pathParameters = parameters.filter((p) => p.in === "path")
  const queryParameters = parameters.filter((p) => p.in === "query")
  const mutation = fuzz.mutation
  let mustRefuse: Materialised["mustRefuse"]
  /** The request is broken: any 4xx, or exactly `status` where the answer is certain. */
  const refuse = (why: string, status?: number) => {
    mustRefuse ??= { why, status }
  }

  // Path
  const segments = pathParameters.map((p, i) => {
    const choice = fuzz.path[i]!
    const known = choice.known ? resolvers.known(p.name, choice.pick) : undefined
    return encodeSegment(known ?? choice.literal)
  })
  if (mutation?.target === "path" && segments.length > 0) {
    const i = mutation.pick % segments.length
    const base = segments[i]!
    switch (mutation.how) {
      case "nul":
        segments[i] = insertMiddle(base, "%00")
        refuse("a NUL in a path id")
        break
      case "loneSurrogate":
        // U+D800 as UTF-8 would spell it: bytes that are not UTF-8.
        segments[i] = insertMiddle(base, "%ED%A0%80")
        refuse("a lone surrogate in a path id")
        break
      case "huge":
        segments[i] = "x".repeat(20_000)
        refuse("a 20,000-character path id")
        break
      case "encodedSlash":
        segments[i] = `${base}%2F..`
        break
    }
  }
  let index = 0
  const path = target.path.replace(/\{[^}]+\}/g, () => segments[index++] ?? "")

  // Query
  const query: Array<[string, string]> = fuzz.query.map(([k, v]) => [k, encodeURIComponent(v)])
  const fixture =
    fuzz.body !== undefined && "fixture" in fuzz.body ? resolvers.fixture(target, fuzz.body.fixture) : undefined
  if (fixture?.query !== undefined) query.push(["externalOutletId", encodeURIComponent(fixture.query)])
  if (mutation?.target === "query") {
    const parameter =
      queryParameters.length === 0 ? undefined : queryParameters[mutation.pick % queryParameters.length]!
    const set = (value: string) => {
      const name = parameter?.name ?? "limit"
      const at = query.findIndex(([k]) => k === name)
      if (at >= 0) query[at] = [name, value]
      else query.push([name, value])
    }
    const schema = parameter === undefined ? {} : parameter.schema
    switch (mutation.how) {
      case "nul":
        if (parameter !== undefined) {
          set(`a%00b`)
          refuse("a NUL in a query value", 400)
        }
        break
      case "loneSurrogate":
        if (parameter !== undefined) {
          set("a%ED%A0%80b")
          refuse("bytes that are not UTF-8 in a query value", 400)
        }
        break
      case "huge":
        if (parameter !== undefined) set("y".repeat(100_000))
        break
      case "wrongType":
        if (parameter !== undefined) {
          if (schema["type"] === "integer" || schema["type"] === "number") {
            set("twelve")
            refuse("a word where the query wants a number", 400)
          } else if (Array.isArray(schema["enum"])) {
            set("neither")
            refuse("a value outside the query parameter's enum", 400)
          } else if (schema["format"] === "date-time") {
            set("yesterday")
            refuse("a query date-time that is not one", 400)
          } else {
            set("[object Object]")
          }
        }
        break
      case "outOfRange":
        if (parameter !== undefined && typeof schema["maximum"] === "number") {
          set(String((schema["maximum"] as number) + 1))
          refuse("a query number above its maximum", 400)
        } else if (parameter !== undefined && typeof schema["minimum"] === "number") {
          set(String((schema["minimum"] as number) - 1))
          refuse("a query number below its minimum", 400)
        }
        break
      case "unknown":
        query.push(["zzUnknown", "1"])
        break
      case "repeated":
        if (parameter !== undefined) {
          const value = query.find(([k]) => k === parameter.name)?.[1] ?? "1"
          query.push([parameter.name, value], [parameter.name, value])
        }
        break
    }
  }
  const search = query.length === 0 ? "" : `?${query.map(([k, v]) => `${k}=${v}`).join("&")}`

  // Headers
  const headers: Record<string, string> = {}
  for (const [name, value] of fuzz.headers) if (value !== undefined) headers[name] = value
  if (fixture !== undefined) headers["x-provider"] = fixture.provider

  // Method
  let method = target.method.toUpperCase()
  if (mutation?.target === "method") {
    const others = target.unansweredMethods
    if (others.length > 0) {
      method = others[mutation.pick % others.length]!.toUpperCase()
      refuse(`${method}, which the path does not answer`, 405)
    }
  }

  // Body
  let body: string | Uint8Array | undefined
  if (fuzz.body !== undefined && (method === target.method.toUpperCase() || method !== "GET")) {
    const schema = jsonBodySchema(target.operation)
    const ownFormat = schema !== undefined
    const accepted = "json" in fuzz.body && fuzz.body.reuse ? resolvers.accepted(target, fuzz.body.pick) : undefined
    let value: unknown =
      "json" in fuzz.body
        ? (accepted ?? withKnownIds(fuzz.body.json, fuzz.body.pick, resolvers))
        : (fixture?.body ?? {})
    let text: string | undefined
    headers["content-type"] = "application/json"
    if (mutation?.target === "body") {
      const shape = schema === undefined ? undefined : objectShape(schema, context)
      const names = shape === undefined ? [] : Object.keys(shape.properties)
      const name = names.length === 0 ? undefined : names[mutation.pick % names.length]!
      const property = name === undefined || shape === undefined ? undefined : (shape.properties[name] as JsonSchema)
      const admitted = property === undefined ? undefined : typesOf(property, context)
      const isObject = typeof value === "object" && value !== null && !Array.isArray(value)
      switch (mutation.how) {
        case "wrongType":
          if (name !== undefined && admitted !== undefined && isObject) {
            const wrong = notAdmitted(admitted)
            if (wrong.length > 0) {
              const type = wrong[mutation.pick % wrong.length]!
              value = { ...(value as object), [name]: valueOfType[type] }
              refuse(`${name} given a ${type}`, 400)
            }
          }
          break
        case "missingRequired":
          if (shape !== undefined && shape.required.length > 0 && isObject) {
            const gone = shape.required[mutation.pick % shape.required.length]!
            const { [gone]: _gone, ...rest } = value as Record<string, unknown>
            value = rest
            refuse(`required ${gone} left out`, 400)
          }
          break
        case "unknownField":
          if (isObject) {
            value = { ...(value as object), zzUnknown: 1 }
            if (shape?.closed === true) refuse("an unknown field", 400)
          }
          break
        case "hugeString":
          if (name !== undefined && admitted?.has("string") === true && isObject) {
            value = { ...(value as object), [name]: "h".repeat(300_000) }
            if (property !== undefined && hasMaxLength(property, context) && !admitted.has("object")) {
              refuse(`${name} far over its maximum length`, 400)
            }
          }
          break
        case "emptyString":
          if (name !== undefined && admitted?.has("string") === true && isObject)
            value = { ...(value as object), [name]: "" }
          break
        case "nul":
        case "loneSurrogate": {
          const inserted = mutation.how === "nul" ? "\u0000" : "\ud800"
          const strings = stringPaths(value)
          if (strings.length > 0) {
            value = setAt(value, strings[mutation.pick % strings.length]!, (old) => insertMiddle(String(old), inserted))
          } else if (isObject) {
            value = { ...(value as object), [`k${inserted}`]: "v" }
          }
          if (ownFormat)
            refuse(mutation.how === "nul" ? "a NUL in a body string" : "a lone surrogate in a body string", 400)
          break
        }
        case "invalidUtf8": {
          const bytes = encoder.encode(JSON.stringify(value))
          const quote = bytes.indexOf(0x22)
          const at = quote < 0 ? 0 : quote + 1
          body = new Uint8Array([...bytes.subarray(0, at), 0xc3, 0x28, 0xff, ...bytes.subarray(at)])
          refuse("bytes that are not UTF-8", 400)
          break
        }
        case "deepNesting":
          text = `${"[".repeat(100_000)}${"]".repeat(100_000)}`
          if (ownFormat) refuse("100,000 nested arrays", 400)
          break
        case "duplicateKey":
          if (isObject) {
            const entries = Object.entries(value as object)
            const [key, repeated] = entries[mutation.pick % Math.max(entries.length, 1)] ?? ["zzTwice", 1]
            const first = JSON.stringify(value)
            text = `${first.slice(0, -1)}${first.length > 2 ? "," : ""}${JSON.stringify(key)}:${JSON.stringify(repeated)}}`
            if (ownFormat) refuse(`the key ${key} twice`, 400)
          }
          break
        case "wrongContentType":
          headers["content-type"] = "text/plain"
          refuse("a text/plain body", 415)
          break
        case "noContentType":
          delete headers["content-type"]
          refuse("a body without a content type", 415)
          break
        case "hugeNumber":
        case "negativeZero":
          if (
            name !== undefined &&
            admitted !== undefined &&
            (admitted.has("number") || admitted.has("integer")) &&
            isObject
          ) {
            value = { ...(value as object), [name]: rawNumber }
            text = JSON.stringify(value).replace(
              JSON.stringify(rawNumber),
              mutation.how === "hugeNumber" ? "1e309" : "-0"
            )
            if (mutation.how === "hugeNumber") refuse(`${name} given 1e309 (not a finite number)`, 400)
          }
          break
        case "notJson":
          text = JSON.stringify(value).slice(0, -1)
          if (text.length === 0) text = "{"
          refuse("a body that is not JSON", 400)
          break
        case "emptyBody":
          text = ""
          if (bodyRequired(target.operation)) refuse("an empty body", 400)
          break
        case "nonObject":
          if (ownFormat && shape !== undefined) {
            value = ["text", 42, null, []][mutation.pick % 4]
            refuse("a body that is not an object", 400)
          }
          break
      }
    }
    body ??= text ?? JSON.stringify(value)
  }
  return { method, url: `${path}${search}`, headers, body, mustRefuse }
}
