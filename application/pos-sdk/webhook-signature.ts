import { Effect } from "effect"
import { WebhookRejected } from "./errors.ts"

const encoder = new TextEncoder()

const hexToBytes = (hex: string): Uint8Array | undefined => {
  const clean = hex
    .trim()
    .toLowerCase()
    .replace(/^sha256=/, "")
  if (!/^(?:[0-9a-f]{2})+$/.test(clean)) return undefined
  const bytes = new Uint8Array(clean.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16)
  return bytes
}

/** Compares two byte strings in time that depends only on their length. */
export const constantTimeEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/**
 * Checks an HMAC-SHA-256 signature of the raw body given as hex (optionally `sha256=`-prefixed), as
 * Deliverect signs its webhooks. Uses the platform's WebCrypto, so a plugin needs no crypto library.
 */
export const verifyHmacSha256Hex = (
  secret: string,
  body: Uint8Array,
  signature: string | undefined
): Effect.Effect<void, WebhookRejected> =>
  Effect.gen(function* () {
    const presented = signature === undefined ? undefined : hexToBytes(signature)
    if (presented === undefined) return yield* new WebhookRejected({ reason: "missing or malformed signature" })
    const expected = yield* Effect.tryPromise({
      try: async () => {
        const key = await crypto.subtle.importKey(
          "raw",
          encoder.encode(secret),
          { name: "HMAC", hash: "SHA-256" },
          false,
          ["sign"]
        )
        return new Uint8Array(await crypto.subtle.sign("HMAC", key, body as Uint8Array<ArrayBuffer>))
      },
      catch: () => new WebhookRejected({ reason: "signature could not be computed" })
    })
    if (!constantTimeEqual(presented, expected)) return yield* new WebhookRejected({ reason: "signature mismatch" })
  })

/** Checks a shared-secret token (a Bearer token or a custom header value) in constant time. */
export const verifySharedToken = (
  expected: string,
  presented: string | undefined
): Effect.Effect<void, WebhookRejected> =>
  presented !== undefined && constantTimeEqual(encoder.encode(presented), encoder.encode(expected))
    ? Effect.void
    : Effect.fail(new WebhookRejected({ reason: presented === undefined ? "missing token" : "token mismatch" }))
