import { allScopes, type Scope } from "./api-key.ts"

/**
 * OAuth 2.0 clients (client credentials grant, RFC 6749 section 4.4), one tenant's, kept in the
 * tenant's own database like its API keys. A client is `posc_<id>`; its secret (shown once, stored
 * as a hash) is `poscs_<base62>`. A rotation keeps the previous secret working until its overlap
 * ends, so a partner can switch without downtime.
 */
export interface OAuthClientRecord {
  readonly id: number
  readonly name: string
  /** What the client may ask for: a subset of SPEC 3's scopes (`loyalty:*` is stored as both loyalty scopes). */
  readonly scopes: ReadonlyArray<Scope>
  readonly secretHash: string
  /** The secret before the latest rotation, working until `previousSecretExpiresAt`; null when none. */
  readonly previousSecretHash: string | null
  readonly previousSecretExpiresAt: Date | null
  readonly expiresAt: Date | null
  readonly revokedAt: Date | null
  readonly lastUsedAt: Date | null
  readonly createdAt: Date
}

export interface NewOAuthClient {
  readonly name: string
  readonly scopes: ReadonlyArray<Scope>
  readonly secretHash: string
  readonly expiresAt: Date | null
  readonly createdAt: Date
}

const maxClientId = 2_147_483_647

export const formatClientId = (id: number): string => `posc_${id}`

/** `posc_12` -> 12; anything else (a number out of range included) -> undefined. */
export const parseClientId = (raw: string): number | undefined => {
  const match = /^posc_([1-9][0-9]{0,9})$/.exec(raw)
  if (match === null) return undefined
  const id = Number(match[1])
  return id <= maxClientId ? id : undefined
}

export const clientSecretPrefix = "poscs_"
export const formatClientSecret = (secret: string): string => `${clientSecretPrefix}${secret}`

/** The random part of a presented secret, or undefined when it is not one of ours. */
export const parseClientSecret = (raw: string): string | undefined => {
  const match = /^poscs_([A-Za-z0-9]{32,128})$/.exec(raw)
  return match === null ? undefined : match[1]
}

export type ClientState = "active" | "expired" | "revoked"

export const clientState = (client: Pick<OAuthClientRecord, "revokedAt" | "expiresAt">, now: Date): ClientState =>
  client.revokedAt !== null && client.revokedAt.getTime() <= now.getTime()
    ? "revoked"
    : client.expiresAt !== null && client.expiresAt.getTime() <= now.getTime()
      ? "expired"
      : "active"

/** The scope words a client or a token request may name: SPEC 3's, and `loyalty:*` for both loyalty scopes. */
export const scopeWildcards: Readonly<Record<string, ReadonlyArray<Scope>>> = {
  "loyalty:*": ["loyalty:read", "loyalty:write"]
}

/**
 * Reads scope words (a list, or RFC 6749's space-separated string) into scopes in SPEC 3's order,
 * each once; the words it does not know are answered apart, so the caller can name them.
 */
export const expandScopes = (
  words: ReadonlyArray<string>
): { readonly scopes: ReadonlyArray<Scope>; readonly unknown: ReadonlyArray<string> } => {
  const wanted = new Set<Scope>()
  const unknown: Array<string> = []
  for (const word of words) {
    // Own keys only: `constructor` or `__proto__` is a word like any other, not the object's.
    const wildcard = Object.hasOwn(scopeWildcards, word) ? scopeWildcards[word] : undefined
    if (wildcard !== undefined) for (const scope of wildcard) wanted.add(scope)
    else if ((allScopes as ReadonlyArray<string>).includes(word)) wanted.add(word as Scope)
    else if (!unknown.includes(word)) unknown.push(word)
  }
  return { scopes: allScopes.filter((scope) => wanted.has(scope)), unknown }
}

/** A public signing key as published in the JWKS (RFC 7517): an Ed25519 OKP key. */
export interface PublicJwk {
  readonly kty: "OKP"
  readonly crv: "Ed25519"
  readonly x: string
  readonly kid: string
  readonly alg: "EdDSA"
  readonly use: "sig"
}

/**
 * A key that signs access tokens, in the control database: signing keys serve every tenant (the
 * tenant is a claim). A key is published from `createdAt` and signs from `activatesAt`: the next key
 * is in every cached JWKS before its first token is seen.
 */
export interface SigningKeyRecord {
  readonly kid: string
  readonly publicJwk: PublicJwk
  /**
   * The private JWK as JSON text, opened from its sealed form by the store; null when it cannot be
   * opened here (sealed under a key this instance lacks: it is still published, never used to sign).
   */
  readonly privateJwk: string | null
  /** Why `privateJwk` is null: the key id and the reason, never key material. */
  readonly privateProblem: string | null
  readonly createdAt: Date
  readonly activatesAt: Date
}

export interface NewSigningKey {
  readonly kid: string
  readonly publicJwk: PublicJwk
  /** JSON text; the store seals it as it seals credentials. */
  readonly privateJwk: string
  readonly createdAt: Date
  readonly activatesAt: Date
}
