import { createHmac } from "node:crypto"

/**
 * Standard Webhooks 1.0 signatures: `webhook-signature` holds `v1,<base64 HMAC-SHA256>` of
 * `<webhook-id>.<webhook-timestamp>.<raw body>`, keyed with the bytes a `whsec_<base64>` secret
 * encodes. A partner verifies them with any Standard Webhooks library.
 */

const secretPrefix = "whsec_"

/** The spec asks for at least 24 random bytes and at most 64. */
const minSecretBytes = 24
const maxSecretBytes = 64

/**
 * Whether `text` is a secret we can sign with: `whsec_` and canonical padded base64 of 24 to 64
 * bytes. Canonical, because Node's decoder skips what it does not understand, and a secret that
 * decodes to other bytes than the partner's library reads would sign with a key they do not hold.
 */
export const isWebhookSecret = (text: string): boolean => {
  if (!text.startsWith(secretPrefix)) return false
  const encoded = text.slice(secretPrefix.length)
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encoded)) return false
  const key = Buffer.from(encoded, "base64")
  return key.length >= minSecretBytes && key.length <= maxSecretBytes && key.toString("base64") === encoded
}

export interface SignatureHeaders {
  readonly "webhook-id": string
  readonly "webhook-timestamp": string
  readonly "webhook-signature": string
}

const keyOf = (secret: string): Buffer => {
  if (!isWebhookSecret(secret)) throw new Error("not a webhook secret (whsec_ and base64 of 24 to 64 bytes)")
  return Buffer.from(secret.slice(secretPrefix.length), "base64")
}

/**
 * The three Standard Webhooks headers of one attempt. `id` is the message's, the same on every retry
 * (the partner's idempotency key); `timestamp` is the attempt's, whole seconds in the header. One
 * `v1,...` per secret, in the order given (the current secret first, then the one it replaced while
 * it is still honoured), so the partner's verification passes with either during a rotation.
 *
 * The id is one of ours, never a caller's: a `.` in it would shift the signed content's boundaries,
 * and a space or line break would break the headers, so such an id is a defect, as is a secret that
 * is not one or an empty list of secrets.
 */
export const signatureHeaders = (options: {
  readonly id: string
  readonly timestamp: Date
  readonly body: string | Uint8Array
  readonly secrets: ReadonlyArray<string>
}): SignatureHeaders => {
  const { id, body, secrets } = options
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw new Error("a webhook id is 1 to 128 letters, digits, _ or -")
  if (secrets.length === 0) throw new Error("a webhook is signed with at least one secret")
  const seconds = Math.floor(options.timestamp.getTime() / 1000)
  if (!Number.isSafeInteger(seconds)) throw new Error("a webhook timestamp is a valid date")
  const signed = Buffer.concat([Buffer.from(`${id}.${seconds}.`, "utf8"), Buffer.from(body)])
  const signatures = secrets.map(
    (secret) => `v1,${createHmac("sha256", keyOf(secret)).update(signed).digest("base64")}`
  )
  return {
    "webhook-id": id,
    "webhook-timestamp": String(seconds),
    "webhook-signature": signatures.join(" ")
  }
}
