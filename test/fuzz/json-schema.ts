import * as fc from "fast-check"

/**
 * Values a JSON Schema (OpenAPI 3.1 dialect, as the served document writes it) accepts, as
 * fast-check arbitraries, and what a value of it can be broken with. Only what the document uses
 * is understood: `$ref` to components, `anyOf`/`oneOf`, `enum`, `const`, `type` (one or a list),
 * string length, `pattern` and `date-time`, number bounds, arrays and objects with `required` and
 * `additionalProperties`. Examples the document gives are offered beside generated values, so valid
 * requests often reach the service's deeper checks.
 */

export type JsonSchema = Readonly<Record<string, unknown>>

export type JsonType = "string" | "number" | "integer" | "boolean" | "null" | "array" | "object"

export interface SchemaContext {
  readonly components: Readonly<Record<string, JsonSchema>>
}

const asSchema = (value: unknown): JsonSchema =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonSchema) : {}

/** The schema behind a `$ref` (followed until there is none). */
export const resolve = (schema: JsonSchema, context: SchemaContext): JsonSchema => {
  let current = schema
  for (let hops = 0; typeof current["$ref"] === "string" && hops < 16; hops++) {
    const name = (current["$ref"] as string).replace("#/components/schemas/", "")
    const target = context.components[name]
    if (target === undefined) throw new Error(`unknown schema reference ${current["$ref"] as string}`)
    current = target
  }
  return current
}

const branches = (schema: JsonSchema): ReadonlyArray<JsonSchema> | undefined => {
  const list = schema["anyOf"] ?? schema["oneOf"]
  return Array.isArray(list) ? list.map(asSchema) : undefined
}

/** The JSON types a schema admits (every type when it says nothing). */
export const typesOf = (schema: JsonSchema, context: SchemaContext): ReadonlySet<JsonType> => {
  const resolved = resolve(schema, context)
  const alternatives = branches(resolved)
  if (alternatives !== undefined) return new Set(alternatives.flatMap((branch) => [...typesOf(branch, context)]))
  if (Array.isArray(resolved["enum"])) return new Set((resolved["enum"] as Array<unknown>).map(jsonTypeOf))
  if ("const" in resolved) return new Set([jsonTypeOf(resolved["const"])])
  const type = resolved["type"]
  const listed = (Array.isArray(type) ? type : type === undefined ? [] : [type]) as Array<JsonType>
  if (listed.length === 0)
    return new Set<JsonType>(["string", "number", "integer", "boolean", "null", "array", "object"])
  // A number admits integers too.
  return new Set(listed.includes("number") ? [...listed, "integer"] : listed)
}

export const jsonTypeOf = (value: unknown): JsonType =>
  value === null
    ? "null"
    : Array.isArray(value)
      ? "array"
      : typeof value === "number"
        ? Number.isInteger(value)
          ? "integer"
          : "number"
        : (typeof value as JsonType)

/** Text a person might send: letters of many scripts and emoji, never NUL or a lone surrogate. */
const text = (minLength: number, maxLength: number) =>
  fc
    .string({
      unit: fc.oneof(
        fc.constantFrom("a", "Z", "0", " ", "-", "é", "ß", "中", "😀", "'", '"', "\\"),
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 })
      ),
      minLength,
      maxLength
    })
    .filter((s) => s.length >= minLength && s.length <= maxLength)

const dateTime = fc
  .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true })
  .map((d) => d.toISOString())

const examplesOf = (schema: JsonSchema): ReadonlyArray<unknown> => {
  const examples = Array.isArray(schema["examples"]) ? (schema["examples"] as Array<unknown>) : []
  return "example" in schema ? [...examples, schema["example"]] : examples
}

const stringArbitrary = (schema: JsonSchema): fc.Arbitrary<string> => {
  const minLength = typeof schema["minLength"] === "number" ? schema["minLength"] : 0
  const maxLength = Math.min(typeof schema["maxLength"] === "number" ? schema["maxLength"] : 40, minLength + 40)
  if (typeof schema["pattern"] === "string") {
    return fc
      .stringMatching(new RegExp(schema["pattern"]))
      .filter((s) => s.length >= minLength && s.length <= ((schema["maxLength"] as number | undefined) ?? Infinity))
  }
  if (schema["format"] === "date-time") return dateTime
  return text(minLength, maxLength)
}

