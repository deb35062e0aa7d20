import { Effect, Exit } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  type CredentialSealError,
  emptyKeyRing,
  ephemeralKeyRing,
  generateKey,
  isKeyRing,
  joinKeyRings,
  type KeyRing,
  makeCredentialSealer,
  parseKeyRing
} from "./credential-sealer.ts"

const keyText = (byte: number) => Buffer.alloc(32, byte).toString("base64")
const ring = (text: string): KeyRing => {
  const parsed = parseKeyRing(text, "CREDENTIALS_KEYS")
  if (!isKeyRing(parsed)) throw new Error(parsed.problem)
  return parsed
}
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runSync(Effect.exit(effect))
const message = (exit: Exit.Exit<unknown, CredentialSealError>) =>
  Exit.isFailure(exit) ? String((exit.cause.reasons[0] as { error?: { message?: string } })?.error?.message) : ""

const purpose = "store_credentials.secrets of tenant 'acme' outlet 'out_1'"
const secret = '{"apiKey":"sk_live_51Hx"}'

describe("credential sealer", () => {
  it("seals to self-describing text under the first key, and opens it with any key of the ring", () => {
    const sealer = makeCredentialSealer(ring(`k1:${keyText(1)},k0:${keyText(0)}`))
    const sealed = Effect.runSync(sealer.seal(secret, purpose))
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/)
    expect(sealed).not.toContain("sk_live")
    expect(Effect.runSync(sealer.open(sealed, purpose))).toBe(secret)
    expect(sealer.formOf(sealed)).toEqual({ _tag: "Sealed", keyId: "k1" })
    expect(sealer.needsReseal(sealed)).toBe(false)
    // A fresh IV every time: the same plaintext never seals to the same text.
    expect(Effect.runSync(sealer.seal(secret, purpose))).not.toBe(sealed)
    // Sealed under the older key: it opens, and a reseal would rewrite it.
    const older = Effect.runSync(makeCredentialSealer(ring(`k0:${keyText(0)}`)).seal(secret, purpose))
    expect(Effect.runSync(sealer.open(older, purpose))).toBe(secret)
    expect(sealer.needsReseal(older)).toBe(true)
    expect(sealer.needsReseal(secret)).toBe(true)
    expect(sealer.formOf(secret)).toEqual({ _tag: "Plain" })
  })

  it("round-trips any text", () => {
    const sealer = makeCredentialSealer(ephemeralKeyRing())
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), fc.string({ maxLength: 40 }), (text, aad) => {
        expect(Effect.runSync(sealer.open(Effect.runSync(sealer.seal(text, aad)), aad))).toBe(text)
      })
    )
  })

  it("refuses a value moved to another purpose, altered, under an unknown key, malformed or plain, naming the key id and never the value", () => {
    const sealer = makeCredentialSealer(ring(`k1:${keyText(1)}`))
    const sealed = Effect.runSync(sealer.seal(secret, purpose))
    const [, , iv, body] = sealed.split(".")
    const flipped = `${body!.slice(0, 5)}${body![5] === "A" ? "B" : "A"}${body!.slice(6)}`
    const cases = {
      moved: run(sealer.open(sealed, "store_credentials.secrets of tenant 'acme' outlet 'out_2'")),
      altered: run(sealer.open(`v1.k1.${iv}.${flipped}`, purpose)),
      unknownKey: run(makeCredentialSealer(ring(`k2:${keyText(2)}`)).open(sealed, purpose)),
      otherKeySameId: run(makeCredentialSealer(ring(`k1:${keyText(7)}`)).open(sealed, purpose)),
      truncated: run(sealer.open(sealed.slice(0, 30), purpose)),
      plain: run(sealer.open(secret, purpose))
    }
    expect(message(cases.moved)).toContain("(key 'k1') does not open")
    expect(message(cases.altered)).toContain("(key 'k1') does not open")
    expect(message(cases.unknownKey)).toBe(`${purpose} is sealed under key 'k1', which is not in CREDENTIALS_KEYS`)
    expect(message(cases.otherKeySameId)).toContain("(key 'k1') does not open")
    expect(message(cases.truncated)).toContain("is not a well-formed sealed value")
    expect(message(cases.plain)).toContain("is stored in plain text")
    for (const exit of Object.values(cases)) {
      expect(Exit.isFailure(exit)).toBe(true)
      expect(JSON.stringify(exit)).not.toContain("sk_live")
    }
  })

  it("with no keys, refuses to seal or open, saying which setting is missing", () => {
    const sealer = makeCredentialSealer(emptyKeyRing("CREDENTIALS_KEYS", "CREDENTIALS_KEYS is not set"))
    expect(sealer.currentKeyId).toBeNull()
    expect(message(run(sealer.seal(secret, purpose)))).toBe(`cannot seal ${purpose}: CREDENTIALS_KEYS is not set`)
    const sealed = Effect.runSync(makeCredentialSealer(ring(`k1:${keyText(1)}`)).seal(secret, purpose))
    expect(message(run(sealer.open(sealed, purpose)))).toContain("(CREDENTIALS_KEYS is not set)")
  })

  it("joins rings: the first ring's first key seals, every key opens", () => {
    const file = { keys: [generateKey("local-").key], source: "the key file" }
    const joined = joinKeyRings(ring(`k2:${keyText(2)}`), file)
    expect(joined.keys.map((k) => k.id)).toEqual(["k2", file.keys[0]!.id])
    expect(joined.source).toBe("CREDENTIALS_KEYS and the key file")
    const sealer = makeCredentialSealer(joined)
    const fromFile = Effect.runSync(makeCredentialSealer(file).seal(secret, purpose))
    expect(Effect.runSync(sealer.open(fromFile, purpose))).toBe(secret)
    expect(sealer.currentKeyId).toBe("k2")
  })
})

describe("key ring configuration", () => {
  it("reads id:base64key pairs, base64 or base64url, with spaces around them", () => {
    const urlSafe = Buffer.alloc(32, 0xfb).toString("base64url")
    const parsed = ring(` k1:${keyText(1)} , old_2:${urlSafe} `)
    expect(parsed.keys.map((k) => k.id)).toEqual(["k1", "old_2"])
    expect(parsed.source).toBe("CREDENTIALS_KEYS")
    // The material is a KeyObject: printed by mistake, it shows none of the key.
    expect(String(parsed.keys[0]!.key)).not.toContain(keyText(1))
    expect(JSON.stringify(parsed)).not.toContain(keyText(1))
  })

  it("refuses a bad entry naming the entry or the key id, never the key", () => {
    const short = Buffer.alloc(16, 3).toString("base64")
    for (const [text, problem] of [
      ["", "expected comma-separated id:base64key pairs, found none"],
      [" , ", "expected comma-separated id:base64key pairs, found none"],
      [keyText(1), "entry 1 is not id:base64key"],
      [`k1:${keyText(1)},bad id:${keyText(2)}`, "entry 2: a key id is 1 to 32 of A-Z a-z 0-9 _ -"],
      [`k1:${short}`, "key 'k1' must be 32 bytes in base64 (it is 16)"],
      [`k1:not*base64!`, "key 'k1' is not base64"],
      [`k1:${keyText(1)},k1:${keyText(2)}`, "key id 'k1' appears twice"],
      [`${"k".repeat(33)}:${keyText(1)}`, "entry 1: a key id is 1 to 32 of A-Z a-z 0-9 _ -"]
    ] as const) {
      const parsed = parseKeyRing(text, "CREDENTIALS_KEYS")
      expect(parsed, text).toEqual({ problem })
    }
  })
})
