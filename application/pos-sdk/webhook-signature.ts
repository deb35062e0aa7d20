import { Effect } from "effect"
import { WebhookRejected } from "./errors.ts"

const encoder = new TextEncoder()

/** Text as UTF-8 bytes; bytes as they are. */
const bytesOf = (value: string | Uint8Array): Uint8Array => (typeof value === "string" ? encoder.encode(value) : value)

/** Byte strings joined, in order: what vendors that sign the URL and the body sign (Square: URL + body). */
export const concatBytes = (...parts: ReadonlyArray<string | Uint8Array>): Uint8Array => {
  const chunks = parts.map(bytesOf)
  const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const chunk of chunks) {
    joined.set(chunk, at)
    at += chunk.length
  }
  return joined
}

const hexDigits = /^(?:[0-9a-f]{2})+$/
const base64Digits = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Hex (either case) or base64 (standard or URL-safe alphabet, padding optional) to bytes; undefined when malformed. */
export const decodeSignature = (text: string, encoding: "hex" | "base64"): Uint8Array | undefined => {
  if (encoding === "hex") {
    const clean = text.toLowerCase()
    if (!hexDigits.test(clean)) return undefined
    const bytes = new Uint8Array(clean.length / 2)
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16)
    return bytes
  }
  const standard = text.replace(/-/g, "+").replace(/_/g, "/")
  const padded = standard + "=".repeat((4 - (standard.length % 4)) % 4)
  if (padded.length === 0 || !base64Digits.test(padded)) return undefined
  return new Uint8Array(Buffer.from(padded, "base64"))
}

/** Compares two byte strings in time that depends only on their length. */
export const constantTimeEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

export type HmacAlgorithm = "SHA-256" | "SHA-1"

/** The HMAC of a message under a secret, by the platform's WebCrypto (no crypto library needed). */
export const hmac = (
  algorithm: HmacAlgorithm,
  secret: string | Uint8Array,
  message: string | Uint8Array
): Effect.Effect<Uint8Array, WebhookRejected> =>
  Effect.tryPromise({
    try: async () => {
      const key = await crypto.subtle.importKey(
        "raw",
        bytesOf(secret) as Uint8Array<ArrayBuffer>,
        { name: "HMAC", hash: algorithm },
        false,
        ["sign"]
      )
      return new Uint8Array(await crypto.subtle.sign("HMAC", key, bytesOf(message) as Uint8Array<ArrayBuffer>))
    },
    catch: () => new WebhookRejected({ reason: "signature could not be computed" })
  })

export interface HmacCheck {
  readonly algorithm: HmacAlgorithm
  readonly secret: string | Uint8Array
  /** What the vendor signs: the raw body, or `concatBytes(request.url, request.body)`, ... */
  readonly message: string | Uint8Array
  /** The signature as presented (a header's value); undefined when the header is absent. */
  readonly signature: string | undefined
  readonly encoding: "hex" | "base64"
  /** A prefix the vendor puts before the digest (`sha256=`), matched case-insensitively and removed; optional. */
  readonly prefix?: string
}

/**
 * Checks an HMAC signature in constant time. A missing or malformed signature, or one of the wrong
 * length, is refused like a wrong one, with a reason for the log (never the secret or the digest).
 */
export const verifyHmac = (check: HmacCheck): Effect.Effect<void, WebhookRejected> =>
  Effect.gen(function* () {
    let text = check.signature?.trim()
    if (text !== undefined && check.prefix !== undefined && check.prefix !== "") {
      text = text.toLowerCase().startsWith(check.prefix.toLowerCase()) ? text.slice(check.prefix.length) : undefined
    }
    const presented = text === undefined ? undefined : decodeSignature(text, check.encoding)
    if (presented === undefined) return yield* new WebhookRejected({ reason: "missing or malformed signature" })
    const expected = yield* hmac(check.algorithm, check.secret, check.message)
    if (!constantTimeEqual(presented, expected)) return yield* new WebhookRejected({ reason: "signature mismatch" })
  })

/**
 * Checks an HMAC-SHA-256 signature of the raw body given as hex, optionally `sha256=`-prefixed, as
 * Deliverect signs its webhooks.
 */
export const verifyHmacSha256Hex = (
  secret: string,
  body: Uint8Array,
  signature: string | undefined
): Effect.Effect<void, WebhookRejected> => {
  const trimmed = signature?.trim()
  const prefixed = trimmed?.toLowerCase().startsWith("sha256=") === true
  return verifyHmac({
    algorithm: "SHA-256",
    secret,
    message: body,
    signature: trimmed,
    encoding: "hex",
    ...(prefixed ? { prefix: "sha256=" } : {})
  })
}

/** Checks a shared-secret token (a Bearer token or a custom header value) in constant time. */
export const verifySharedToken = (
  expected: string,
  presented: string | undefined
): Effect.Effect<void, WebhookRejected> =>
  presented !== undefined && constantTimeEqual(encoder.encode(presented), encoder.encode(expected))
    ? Effect.void
    : Effect.fail(new WebhookRejected({ reason: presented === undefined ? "missing token" : "token mismatch" }))
