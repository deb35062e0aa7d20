import { isUtf8 } from "node:buffer"
import { Context, Effect, Layer, SchemaAST } from "effect"
import { HttpServerRequest } from "effect/http"
import type { HttpApiEndpoint } from "effect/http-api"
import { AppConfig } from "../config.ts"
import { StrictInput } from "./api-middleware.ts"
import { CatalogPush, RequiredScopes, VendorFormat } from "./context.ts"
import { firstDuplicateKey } from "./duplicate-keys.ts"
import { BadRequest } from "./errors.ts"
import { nestedDeeperThan } from "./json-depth.ts"
import { makeSyncSlots } from "./sync-slots.ts"
import { firstUnstorableText, hasSuspiciousEscape, unstorableText } from "./unstorable-text.ts"
import { detail, unknownName } from "./validation-details.ts"

/**
 * What the declared schemas cannot say, checked on the raw request before it is decoded:
 * - text PostgreSQL cannot store (NUL, lone surrogates, bytes that are not UTF-8) anywhere in the
 *   path, the query or the JSON body, POS payloads included, refused naming the field;
 * - a JSON body nested more than `maxJsonDepth` deep (reading it back would overflow the stack);
 * - on our own formats, an unknown or repeated query parameter, and an integer that is not plain
 *   decimal digits (`0x10`, `1.0`, `1e2` would otherwise be read as numbers).
 * Unknown body fields are refused by the decoder itself (`onExcessProperty: "error"`, see `secured`).
 */
const invalid = (details: string) => new BadRequest({ message: "invalid request", details })

interface QueryParameter {
  readonly name: string
  readonly values: Array<string>
}

/** The raw query as sent, decoded strictly: malformed percent-encoding is a 400, never a guess. */
const parseQuery = (search: string): Array<QueryParameter> | string => {
  const byName = new Map<string, QueryParameter>()
  for (const pair of search.split("&")) {
    if (pair === "") continue
    const at = pair.indexOf("=")
    const rawName = at === -1 ? pair : pair.slice(0, at)
    const rawValue = at === -1 ? "" : pair.slice(at + 1)
    let name: string
    let value: string
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, " "))
      value = decodeURIComponent(rawValue.replace(/\+/g, " "))
    } catch {
      return detail("query", [rawName], "is not valid percent-encoded UTF-8", { value: rawValue })
    }
    const nameProblem = unstorableText(name)
    if (nameProblem !== undefined) return detail("query", [name], nameProblem)
    const valueProblem = unstorableText(value)
    if (valueProblem !== undefined) return detail("query", [name], valueProblem, { value })
    const known = byName.get(name)
    if (known === undefined) byName.set(name, { name, values: [value] })
    else known.values.push(value)
  }
  return [...byName.values()]
}

/** The declared type of a field without its optionality: `Number`, `Arrays`, `String`, ... */
const fieldType = (ast: SchemaAST.AST): SchemaAST.AST => {
  if (ast._tag !== "Union") return ast
  const members = ast.types.filter((member) => member._tag !== "Undefined")
  return members.length === 1 ? fieldType(members[0]!) : ast
}

const isIntegerType = (ast: SchemaAST.AST) =>
  ast._tag === "Number" && (ast.checks ?? []).some((check) => check.annotations?.expected === "an integer")

interface QueryShape {
  readonly names: ReadonlyArray<string>
  readonly types: ReadonlyMap<string, SchemaAST.AST>
}

const shapes = new WeakMap<object, QueryShape>()

/** The declared query parameters of an endpoint, read once from its schema. */
const queryShape = (endpoint: HttpApiEndpoint.Top): QueryShape => {
  const cached = shapes.get(endpoint)
  if (cached !== undefined) return cached
  const types = new Map<string, SchemaAST.AST>()
  if (endpoint.query !== undefined) {
    const type = SchemaAST.toType(endpoint.query.ast)
    if (type._tag === "Objects") {
      for (const property of type.propertySignatures) types.set(String(property.name), fieldType(property.type))
    }
  }
  const shape = { names: [...types.keys()], types }
  shapes.set(endpoint, shape)
  return shape
}

const plainInteger = /^-?[0-9]{1,15}$/
const plainDecimal = /^-?[0-9]{1,15}(?:\.[0-9]{1,15})?$/