const numberArbitrary = (schema: JsonSchema, integer: boolean): fc.Arbitrary<number> => {
  const minimum = typeof schema["minimum"] === "number" ? schema["minimum"] : undefined
  const maximum = typeof schema["maximum"] === "number" ? schema["maximum"] : undefined
  const exclusiveMinimum = typeof schema["exclusiveMinimum"] === "number" ? schema["exclusiveMinimum"] : undefined
  if (integer) {
    const low = Math.max(
      minimum ?? -1_000_000,
      exclusiveMinimum === undefined ? -Infinity : Math.floor(exclusiveMinimum) + 1
    )
    return fc.integer({ min: low, max: maximum ?? 1_000_000 })
  }
  const low = minimum ?? exclusiveMinimum ?? -1_000_000
  return fc
    .double({ min: low, max: maximum ?? 1_000_000, noNaN: true, noDefaultInfinity: true })
    .filter((n) => exclusiveMinimum === undefined || n > exclusiveMinimum)
}

/** An arbitrary of values the schema accepts. Recursion stops at `depth` (optional parts left out). */
export const validValue = (schema: JsonSchema, context: SchemaContext, depth = 6): fc.Arbitrary<unknown> => {
  const resolved = resolve(schema, context)
  const generated = generate(resolved, context, depth)
  const examples = examplesOf(resolved)
  return examples.length === 0
    ? generated
    : fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...examples) }, { weight: 2, arbitrary: generated })
}

const generate = (schema: JsonSchema, context: SchemaContext, depth: number): fc.Arbitrary<unknown> => {
  const alternatives = branches(schema)
  if (alternatives !== undefined) return fc.oneof(...alternatives.map((branch) => validValue(branch, context, depth)))
  if (Array.isArray(schema["enum"])) return fc.constantFrom(...(schema["enum"] as Array<unknown>))
  if ("const" in schema) return fc.constant(schema["const"])
  const type = schema["type"]
  if (Array.isArray(type)) {
    return fc.oneof(...(type as Array<string>).map((t) => generate({ ...schema, type: t }, context, depth)))
  }
  switch (type) {
    case "string":
      return stringArbitrary(schema)
    case "integer":
      return numberArbitrary(schema, true)
    case "number":
      return numberArbitrary(schema, false)
    case "boolean":
      return fc.boolean()
    case "null":
      return fc.constant(null)
    case "array": {
      const minLength = typeof schema["minItems"] === "number" ? schema["minItems"] : 0
      if (depth <= 0 && minLength === 0) return fc.constant([])
      const maxLength = Math.min(typeof schema["maxItems"] === "number" ? schema["maxItems"] : 4, minLength + 4)
      return fc.array(validValue(asSchema(schema["items"]), context, depth - 1), { minLength, maxLength })
    }
    case "object":
      return objectArbitrary(schema, context, depth)
    default:
      // No type: anything (the POS payloads); kept small.
      return fc.jsonValue({ maxDepth: 2 })
  }
}

const objectArbitrary = (schema: JsonSchema, context: SchemaContext, depth: number): fc.Arbitrary<unknown> => {
  const properties = asSchema(schema["properties"])
  const required = new Set(Array.isArray(schema["required"]) ? (schema["required"] as Array<string>) : [])
  const names = Object.keys(properties).filter((name) => required.has(name) || depth > 0)
  const record = fc.record(
    Object.fromEntries(names.map((name) => [name, validValue(asSchema(properties[name]), context, depth - 1)])),
    { requiredKeys: names.filter((name) => required.has(name)) }
  )
  const extra = schema["additionalProperties"]
  if (typeof extra === "object" && extra !== null && depth > 0) {
    return fc
      .tuple(
        record,
        fc.dictionary(fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,11}$/), validValue(asSchema(extra), context, depth - 1), {
          maxKeys: 3
        })
      )
      .map(([known, more]) => ({ ...more, ...known }))
  }
  return record
}

/** The object schema of a body, with its properties (undefined when the body is not an object). */
export const objectShape = (schema: JsonSchema, context: SchemaContext) => {
  const resolved = resolve(schema, context)
  if (resolved["type"] !== "object") return undefined
  return {
    properties: asSchema(resolved["properties"]),
    required: Array.isArray(resolved["required"]) ? (resolved["required"] as Array<string>) : [],
    closed: resolved["additionalProperties"] === false
  }
}

/** Values of each JSON type, for putting one where another is expected. */
export const valueOfType: Record<JsonType, unknown> = {
  string: "not-what-was-asked",
  number: 1.5,
  integer: 7,
  boolean: true,
  null: null,
  array: [1, "two"],
  object: { unexpected: true }
}
