import { Effect } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { KeySecrets } from "../../application/ports/key-secrets.ts"
import { layerKeySecrets } from "./key-secrets.ts"

const secretsOf = (pepper: string) => Effect.runSync(Effect.provide(KeySecrets, layerKeySecrets(pepper)))

describe("key secrets (HMAC-SHA-256 with a pepper)", () => {
  it("matches a secret with its own hash only, the first time and every time after", () => {
    const secrets = secretsOf("pepper")
    const secret = secrets.generate()
    const other = secrets.generate()
    const stored = secrets.hash(secret)
    for (let i = 0; i < 3; i++) {
      expect(secrets.matches(secret, stored)).toBe(true)
      expect(secrets.matches(other, stored)).toBe(false)
      // Same length, one character changed: the remembered secret must not let it through.
      expect(secrets.matches(`${secret.slice(0, -1)}${secret.endsWith("a") ? "b" : "a"}`, stored)).toBe(false)
      expect(secrets.matches(`${secret}x`, stored)).toBe(false)
      expect(secrets.matches("", stored)).toBe(false)
      // A secret that matched one hash is not a match for another key's hash.
      expect(secrets.matches(secret, secrets.hash(other))).toBe(false)
    }
  })

  it("never matches an empty or malformed stored hash", () => {
    const secrets = secretsOf("pepper")
    const secret = secrets.generate()
    expect(secrets.matches(secret, secrets.hash(secret))).toBe(true)
    for (const stored of ["", "zz", "00", secrets.hash(secret).slice(2)]) {
      expect(secrets.matches(secret, stored)).toBe(false)
      expect(secrets.matches(secret, stored)).toBe(false)
    }
  })

  it("a hash made with another pepper does not match", () => {
    const secret = secretsOf("one").generate()
    expect(secretsOf("two").matches(secret, secretsOf("one").hash(secret))).toBe(false)
  })

  it("agrees with hashing every time, whatever was verified before (model)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 5 }), fc.nat({ max: 5 })), { minLength: 1, maxLength: 60 }),
        (pairs) => {
          const secrets = secretsOf("model")
          const keys = Array.from({ length: 6 }, (_, i) => `secret-${i}-${"k".repeat(i)}`)
          const hashes = keys.map((k) => secrets.hash(k))
          for (const [presented, stored] of pairs) {
            expect(secrets.matches(keys[presented]!, hashes[stored]!)).toBe(presented === stored)
          }
        }
      )
    )
  })

  it("keeps answering right past the number of secrets it remembers", () => {
    const secrets = secretsOf("many")
    const keys = Array.from({ length: 10_050 }, (_, i) => `k${i}`)
    const hashes = keys.map((k) => secrets.hash(k))
    keys.forEach((k, i) => {
      expect(secrets.matches(k, hashes[i]!)).toBe(true)
    })
    keys.forEach((k, i) => {
      expect(secrets.matches(k, hashes[i]!)).toBe(true)
      expect(secrets.matches(k, hashes[(i + 1) % keys.length]!)).toBe(false)
    })
  })
})
