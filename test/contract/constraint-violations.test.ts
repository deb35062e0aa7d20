import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import { issueAdminKey } from "../../application/admin/admin-keys.ts"
import { allScopes } from "../../domain/api-key.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { adminApiPrefix } from "../../runtime/http/admin-api.ts"
import { call, makeTestApp, type TestApp } from "../support/app.ts"
import { type OpenApiDocument, operations } from "./served-document.ts"

/**
 * Walks the served OpenAPI document and violates each constraint it declares, one at a time: every
 * violation must be a 400 envelope whose details name the field in the one style,
 * `<body|query|path|header>.<path>: <what is wrong>[, got <value>]`. A constraint the document
 * promises but the service does not enforce fails here.
 */
type JsonSchema = Record<string, unknown>

const detailStyle =
  /^(body|query|path|header)(\.[A-Za-z0-9_$-]+|\[\d+\]|\["[^"]*"\])*: [^;]+(; (body|query|path|header)\S*: [^;]+)*$/

interface Violation {
  readonly name: string
  readonly method: string
  readonly path: string
  readonly query: Record<string, string>
  readonly body: unknown
  /** The field the details must name, e.g. `query.limit` or `body.refCode`. */
  readonly field: string
  /** A name the details must mention besides. */
  readonly mentions?: string
}

const resolve = (document: OpenApiDocument, schema: JsonSchema | undefined): JsonSchema | undefined => {
  const ref = schema?.["$ref"]
  if (typeof ref !== "string") return schema
  return document.components.schemas[ref.replace("#/components/schemas/", "")] as JsonSchema
}

/** The non-null member of `anyOf: [X, {type: null}]`, else the schema itself. */
const nonNull = (schema: JsonSchema): JsonSchema => {
  const anyOf = schema["anyOf"] as Array<JsonSchema> | undefined
  return anyOf?.find((member) => member["type"] !== "null") ?? schema
}

/** Values that break one constraint of a scalar schema each: [what, value]. */
const breaking = (schema: JsonSchema, asQuery: boolean): Array<[string, unknown]> => {
  const s = nonNull(schema)
  const out: Array<[string, unknown]> = []
  const type = s["type"]
  if (type === "integer") {
    out.push(["not an integer", asQuery ? "1.5" : 1.5], ["a string for an integer", "twelve"])
    if (typeof s["minimum"] === "number") out.push(["below minimum", (s["minimum"] as number) - 1])
    if (typeof s["exclusiveMinimum"] === "number") out.push(["at exclusiveMinimum", s["exclusiveMinimum"]])
    if (typeof s["maximum"] === "number") out.push(["above maximum", (s["maximum"] as number) + 1])
  }
  if (type === "string") {
    if (!asQuery) out.push(["a number for a string", 12345])
    if (typeof s["maxLength"] === "number") out.push(["too long", "a".repeat((s["maxLength"] as number) + 1)])
    if (typeof s["minLength"] === "number" && (s["minLength"] as number) > 0) out.push(["too short", ""])
    if (typeof s["pattern"] === "string") out.push(["not the pattern", "no such value!"])
    if (Array.isArray(s["enum"])) out.push(["not in the enum", "NO_SUCH_VALUE"])
    if (s["format"] === "date-time") out.push(["not a date-time", "yesterday"])
  }
  if (type === "boolean" && !asQuery) out.push(["a string for a boolean", "yes"])
  return out.map(([what, value]) => [what, asQuery ? String(value) : value])
}

const violations = (document: OpenApiDocument): Array<Violation> => {
  const out: Array<Violation> = []
  for (const { path, method, operation } of operations(document)) {
    const parameters = operation.parameters ?? []
    const pathParams = parameters.filter((p) => p.in === "path")
    // Path ids from their own examples, so that only the broken part is wrong.
    const exampleOf = (name: string) =>
      String((pathParams.find((q) => q.name === name)?.schema as JsonSchema | undefined)?.["example"] ?? "x1")
    const validPath = path.replace(/\{(\w+)\}/g, (_, name: string) => exampleOf(name))
    const body = resolve(
      document,
      (operation.requestBody as { content?: Record<string, { schema?: JsonSchema }> } | undefined)?.content?.[
        "application/json"
      ]?.schema
    )
    const baseBody = (body?.["examples"] as Array<unknown> | undefined)?.[0] ?? (body === undefined ? undefined : {})
    const base = { method: method.toUpperCase(), path: validPath, query: {}, body: baseBody }

    for (const p of parameters.filter((p) => p.in === "query")) {
      for (const [what, value] of breaking(p.schema as JsonSchema, true)) {
        out.push({
          ...base,
          name: `${method} ${path} ?${p.name} ${what}`,
          query: { [p.name]: String(value) },
          field: `query.${p.name}`
        })
      }
    }
    if (method !== "post" || body === undefined || body["properties"] !== undefined || body["oneOf"] !== undefined) {
      out.push({
        ...base,
        name: `${method} ${path} an unknown query parameter`,
        query: { zzUnknown: "1" },
        field: "query.zzUnknown"
      })
    }
    for (const p of pathParams) {
      for (const [what, value] of breaking(p.schema as JsonSchema, true)) {
        out.push({
          ...base,
          name: `${method} ${path} /${p.name} ${what}`,
          path: path
            .replace(`{${p.name}}`, encodeURIComponent(String(value)))
            .replace(/\{(\w+)\}/g, (_, name: string) => exampleOf(name)),
          field: `path.${p.name}`
        })
      }
    }
    // Each alternative of a oneOf with its own example (the examples follow the alternatives).
    const alternatives = body === undefined ? [] : ((body["oneOf"] as Array<JsonSchema> | undefined) ?? [body])
    const examples = (body?.["examples"] as Array<unknown> | undefined) ?? []
    alternatives.forEach((object, index) => {
      const example = examples[index] ?? baseBody
      if (object["properties"] === undefined || typeof example !== "object" || example === null) return
      const valid = example as Record<string, unknown>
      const at = { ...base, body: valid }
      const properties = object["properties"] as Record<string, JsonSchema>
      const requiredEverywhere = (name: string) =>
        alternatives.every((other) => ((other["required"] as Array<string> | undefined) ?? []).includes(name))
      for (const name of (object["required"] as Array<string> | undefined) ?? []) {
        const { [name]: _, ...without } = valid
        // Leaving out the field that tells a oneOf's alternatives apart leaves none: the whole body is named.
        const field = requiredEverywhere(name) ? `body.${name}` : "body"
        out.push({ ...at, name: `${method} ${path} body without ${name}`, body: without, field, mentions: name })
      }
      for (const [name, schema] of Object.entries(properties)) {
        for (const [what, value] of breaking(schema, false)) {
          out.push({
            ...at,
            name: `${method} ${path} body.${name} ${what}`,
            body: { ...valid, [name]: value },
            field: `body.${name}`
          })
        }
      }
      if (object["additionalProperties"] === false) {
        out.push({
          ...at,
          name: `${method} ${path} an unknown body field`,
          body: { ...valid, zzUnknown: 1 },
          field: "body.zzUnknown"
        })
      }
    })
  }
  return out
}

describe("every constraint the OpenAPI document declares, violated, is a 400 in the one style", () => {
  let app: TestApp
  let tenant: TenantId
  let key: string
  let adminKey: string
  let document: OpenApiDocument
  beforeAll(async () => {
    app = await makeTestApp(layerMemoryStorage)
    tenant = "walker" as TenantId
    await app.createTenant({ id: tenant, country: "SG", currency: "SGD", timezone: "Asia/Singapore" })
    key = (await app.issueKey(tenant, { kind: "partner", name: "every scope", scopes: [...allScopes] })).plaintext
    adminKey = await app.runtime.runPromise(
      issueAdminKey({ name: "walker", expiresAt: null, createdBy: "test" }).pipe(
        Effect.map((issued) => issued.plaintext),
        Effect.orDie
      )
    )
    document = (await (await call(app, "/api/openapi.json")).json()) as OpenApiDocument
  }, 60_000)
  afterAll(() => app?.close())

  it("finds constraints to violate in the document (the walk itself can fail)", () => {
    const all = violations(document)
    expect(all.length).toBeGreaterThan(60)
    for (const field of [
      "query.limit",
      "query.at",
      "body.refCode",
      "body.points",
      "body.zzUnknown",
      "query.zzUnknown"
    ]) {
      expect(all.map((v) => v.field)).toContain(field)
    }
  })

  it("answers each violation with a 400 naming the field", async () => {
    const failures: Array<string> = []
    for (const violation of violations(document)) {
      if (["/healthz", "/readyz"].includes(violation.path)) continue
      const search = new URLSearchParams(violation.query).toString()
      const response = await call(app, `${violation.path}${search === "" ? "" : `?${search}`}`, {
        method: violation.method,
        host: `${tenant}.localhost`,
        // The admin API takes an admin key; every other route the partner key.
        key: violation.path.startsWith(adminApiPrefix) ? adminKey : key,
        headers: { "content-type": "application/json", "x-provider": "deliverect" },
        ...(violation.body === undefined ? {} : { body: JSON.stringify(violation.body) })
      })
      const text = await response.text()
      const details = (JSON.parse(text) as { error?: { details?: string } }).error?.details ?? ""
      if (
        response.status !== 400 ||
        !detailStyle.test(details) ||
        !details.includes(`${violation.field}:`) ||
        (violation.mentions !== undefined && !details.includes(violation.mentions))
      ) {
        failures.push(`${violation.name}: ${response.status} ${details || text.slice(0, 120)}`)
      }
    }
    expect(failures.join("\n")).toBe("")
  })
})
