import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from "node:crypto"
import { Data, Effect } from "effect"

/**
 * Credentials at rest (POS credentials of outlets and accounts, tenants' loyalty credentials) are
 * sealed with AES-256-GCM under a server key. A sealed value is self-describing text:
 *
 *     v1.<keyId>.<iv>.<ciphertext and tag>        (iv and ciphertext in base64url)
 *
 * so the key that sealed it is known, and keys can be rotated: a key ring's first key seals, every
 * key of the ring opens. The value's purpose (which row and column it belongs to) is bound as
 * additional authenticated data: a sealed value copied into another row does not open.
 */

/** A key id: 1 to 32 of `A-Z a-z 0-9 _ -` (it is written into every value it seals). */
export const keyIdPattern = /^[A-Za-z0-9_-]{1,32}$/

const version = "v1"
const ivBytes = 12
const tagBytes = 16
const sealedPattern = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/

export interface SealingKey {
  readonly id: string
  /** 32 bytes; a KeyObject, so a key printed or logged by mistake shows no material. */
  readonly key: KeyObject
}

/** The keys credentials are sealed and opened with. */
export interface KeyRing {
  /** The first seals; all of them open. Empty: nothing can be sealed or opened (see `missing`). */
  readonly keys: ReadonlyArray<SealingKey>
  /** Where the keys come from, for messages: `CREDENTIALS_KEYS`, a key file. */
  readonly source: string
  /** Why the ring is empty, said to whoever needs a key (the variable to set). */
  readonly missing?: string
}

/** A value that cannot be sealed or opened. The message names the key id and the purpose, never the value. */
export class CredentialSealError extends Data.TaggedError("CredentialSealError")<{ readonly message: string }> {}

/** How a stored value lies at rest. */
export type StoredForm =
  | { readonly _tag: "Plain" }
  | { readonly _tag: "Sealed"; readonly keyId: string }
  | { readonly _tag: "Malformed" }

export interface CredentialSealer {
  /** The id of the key that seals, or null when the ring is empty. */
  readonly currentKeyId: string | null
  readonly seal: (plaintext: string, purpose: string) => Effect.Effect<string, CredentialSealError>
  readonly open: (stored: string, purpose: string) => Effect.Effect<string, CredentialSealError>
  readonly formOf: (stored: string) => StoredForm
  /** True when the value is not sealed under the current key: a reseal would rewrite it. */
  readonly needsReseal: (stored: string) => boolean
}

const keyBytes = 32

/** A key from its text (base64 or base64url), or a problem in words that never quote the text. */
const parseKeyMaterial = (text: string): Buffer | string => {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return "is not base64"
  const bytes = Buffer.from(text.replaceAll("-", "+").replaceAll("_", "/"), "base64")
  return bytes.length === keyBytes ? bytes : `must be ${keyBytes} bytes in base64 (it is ${bytes.length})`
}

/**
 * Reads `id:base64key` pairs separated by commas (`openssl rand -base64 32` makes a key). The first
 * pair seals. A problem is answered in words that name the entry and its key id, never the key.
 */
export const parseKeyRing = (text: string, source: string): KeyRing | { readonly problem: string } => {
  const entries = text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
  if (entries.length === 0) return { problem: "expected comma-separated id:base64key pairs, found none" }
  const keys: Array<SealingKey> = []
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(":")
    if (colon < 0) return { problem: `entry ${index + 1} is not id:base64key` }
    const id = entry.slice(0, colon).trim()
    if (!keyIdPattern.test(id)) return { problem: `entry ${index + 1}: a key id is 1 to 32 of A-Z a-z 0-9 _ -` }
    if (keys.some((key) => key.id === id)) return { problem: `key id '${id}' appears twice` }
    const material = parseKeyMaterial(entry.slice(colon + 1).trim())
    if (typeof material === "string") return { problem: `key '${id}' ${material}` }
    keys.push({ id, key: createSecretKey(material) })
  }
  return { keys, source }
}

export const isKeyRing = (value: KeyRing | { readonly problem: string }): value is KeyRing => "keys" in value

/** A new random key under a new random id, and its text as a key ring entry (`id:base64key`). */
export const generateKey = (prefix: string): { readonly key: SealingKey; readonly entry: string } => {
  const id = `${prefix}${randomBytes(4).toString("hex")}`
  const material = randomBytes(keyBytes)
  return { key: { id, key: createSecretKey(material) }, entry: `${id}:${material.toString("base64")}` }
}

