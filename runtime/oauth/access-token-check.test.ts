import { generateKeyPairSync, randomBytes } from "node:crypto"
import * as fc from "fast-check"
import { exportJWK, jwtVerify, SignJWT } from "jose"
import { describe, expect, it } from "vitest"
import type { PublicJwk } from "../../domain/oauth.ts"
import {
  type AccessTokenRules,
  claimsRefusal,
  type ReadToken,
  readAccessToken,
  signatureHolds,
  verificationKey
} from "./access-token-check.ts"

const issuer = "http://acme.localhost:8080"
const audience = "http://acme.localhost:8080/api/v1"
const requiredClaims = ["exp", "iat", "jti", "sub", "client_id", "scope", "tenant_id"]
const nowMs = Date.UTC(2026, 5, 1, 12, 0, 0)
const now = nowMs / 1000
const rules: AccessTokenRules = { issuer, audience, nowMs, toleranceSeconds: 5, requiredClaims }

const pair = () => generateKeyPairSync("ed25519")
const ours = pair()
const publicJwk = async (key = ours.publicKey): Promise<PublicJwk> => {
  const jwk = await exportJWK(key)
  return { kty: "OKP", crv: "Ed25519", x: String(jwk.x), kid: "k1", alg: "EdDSA", use: "sig" }
}
const ourKey = verificationKey(await publicJwk())

const claims = (overrides: Record<string, unknown> = {}) => ({
  iss: issuer,
  aud: audience,
  sub: "posc_1",
  client_id: "posc_1",
  tenant_id: "acme",
  scope: "products:read",
  jti: "a1",
  iat: now,
  exp: now + 600,
  ...overrides
})

/** A token signed by jose: the checker is tested against another implementation's output. */
const sign = (
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
  key = ours.privateKey
): Promise<string> =>
  new SignJWT(payload).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: "k1", ...header }).sign(key)

const read = (token: string): ReadToken => {
  const result = readAccessToken(token)
  if ("refused" in result) throw new Error(`refused: ${result.refused}`)
  return result
}

/** The whole check, as the token service runs it: form, claims, signature. */
const check = (token: string, ruleSet: AccessTokenRules = rules): string => {
  const result = readAccessToken(token)
  if ("refused" in result) return result.refused
  return claimsRefusal(result.claims, ruleSet) ?? (signatureHolds(result, ourKey) ? "ok" : "bad signature")
}

