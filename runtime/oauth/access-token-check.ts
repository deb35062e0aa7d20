import { createPublicKey, type KeyObject, verify } from "node:crypto"
import type { PublicJwk } from "../../domain/oauth.ts"

/**
 * The check of an access token (RFC 9068: a compact JWS, `typ: at+jwt`, EdDSA over Ed25519):
 * its form, then its claims, then its signature, which is the one costly step.
 *
 * The claims are read before the signature is checked, to refuse only: a token refused for its
 * claims tells its sender nothing (every refusal is the same 401), and a token the claims would
 * refuse costs no signature check. Nothing a token says is believed until its signature is.
 *
 * The signature is checked by node:crypto in place, as one call: an Ed25519 signature whose S is
 * not below the group order (RFC 8032 section 5.1.7: most random ones) is refused in a few
 * microseconds, a well-formed one costs a full verification (about 70 us here), and no promise or
 * thread hop is paid either way.
 */

/** The rules a token's claims are checked against. */
export interface AccessTokenRules {
  readonly issuer: string
  readonly audience: string
  readonly nowMs: number
  /** Clock skew allowed on `exp` and `nbf`, in seconds. */
  readonly toleranceSeconds: number
  /** Claims a token must carry. */
  readonly requiredClaims: ReadonlyArray<string>
}

/** A token in its parts, its header and claims decoded, nothing of it checked yet but its form. */
export interface ReadToken {
  readonly kid: string
  readonly header: Readonly<Record<string, unknown>>
  readonly claims: Readonly<Record<string, unknown>>
  readonly signingInput: string
  readonly signature: Buffer
}

export interface Refusal {
  readonly refused: string
}

const refusal = (refused: string): Refusal => ({ refused })

const base64url = /^[A-Za-z0-9_-]+$/

/** A JSON object from a base64url segment; undefined when it is not one. */
const jsonObject = (segment: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"))
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** RFC 9068 section 4: `at+jwt`, or its full media type, in any case. */
const isAccessTokenType = (typ: unknown) =>
  typeof typ === "string" && typ.toLowerCase().replace(/^application\//, "") === "at+jwt"

/** The token's parts and header, or why its form is refused. */
export const readAccessToken = (token: string): ReadToken | Refusal => {
  const parts = token.split(".")
  if (parts.length !== 3) return refusal("malformed token")
  const [headerPart, claimsPart, signaturePart] = parts as [string, string, string]
  if (!base64url.test(headerPart) || !base64url.test(claimsPart) || !base64url.test(signaturePart)) {
    return refusal("malformed token")
  }
  const header = jsonObject(headerPart)
  if (header === undefined) return refusal("malformed token")
  if (header["alg"] !== "EdDSA") return refusal(`token algorithm ${JSON.stringify(header["alg"])} is not EdDSA`)
  if (!isAccessTokenType(header["typ"])) return refusal(`token type ${JSON.stringify(header["typ"])} is not at+jwt`)
  // RFC 7515 section 4.1.11: an extension the checker does not understand must be refused; none is.
  if ("crit" in header || "b64" in header) return refusal("token header names extensions")
  const kid = header["kid"]
  if (typeof kid !== "string" || kid === "") return refusal("token without kid")
  const claims = jsonObject(claimsPart)
  if (claims === undefined) return refusal("malformed token claims")
  const signature = Buffer.from(signaturePart, "base64url")
  // Ed25519 signatures are 64 bytes, in 86 characters of base64url whose unused last bits are zero:
  // one signature has one spelling.
  if (signature.length !== 64 || signature.toString("base64url") !== signaturePart) {
    return refusal("malformed token signature")
  }
  return { kid, header, claims, signingInput: `${headerPart}.${claimsPart}`, signature }
}

const isNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value)

/** Why the claims are refused under the rules (read before the signature is checked); undefined when they pass. */
export const claimsRefusal = (
  claims: Readonly<Record<string, unknown>>,
  rules: AccessTokenRules
): string | undefined => {
  for (const name of rules.requiredClaims) {
    if (!(name in claims)) return `token claim '${name}' missing`
  }
  const now = Math.floor(rules.nowMs / 1000)
  const { exp, nbf, iat, iss, aud } = claims
  if (exp !== undefined && !isNumber(exp)) return "token claim 'exp' is not a number"
  if (iat !== undefined && !isNumber(iat)) return "token claim 'iat' is not a number"
  if (nbf !== undefined && !isNumber(nbf)) return "token claim 'nbf' is not a number"
  if (iss !== rules.issuer) return "token issued by another issuer"
  const audiences = Array.isArray(aud) ? aud : [aud]
  if (!audiences.includes(rules.audience)) return "token for another audience"
  if (exp !== undefined && exp <= now - rules.toleranceSeconds) return "token expired"
  if (nbf !== undefined && nbf > now + rules.toleranceSeconds) return "token not valid yet"
  return undefined
}

/** A published key as node:crypto checks signatures with it. */
export const verificationKey = (jwk: PublicJwk): KeyObject =>
  createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: "jwk" })

/** Whether the token's signature is the key's over its header and claims. */
export const signatureHolds = (token: ReadToken, key: KeyObject): boolean => {
  try {
    return verify(null, Buffer.from(token.signingInput), key, token.signature)
  } catch {
    return false
  }
}
