import { createHash } from "node:crypto"
import { brotliCompress, constants, gzip } from "node:zlib"
import { Context, Effect, Schema } from "effect"
import { type HttpServerRequest, HttpServerResponse } from "effect/http"
import type { HttpApiEndpoint } from "effect/http-api"
import { ByteBudgetCache } from "./byte-budget-cache.ts"

/**
 * Conditional, compressed answers for read endpoints whose body is worth caching (the effective
 * menu, the product list). An endpoint opts in twice: its declaration is annotated with
 * `conditionalRead` (the OpenAPI document then describes the 304 and the headers), and its handler
 * answers with `conditionalJsonResponse`, its value serialised by `encodeSuccess` as the endpoint
 * would (a body kept between requests as a `RenderedBody`, as the menu's and the product list's
 * answer modules keep theirs, is neither encoded nor hashed again).
 *
 * - `ETag` is the SHA-256 of the exact bytes of the JSON body (base64url, strong). A compressed
 *   answer is another representation, so it has its own strong tag: the body's tag with the coding
 *   as a suffix (`"<hash>-br"`, `"<hash>-gzip"`), as RFC 9110 section 8.8.3 asks.
 * - `If-None-Match` (a list, `*`, `W/` tags compared weakly) answers 304 with no body when it names
 *   the tag of the variant this request would get, or the identity tag of the same body: a cache
 *   that stored the uncompressed answer may revalidate it whatever its `Accept-Encoding`. The 304
 *   carries the headers the 200 would have carried (`ETag` of the selected variant, `Vary`,
 *   `Cache-Control`), and no content headers.
 * - `Accept-Encoding` picks br or gzip by q-value (brotli first on a tie; `x-gzip` is gzip; `*`
 *   covers what is not listed; `identity` not named weighs as the least weight given, so it is
 *   acceptable but never preferred to a coding the request names). Bodies up to 1 KiB are sent as
 *   they are, unless the request refuses `identity`. No header, an empty one, or no acceptable coding: the body is sent uncompressed (a
 *   partner always gets an answer, never a 406).
 * - `Vary: Accept-Encoding` on every answer of such an endpoint; `Cache-Control: private, no-cache`:
 *   the body belongs to the tenant behind the API key (no shared cache may keep it), and it changes
 *   whenever the POS syncs or the clock moves, so a stored copy is revalidated before each use.
 * - Errors are not wrapped: they keep their envelope and carry no tag.
 */

/** Endpoint annotation: the endpoint answers through `conditional`, and its document says so. */
export class ConditionalRead extends Context.Service<ConditionalRead, true>()("pos/runtime/ConditionalRead") {}

/** `.annotateMerge(conditionalRead)` on an endpoint declaration. */
export const conditionalRead = ConditionalRead.context(true)

/** Bodies of this many bytes or fewer are not compressed unless identity is refused. */
export const compressAbove = 1024

export type Coding = "br" | "gzip" | "identity"

export const varyHeader = "Accept-Encoding"
export const cacheControl = "private, no-cache"

// --- Accept-Encoding ---------------------------------------------------------------------------

const qvalue = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/

/**
 * The coding to answer with, from the request's `Accept-Encoding` (RFC 9110 section 12.5.3) and the
 * size of the body. Members with a malformed weight are ignored; a coding listed twice keeps its
 * highest weight.
 */