describe("access token check", () => {
  it("accepts a token jose signed with the key: kid, claims and signature read back", async () => {
    const token = await sign(claims())
    const parts = read(token)
    expect(parts.kid).toBe("k1")
    expect(parts.claims).toEqual(claims())
    expect(check(token)).toBe("ok")
  })

  it("accepts typ in any case and as its full media type; an audience list that names ours", async () => {
    expect(check(await sign(claims(), { typ: "application/AT+JWT" }))).toBe("ok")
    expect(check(await sign(claims({ aud: ["https://other.example", audience] })))).toBe("ok")
  })

  it("refuses another algorithm, another type, no kid, and extensions it does not understand", async () => {
    const header = (value: Record<string, unknown>) => Buffer.from(JSON.stringify(value)).toString("base64url")
    const token = await sign(claims())
    const [, body, signature] = token.split(".")
    const withHeader = (value: Record<string, unknown>) => `${header(value)}.${body}.${signature}`
    expect(check(withHeader({ alg: "none", typ: "at+jwt", kid: "k1" }))).toMatch(/algorithm "none"/)
    expect(check(withHeader({ alg: "HS256", typ: "at+jwt", kid: "k1" }))).toMatch(/algorithm "HS256"/)
    expect(check(await sign(claims(), { typ: "JWT" }))).toMatch(/type "JWT"/)
    expect(check(withHeader({ alg: "EdDSA", typ: "at+jwt" }))).toBe("token without kid")
    expect(check(withHeader({ alg: "EdDSA", typ: "at+jwt", kid: 7 }))).toBe("token without kid")
    expect(check(withHeader({ alg: "EdDSA", typ: "at+jwt", kid: "k1", crit: ["exp"] }))).toMatch(/extensions/)
    expect(check(withHeader({ alg: "EdDSA", typ: "at+jwt", kid: "k1", b64: false }))).toMatch(/extensions/)
  })

  it("refuses what is not a compact JWS with a 64-byte signature", async () => {
    const token = await sign(claims())
    const [head, body, signature] = token.split(".") as [string, string, string]
    for (const bad of [
      "",
      "not.a.jwt",
      `${head}.${body}`,
      `${token}.x`,
      `${head}.${body}.`,
      `${head}.${body}.${signature.slice(0, -4)}`,
      `${head}.${body}.${signature}AAAA`,
      `${head}.${body}.${signature}=`,
      `${head}=.${body}.${signature}`,
      `${Buffer.from("[1]").toString("base64url")}.${body}.${signature}`,
      `${head}.${Buffer.from('"text"').toString("base64url")}.${signature}`,
      `${head}.${Buffer.from("{").toString("base64url")}.${signature}`
    ]) {
      expect(check(bad), bad).not.toBe("ok")
    }
  })

  it("expiry: refused from exp - tolerance on, accepted one second before; nbf beyond the tolerance is refused", async () => {
    expect(check(await sign(claims({ exp: now - 5 })))).toBe("token expired")
    expect(check(await sign(claims({ exp: now - 4 })))).toBe("ok")
    expect(check(await sign(claims({ nbf: now + 6 })))).toBe("token not valid yet")
    expect(check(await sign(claims({ nbf: now + 5 })))).toBe("ok")
    expect(check(await sign(claims({ exp: "soon" })))).toMatch(/'exp' is not a number/)
    expect(check(await sign(claims({ iat: null })))).toMatch(/'iat' is not a number/)
  })

  it("refuses another issuer, another audience, and a missing required claim", async () => {
    expect(check(await sign(claims({ iss: "http://evil.localhost" })))).toBe("token issued by another issuer")
    expect(check(await sign(claims({ aud: "http://acme.localhost:8080" })))).toBe("token for another audience")
    expect(check(await sign(claims({ aud: [] })))).toBe("token for another audience")
    for (const name of requiredClaims) {
      const rest: Record<string, unknown> = { ...claims() }
      delete rest[name]
      expect(check(await sign(rest)), name).toBe(`token claim '${name}' missing`)
    }
  })

  it("refuses a signature by another key, random signatures, and a signature moved to other claims", async () => {
    expect(check(await sign(claims(), {}, pair().privateKey))).toBe("bad signature")
    const token = await sign(claims())
    const [head, body] = token.split(".")
    for (let i = 0; i < 50; i++) {
      expect(check(`${head}.${body}.${randomBytes(64).toString("base64url")}`)).toBe("bad signature")
    }
    const other = (await sign(claims({ scope: "products:read orders:write" }))).split(".")[1]
    expect(check(`${head}.${other}.${token.split(".")[2]}`)).toBe("bad signature")
  })

  it("any one character changed anywhere in a valid token is refused (property)", async () => {
    const token = await sign(claims())
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.constantFrom(...alphabet), (position, replacement) => {
        fc.pre(token[position] !== replacement)
        const changed = token.slice(0, position) + replacement + token.slice(position + 1)
        expect(check(changed)).not.toBe("ok")
      }),
      { numRuns: 500 }
    )
  })

  it("agrees with jose's jwtVerify on claims around every boundary (property, jose as the model)", async () => {
    const key = await crypto.subtle.importKey("jwk", { ...(await publicJwk()) }, "Ed25519", false, ["verify"])
    // Mostly valid fields, so that each boundary of exp and nbf is reached with the others passing.
    const offsets = fc.integer({ min: -8, max: 8 })
    const mostly = <T>(valid: T, ...others: ReadonlyArray<T>) =>
      fc.oneof({ arbitrary: fc.constant(valid), weight: 3 * others.length }, fc.constantFrom(...others))
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          exp: fc.option(offsets, { nil: undefined }),
          nbf: fc.option(offsets, { nil: undefined }),
          iss: mostly(issuer, `${issuer}/`, "http://other.localhost"),
          aud: mostly<unknown>(audience, [audience], ["x", audience], "x", []),
          typ: mostly("at+jwt", "application/at+jwt", "AT+JWT", "JWT", "at+jwt2")
        }),
        async ({ exp, nbf, iss, aud, typ }) => {
          const payload: Record<string, unknown> = { ...claims({ iss, aud }) }
          if (exp === undefined) delete payload["exp"]
          else payload["exp"] = now + exp
          if (nbf !== undefined) payload["nbf"] = now + nbf
          const token = await sign(payload, { typ })
          const byJose = await jwtVerify(token, key, {
            algorithms: ["EdDSA"],
            typ: "at+jwt",
            issuer,
            audience,
            clockTolerance: 5,
            currentDate: new Date(nowMs),
            requiredClaims
          }).then(
            () => "ok",
            (error: { code?: string }) => String(error.code)
          )
          const ours = check(token)
          expect({ ours: ours === "ok", byJose: byJose === "ok", why: [ours, byJose] }).toMatchObject({
            ours: byJose === "ok"
          })
        }
      ),
      { numRuns: 400 }
    )
  })
})
