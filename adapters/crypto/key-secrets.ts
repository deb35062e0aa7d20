import { createHmac, createSecretKey, randomBytes, timingSafeEqual } from "node:crypto"
import { Layer } from "effect"
import { KeySecrets } from "../../application/ports/key-secrets.ts"

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const secretLength = 40

/** Uniform base62 by rejection sampling: bytes >= 248 would bias the alphabet, so they are skipped. */
const generate = (): string => {
  let out = ""
  while (out.length < secretLength) {
    for (const byte of randomBytes(secretLength * 2)) {
      if (byte < 248 && out.length < secretLength) out += base62[byte % 62]
    }
  }
  return out
}

/** How many verified secrets are remembered (one per stored hash); the memory is cleared when full. */
const rememberedLimit = 10_000

/**
 * HMAC-SHA-256 with a server pepper: a stolen database alone does not let anyone test guesses.
 * Changing the pepper invalidates every stored key, so it is set once per deployment.
 *
 * A secret that matched a stored hash is remembered beside it, so the same key presented again
 * (every request of a partner) is compared byte for byte in constant time instead of hashed again:
 * the HMAC was about a tenth of an authenticated request's cost. Anything else presented against
 * that hash (a wrong secret) is hashed as before, so a refusal costs what it did and its timing
 * tells nothing new. The secrets are held only in this process's memory, as each request's are
 * while it runs; whether the key is still live is decided by its row, never by this memory.
 */
export const layerKeySecrets = (pepper: string) => {
  // A KeyObject made once: createHmac with a raw Buffer key re-imports it on every call (measured
  // 23 us against 2.8 us per hash), which was the largest single cost of an authenticated request.
  const key = createSecretKey(Buffer.from(`pos-integration:${pepper}`, "utf8"))
  const hash = (secret: string) => createHmac("sha256", key).update(secret, "utf8").digest("hex")
  const verified = new Map<string, Buffer>()
  const hashMatches = (secret: string, stored: string) => {
    const presented = Buffer.from(hash(secret), "hex")
    const expected = Buffer.from(stored, "hex")
    // A malformed stored hash still costs one comparison of the same length.
    return expected.length === presented.length
      ? timingSafeEqual(presented, expected)
      : !timingSafeEqual(presented, presented)
  }
  return Layer.succeed(
    KeySecrets,
    KeySecrets.of({
      generate,
      hash,
      matches: (secret, stored) => {
        const remembered = verified.get(stored)
        if (remembered !== undefined) {
          const presented = Buffer.from(secret, "utf8")
          if (presented.length === remembered.length && timingSafeEqual(presented, remembered)) return true
        }
        const matches = hashMatches(secret, stored)
        if (matches && stored !== "") {
          if (verified.size >= rememberedLimit) verified.clear()
          verified.set(stored, Buffer.from(secret, "utf8"))
        }
        return matches
      }
    })
  )
}