const checkQuery = (endpoint: HttpApiEndpoint.Top, search: string, strict: boolean): string | undefined => {
  const parameters = parseQuery(search)
  if (typeof parameters === "string") return parameters
  if (!strict) return undefined
  const shape = queryShape(endpoint)
  for (const { name, values } of parameters) {
    const type = shape.types.get(name)
    if (type === undefined) {
      return detail("query", [name], unknownName("parameter", name, shape.names), { value: values[0] })
    }
    if (values.length > 1 && type._tag !== "Arrays") {
      return detail("query", [name], "must be given once", { value: values })
    }
    if (type._tag === "Number") {
      const integer = isIntegerType(type)
      const bad = values.find((value) => !(integer ? plainInteger : plainDecimal).test(value))
      if (bad !== undefined) {
        return detail("query", [name], `expected ${integer ? "an integer" : "a number"} in plain decimal digits`, {
          value: bad
        })
      }
    }
  }
  return undefined
}

/** Path parameters, decoded strictly and aligned with the endpoint's `/:name` segments. */
const checkPath = (endpoint: HttpApiEndpoint.Top, path: string): string | undefined => {
  const declared = endpoint.path.split("/")
  const given = path.split("/")
  for (let i = 0; i < declared.length; i++) {
    const segment = declared[i]!
    if (!segment.startsWith(":")) continue
    const raw = given[i] ?? ""
    const name = segment.slice(1).replace(/\?$/, "")
    let value: string
    try {
      value = decodeURIComponent(raw)
    } catch {
      return detail("path", [name], "is not valid percent-encoded UTF-8", { value: raw })
    }
    const problem = unstorableText(value)
    if (problem !== undefined) return detail("path", [name], problem, { value })
  }
  return undefined
}

/**
 * A JSON body: bytes that are not UTF-8 are refused (decoding would replace them silently), so is
 * a key given twice in one object of our own formats (JSON.parse would keep the last silently), and
 * the rare body with a `\u0000` or surrogate escape is parsed to find the field that holds it. The
 * scan works on the bytes the request already buffered, so a large catalog is neither decoded
 * nor parsed a second time.
 */
/** How deep a JSON body may nest: far beyond any payload of ours or a POS's, far below the stack's limit. */
export const maxJsonDepth = 64

const checkBody = (bytes: Uint8Array, ourFormat: boolean): string | undefined => {
  if (!isUtf8(bytes)) return detail("body", [], "is not valid UTF-8")
  if (nestedDeeperThan(bytes, maxJsonDepth)) {
    return detail("body", [], `nests arrays and objects more than ${maxJsonDepth} deep`)
  }
  if (ourFormat) {
    const repeated = firstDuplicateKey(bytes)
    if (repeated !== undefined) {
      return detail("body", repeated.path, `has the key '${repeated.key}' more than once (one value each)`)
    }
  }
  if (!hasSuspiciousEscape(bytes)) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"))
  } catch {
    return undefined // not JSON at all: the decoder answers that
  }
  const found = firstUnstorableText(parsed)
  return found === undefined ? undefined : detail("body", found.path, found.problem, found.value)
}

const bodyMethods = new Set(["POST", "PUT", "PATCH"])

/**
 * Every request passes here: the checks are plain functions, and Effect is entered only to read a body.
 * Being the first to read a body, it is also where a catalog push waits for its turn (sync-slots.ts).
 */
export const StrictInputLive = Layer.effect(
  StrictInput,
  Effect.gen(function* () {
    const config = yield* AppConfig
    const slots = makeSyncSlots({ concurrency: config.syncConcurrency, waitMs: config.syncQueueWaitMs })
    return StrictInput.of((httpEffect, { endpoint }) =>
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
        const strict = !Context.getOrElse(endpoint.annotations, VendorFormat, () => false)
        const at = request.url.indexOf("?")
        const problem =
          checkPath(endpoint, at === -1 ? request.url : request.url.slice(0, at)) ??
          (at === -1 ? undefined : checkQuery(endpoint, request.url.slice(at + 1), strict))
        if (problem !== undefined) return Effect.fail(invalid(problem))
        if (!bodyMethods.has(endpoint.method) || endpoint.payload.size === 0) return httpEffect
        // Our own formats refuse a repeated key; a POS's payload (a push, a webhook) is the vendor's.
        const ourFormat =
          strict && Context.getOrUndefined(endpoint.annotations, RequiredScopes)?.includes("pos:sync") !== true
        // A body that cannot be read (too large, cut off) is answered by the decoder as usual.
        const checked = Effect.flatMap(Effect.option(request.arrayBuffer), (buffer) => {
          const bodyProblem = buffer._tag === "Some" ? checkBody(new Uint8Array(buffer.value), ourFormat) : undefined
          return bodyProblem === undefined ? Effect.void : Effect.fail(invalid(bodyProblem))
        })
        const handled = Effect.andThen(checked, httpEffect)
        return Context.getOrElse(endpoint.annotations, CatalogPush, () => false) ? slots.admit(handled) : handled
      })
    )
  })
)