export const chooseCoding = (header: string | undefined, bodyBytes: number): Coding => {
  if (header === undefined) return "identity"
  const weights = new Map<string, number>()
  for (const member of header.split(",")) {
    const [rawName = "", ...parameters] = member.split(";")
    const name = rawName.trim().toLowerCase()
    if (name === "") continue
    let weight = 1
    let valid = true
    for (const parameter of parameters) {
      const at = parameter.indexOf("=")
      if (at < 0 || parameter.slice(0, at).trim().toLowerCase() !== "q") continue
      const value = parameter.slice(at + 1).trim()
      if (qvalue.test(value)) weight = Number(value)
      else valid = false
    }
    if (!valid) continue
    const coding = name === "x-gzip" ? "gzip" : name
    weights.set(coding, Math.max(weight, weights.get(coding) ?? 0))
  }
  const star = weights.get("*")
  const weightOf = (coding: Coding) => weights.get(coding) ?? star ?? 0
  // Identity not named (nor `*`) is acceptable but not preferred: it weighs as the least of the
  // weights given, so `gzip;q=0.5` still asks for gzip.
  let least = 1
  for (const weight of weights.values()) if (weight > 0 && weight < least) least = weight
  const identity = weights.get("identity") ?? star ?? least
  const br = weightOf("br")
  const gzip = weightOf("gzip")
  const best: Coding = br >= gzip ? "br" : "gzip"
  const bestWeight = Math.max(br, gzip)
  if (bestWeight === 0) return "identity"
  if (identity === 0) return best
  return bodyBytes > compressAbove && bestWeight >= identity ? best : "identity"
}

// --- Entity tags -------------------------------------------------------------------------------

export interface EntityTags {
  readonly any: boolean
  /** The opaque tags named, quotes included, `W/` dropped (weak comparison ignores it). */
  readonly opaque: ReadonlyArray<string>
}

/**
 * The members of an `If-None-Match` field value: `*` or a comma-separated list of entity tags.
 * A member that is neither is skipped; a comma may appear inside a quoted tag.
 */
export const parseIfNoneMatch = (header: string | undefined): EntityTags => {
  const opaque: Array<string> = []
  let any = false
  if (header === undefined) return { any, opaque }
  let i = 0
  while (i < header.length) {
    const c = header[i]
    if (c === " " || c === "\t" || c === ",") {
      i++
      continue
    }
    // Where the member's own text ends: past a quoted tag's closing quote (it may hold commas).
    let from = i
    const quote = header.startsWith('W/"', i) ? i + 2 : c === '"' ? i : -1
    if (quote >= 0) {
      const end = header.indexOf('"', quote + 1)
      if (end < 0) break
      let after = end + 1
      while (header[after] === " " || header[after] === "\t") after++
      // A tag is a whole member: `"a"b` is junk, not `"a"`.
      if (after === header.length || header[after] === ",") {
        opaque.push(header.slice(quote, end + 1))
        i = after
        continue
      }
      from = end + 1
    }
    const next = header.indexOf(",", from)
    const member = header.slice(i, next < 0 ? header.length : next).trim()
    if (member === "*") any = true
    i = next < 0 ? header.length : next + 1
  }
  return { any, opaque }
}

/** The strong tag of a body's bytes, and of each compressed variant of it. */
export const entityTag = (hash: string, coding: Coding) => (coding === "identity" ? `"${hash}"` : `"${hash}-${coding}"`)

export const bodyHash = (json: string) => createHash("sha256").update(json, "utf8").digest("base64url")

/** Whether `If-None-Match` is satisfied: 304 instead of the body (RFC 9110 section 13.1.2). */
export const notModified = (header: string | undefined, hash: string, coding: Coding): boolean => {
  if (header === undefined) return false
  const tags = parseIfNoneMatch(header)
  if (tags.any) return true
  const selected = entityTag(hash, coding)
  const identity = entityTag(hash, "identity")
  return tags.opaque.some((tag) => tag === selected || tag === identity)
}

// --- Compression -------------------------------------------------------------------------------

/**
 * Compressed variants by their tag, up to a byte budget, least recently used first out: the same
 * menu is read again and again between syncs, and its compressed bytes depend on its bytes only.
 */
const variants = new ByteBudgetCache<Uint8Array>(16 * 1024 * 1024, (_tag, bytes) => bytes.byteLength)

