import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { allScopes } from "./api-key.ts"
import {
  clientState,
  expandScopes,
  formatClientId,
  formatClientSecret,
  parseClientId,
  parseClientSecret
} from "./oauth.ts"

const maxClientId = 2_147_483_647
const base62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
const base62Text = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...base62), minLength: min, maxLength: max })

describe("client ids", () => {
  it("read back every id a store can assign (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: maxClientId }), (id) => {
        expect(formatClientId(id)).toBe(`posc_${id}`)
        expect(parseClientId(formatClientId(id))).toBe(id)
      })
    )
  })

  it("refuse anything else: no leading zero, no sign, no space, no other prefix, nothing past 32 bits", () => {
    for (const raw of [
      "posc_0",
      "posc_01",
      "posc_-1",
      "posc_+1",
      "posc_1.5",
      "posc_1e3",
      " posc_1",
      "posc_1 ",
      "posc_1\n",
      "POSC_1",
      "posk_1",
      "posc_",
      "1",
      "abc",
      "",
      `posc_${maxClientId + 1}`,
      "posc_9999999999",
      "posc_12345678901"
    ]) {
      expect(parseClientId(raw), JSON.stringify(raw)).toBeUndefined()
    }
    expect(parseClientId(`posc_${maxClientId}`)).toBe(maxClientId)
  })

  it("never read a text that is not exactly a formatted id (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (raw) => {
        const id = parseClientId(raw)
        if (id !== undefined) expect(formatClientId(id)).toBe(raw)
      })
    )
  })
})

describe("client secrets", () => {
  it("read the random part of `poscs_` and 32 to 128 base62 characters (property)", () => {
    fc.assert(
      fc.property(base62Text(32, 128), (secret) => {
        expect(parseClientSecret(formatClientSecret(secret))).toBe(secret)
      })
    )
  })

  it("refuse a secret too short or too long, with another prefix or another alphabet", () => {
    const ok = "A".repeat(40)
    expect(parseClientSecret(`poscs_${ok}`)).toBe(ok)
    for (const raw of [
      `poscs_${"A".repeat(31)}`,
      `poscs_${"A".repeat(129)}`,
      `posc_${ok}`,
      `POSCS_${ok}`,
      `poscs_${ok}=`,
      `poscs_${ok.slice(1)}-`,
      `poscs_${ok.slice(1)}_`,
      ` poscs_${ok}`,
      `poscs_${ok}\n`,
      ok,
      "hunter2",
      ""
    ]) {
      expect(parseClientSecret(raw), JSON.stringify(raw)).toBeUndefined()
    }
  })
})

describe("expandScopes", () => {
  it("answers the known scopes in SPEC 3's order, each once, and names the unknown words apart", () => {
    expect(expandScopes(["products:read", "outlets:read", "products:read"])).toEqual({
      scopes: ["outlets:read", "products:read"],
      unknown: []
    })
    expect(expandScopes(["pizza:eat", "outlets:read", "pizza:eat", "Outlets:Read", ""])).toEqual({
      scopes: ["outlets:read"],
      unknown: ["pizza:eat", "Outlets:Read", ""]
    })
    expect(expandScopes([])).toEqual({ scopes: [], unknown: [] })
  })

  it("reads loyalty:* as both loyalty scopes, beside either of them named too", () => {
    expect(expandScopes(["loyalty:*"])).toEqual({ scopes: ["loyalty:read", "loyalty:write"], unknown: [] })
    expect(expandScopes(["loyalty:write", "loyalty:*", "orders:read"])).toEqual({
      scopes: ["orders:read", "loyalty:read", "loyalty:write"],
      unknown: []
    })
    // Only loyalty has a wildcard.
    expect(expandScopes(["orders:*", "*"])).toEqual({ scopes: [], unknown: ["orders:*", "*"] })
  })

  // A word naming one of Object.prototype's members is an unknown word like any other (a token
  // request's `scope=constructor` is invalid_scope, not a 500).
  it("reads Object.prototype's names (constructor, toString, __proto__) as unknown words", () => {
    for (const word of ["constructor", "toString", "valueOf", "hasOwnProperty", "__proto__"]) {
      expect(expandScopes([word]), word).toEqual({ scopes: [], unknown: [word] })
    }
  })

  it("whatever the words: the scopes are a duplicate-free subsequence of SPEC 3's, the unknown words those it cannot read (property)", () => {
    // fast-check's strings favour Object.prototype's names (constructor, __proto__), which is welcome.
    const word = fc.oneof(fc.constantFrom(...allScopes, "loyalty:*"), fc.string({ maxLength: 12 }))
    fc.assert(
      fc.property(fc.array(word, { maxLength: 15 }), (words) => {
        const { scopes, unknown } = expandScopes(words)
        expect(scopes).toEqual(allScopes.filter((s) => scopes.includes(s)))
        for (const scope of scopes) {
          expect(words.includes(scope) || (scope.startsWith("loyalty:") && words.includes("loyalty:*"))).toBe(true)
        }
        for (const w of words) {
          const known = (allScopes as ReadonlyArray<string>).includes(w) || w === "loyalty:*"
          expect(unknown.includes(w)).toBe(!known)
        }
        expect(new Set(unknown).size).toBe(unknown.length)
        // Reading the answer again changes nothing.
        expect(expandScopes(scopes)).toEqual({ scopes, unknown: [] })
      })
    )
  })
})

describe("clientState", () => {
  const now = new Date("2026-06-01T12:00:00Z")
  const before = new Date(now.getTime() - 1)
  const after = new Date(now.getTime() + 1)

  it("is active with no revocation and no expiry, or both still ahead", () => {
    expect(clientState({ revokedAt: null, expiresAt: null }, now)).toBe("active")
    expect(clientState({ revokedAt: null, expiresAt: after }, now)).toBe("active")
    expect(clientState({ revokedAt: after, expiresAt: after }, now)).toBe("active")
  })

  it("expires and is revoked from the very instant named", () => {
    expect(clientState({ revokedAt: null, expiresAt: now }, now)).toBe("expired")
    expect(clientState({ revokedAt: null, expiresAt: before }, now)).toBe("expired")
    expect(clientState({ revokedAt: now, expiresAt: null }, now)).toBe("revoked")
    expect(clientState({ revokedAt: before, expiresAt: null }, now)).toBe("revoked")
  })

  it("says revoked rather than expired when both hold", () => {
    expect(clientState({ revokedAt: before, expiresAt: before }, now)).toBe("revoked")
    expect(clientState({ revokedAt: now, expiresAt: new Date(0) }, now)).toBe("revoked")
    expect(clientState({ revokedAt: after, expiresAt: before }, now)).toBe("expired")
  })
})