/** A ring of one new key that lives as long as the process: memory storage, tests. */
export const ephemeralKeyRing = (): KeyRing => ({ keys: [generateKey("tmp-").key], source: "a key of this process" })

/** No keys: whoever seals or opens is told `missing`. */
export const emptyKeyRing = (source: string, missing: string): KeyRing => ({ keys: [], source, missing })

/** Several rings as one: the first ring's first key seals, and the keys of every ring open. */
export const joinKeyRings = (first: KeyRing, ...rest: ReadonlyArray<KeyRing>): KeyRing => {
  const keys = [...first.keys]
  for (const ring of rest) for (const key of ring.keys) if (!keys.some((k) => k.id === key.id)) keys.push(key)
  const sources = [first, ...rest].filter((ring) => ring.keys.length > 0).map((ring) => ring.source)
  return keys.length === 0 ? first : { keys, source: sources.join(" and ") }
}

const fail = (message: string) => Effect.fail(new CredentialSealError({ message }))

export const makeCredentialSealer = (ring: KeyRing): CredentialSealer => {
  const byId = new Map(ring.keys.map((key) => [key.id, key]))
  const current = ring.keys[0]
  const formOf = (stored: string): StoredForm => {
    if (!stored.startsWith(`${version}.`)) return { _tag: "Plain" }
    const match = sealedPattern.exec(stored)
    return match === null ? { _tag: "Malformed" } : { _tag: "Sealed", keyId: match[1]! }
  }
  return {
    currentKeyId: current?.id ?? null,
    formOf,
    needsReseal: (stored) => {
      const form = formOf(stored)
      return form._tag !== "Sealed" || form.keyId !== current?.id
    },
    seal: (plaintext, purpose) =>
      Effect.suspend(() => {
        if (current === undefined) return fail(`cannot seal ${purpose}: ${ring.missing ?? "no key is configured"}`)
        const iv = randomBytes(ivBytes)
        const cipher = createCipheriv("aes-256-gcm", current.key, iv, { authTagLength: tagBytes })
        cipher.setAAD(Buffer.from(purpose, "utf8"))
        const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()])
        return Effect.succeed(`${version}.${current.id}.${iv.toString("base64url")}.${body.toString("base64url")}`)
      }),
    open: (stored, purpose) =>
      Effect.suspend(() => {
        const match = sealedPattern.exec(stored)
        if (match === null) {
          return fail(
            stored.startsWith(`${version}.`)
              ? `${purpose} is not a well-formed sealed value`
              : `${purpose} is stored in plain text, not sealed (run: npm run admin -- credentials reseal)`
          )
        }
        const keyId = match[1]!
        const key = byId.get(keyId)
        if (key === undefined) {
          return fail(
            `${purpose} is sealed under key '${keyId}', which is not in ${ring.source}` +
              (ring.keys.length === 0 && ring.missing !== undefined ? ` (${ring.missing})` : "")
          )
        }
        const body = Buffer.from(match[3]!, "base64url")
        if (body.length < tagBytes) return fail(`${purpose} (key '${keyId}') does not open: it was altered`)
        try {
          const decipher = createDecipheriv("aes-256-gcm", key.key, Buffer.from(match[2]!, "base64url"), {
            authTagLength: tagBytes
          })
          decipher.setAAD(Buffer.from(purpose, "utf8"))
          decipher.setAuthTag(body.subarray(body.length - tagBytes))
          const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - tagBytes)), decipher.final()])
          return Effect.succeed(plain.toString("utf8"))
        } catch {
          return fail(`${purpose} (key '${keyId}') does not open: it was altered, or it belongs to another row or key`)
        }
      })
  }
}

/**
 * What each stored credential is sealed for (the additional authenticated data): the table, the
 * tenant and the row, so a value moved to another row, column or tenant does not open.
 */
export const purposes = {
  outlet: (tenantId: string, storeId: string) =>
    `store_credentials.secrets of tenant '${tenantId}' outlet '${storeId}'`,
  account: (tenantId: string, provider: string, accountId: string) =>
    `pos_account_credentials.secrets of tenant '${tenantId}' ${provider} account ${JSON.stringify(accountId)}`,
  loyalty: (tenantId: string) => `tenants.loyalty_credential of tenant '${tenantId}'`,
  signingKey: (kid: string) => `oauth_signing_keys.private_jwk of key '${kid}'`,
  webhookSecret: (tenantId: string, endpointId: string, which: "secret" | "previous_secret") =>
    `webhook_endpoints.${which} of tenant '${tenantId}' endpoint '${endpointId}'`
} as const