/** Off the event loop (zlib's thread pool): a large menu does not stall other requests. */
export const compress = (json: string, coding: "br" | "gzip"): Effect.Effect<Uint8Array> =>
  Effect.callback<Uint8Array>((resume) => {
    const input = Buffer.from(json, "utf8")
    const done = (error: Error | null, output: Buffer) =>
      resume(
        error === null
          ? Effect.succeed(new Uint8Array(output.buffer, output.byteOffset, output.length))
          : Effect.die(error)
      )
    if (coding === "br") {
      brotliCompress(
        input,
        {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: 4,
            [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
            [constants.BROTLI_PARAM_SIZE_HINT]: input.length
          }
        },
        done
      )
    } else {
      gzip(input, { level: 6 }, done)
    }
  })

const compressCached = (json: string, hash: string, coding: "br" | "gzip") => {
  const tag = entityTag(hash, coding)
  const cached = variants.get(tag)
  if (cached !== undefined) return Effect.succeed(cached)
  return Effect.tap(compress(json, coding), (bytes) => Effect.sync(() => variants.set(tag, bytes)))
}

// --- The answer --------------------------------------------------------------------------------

/** A JSON body serialised once, with its UTF-8 bytes and its hash: what a cache of answers keeps. */
export interface RenderedBody {
  readonly json: string
  readonly bytes: Uint8Array
  readonly hash: string
}

export const renderedBody = (json: string): RenderedBody => {
  const buffer = Buffer.from(json, "utf8")
  return { json, bytes: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length), hash: bodyHash(json) }
}

/**
 * The answer for a JSON body already serialised: 304, or 200 with the body in the chosen coding. A
 * body rendered before (`RenderedBody`) is neither hashed nor encoded again.
 */
export const conditionalJsonResponse = (
  request: HttpServerRequest.HttpServerRequest,
  body: string | RenderedBody
): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
  const json = typeof body === "string" ? body : body.json
  const hash = typeof body === "string" ? bodyHash(json) : body.hash
  const bytes = typeof body === "string" ? Buffer.byteLength(json, "utf8") : body.bytes.byteLength
  const coding = chooseCoding(request.headers["accept-encoding"], bytes)
  const headers = { etag: entityTag(hash, coding), vary: varyHeader, "cache-control": cacheControl }
  if (notModified(request.headers["if-none-match"], hash, coding)) {
    return Effect.succeed(HttpServerResponse.empty({ status: 304, headers }))
  }
  if (coding === "identity") {
    return Effect.succeed(
      typeof body === "string"
        ? HttpServerResponse.text(json, { contentType: "application/json", headers })
        : HttpServerResponse.uint8Array(body.bytes, { contentType: "application/json", headers })
    )
  }
  return Effect.map(compressCached(json, hash, coding), (compressed) =>
    HttpServerResponse.uint8Array(compressed, {
      contentType: "application/json",
      headers: { ...headers, "content-encoding": coding }
    })
  )
}

/** The endpoint's JSON encoder, as the endpoint itself would encode its success (one per endpoint). */
const encoders = new WeakMap<HttpApiEndpoint.Top, (value: unknown) => Effect.Effect<string>>()

const encoderOf = (endpoint: HttpApiEndpoint.Top) => {
  const known = encoders.get(endpoint)
  if (known !== undefined) return known
  const schemas = [...endpoint.success]
  if (schemas.length !== 1) {
    throw new Error(`conditional answers need exactly one success schema (${endpoint.name})`)
  }
  // The declared schemas are already their JSON codecs (the endpoint applies toCodecJson).
  const encode = Schema.encodeUnknownEffect(schemas[0] as Schema.Codec<unknown, unknown>)
  const encoder = (value: unknown) =>
    encode(value).pipe(
      Effect.map((encoded) => JSON.stringify(encoded)),
      Effect.orDie
    )
  encoders.set(endpoint, encoder)
  return encoder
}

/** A value encoded as `endpoint` encodes its success, serialised. */
export const encodeSuccess = (endpoint: HttpApiEndpoint.Top, value: unknown): Effect.Effect<string> =>
  encoderOf(endpoint)(value)
