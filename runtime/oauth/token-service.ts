import type { KeyObject } from "node:crypto"
import { createHash, randomUUID } from "node:crypto"
import { Clock, Context, Data, Duration, Effect, Layer, Schedule } from "effect"
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, SignJWT } from "jose"
import { SigningKeys } from "../../application/ports/oauth.ts"
import type { Scope } from "../../domain/api-key.ts"
import type { StorageError } from "../../domain/errors.ts"
import {
  expandScopes,
  formatClientId,
  type OAuthClientRecord,
  type PublicJwk,
  parseClientId,
  type SigningKeyRecord
} from "../../domain/oauth.ts"
import { AppConfig, type AppSettings, oauthUrls } from "../config.ts"
import { storageReason } from "../failures.ts"
import { makeRefreshingSet } from "../tenancy/refreshing-set.ts"
import { claimsRefusal, readAccessToken, signatureHolds, verificationKey } from "./access-token-check.ts"

/**
 * Access tokens (RFC 9068 JWTs, `typ: at+jwt`, EdDSA over Ed25519) and the keys that sign them.
 *
 * Signing keys live in the control database and serve every tenant (the tenant is a claim). Each
 * instance holds them in memory, read again once per KEY_CACHE_TTL_MS, so checking a token costs no
 * database read. The instance that claims the rotation job publishes the next key OAUTH_KEY_LEAD_S
 * (at least one cache TTL) before it signs, so every instance and every cached JWKS knows a key
 * before its first token arrives; a key is removed once every token it signed has expired.
 */

/** No key this instance can sign with: the token endpoint answers 503. */
export class SigningUnavailable extends Data.TaggedError("SigningUnavailable")<{ readonly reason: string }> {}

export interface IssuedToken {
  readonly accessToken: string
  readonly expiresIn: number
  readonly scopes: ReadonlyArray<Scope>
}

/** What a checked token says. */
export interface VerifiedToken {
  readonly tenantId: string
  /** `posc_<id>` */
  readonly clientId: string
  readonly clientNumber: number
  readonly scopes: ReadonlyArray<Scope>
  readonly expiresAtMs: number
}

/** A token refused, with the reason for the server log (the caller only sees the one 401). */
export interface RefusedToken {
  readonly refused: string
}

export type SigningKeyStatus = "pending" | "signing" | "retiring"

export interface SigningKeyView {
  readonly kid: string
  readonly status: SigningKeyStatus
  readonly createdAt: Date
  readonly activatesAt: Date
  /** When the key is removed (every token it signed has expired); null while it still signs or waits. */
  readonly removableAt: Date | null
  /** Why this instance cannot sign with it (the sealing key is missing); null when it can. */
  readonly problem: string | null
}

interface LoadedKey {
  readonly record: SigningKeyRecord
  readonly verify: KeyObject
  readonly sign: CryptoKey | undefined
}

/** A token longer than this is refused unread: ours are about 600 bytes. */
const maxTokenLength = 4096
/** Verified tokens kept at most: their hash and claims, about 200 bytes each. */
const maxCachedTokens = 100_000
/** How long after the next key signs its predecessor is kept, beyond the token lifetime: clock skew between instances. */
const retireMarginMs = 60_000
/** A token naming a key this instance does not know reads the keys again at most this often. */
const unknownKidRefreshMs = 1000
/** Seconds of clock skew allowed on `iat` and `exp` between the instance that signed and the one that checks. */
const clockToleranceSeconds = 5

/** The claims every token this service issues carries (RFC 9068 section 2.2, and ours). */
const requiredClaims = ["exp", "iat", "jti", "sub", "client_id", "scope", "tenant_id"]

const tokenHash = (token: string) => createHash("sha256").update(token).digest("base64url")

export const signingTimes = (settings: AppSettings) => {
  const leadMs = Math.max(settings.oauth.keyLeadSeconds * 1000, settings.keyCacheTtlMs)
  return {
    leadMs,
    rotationMs: settings.oauth.keyRotationSeconds * 1000,
    tokenTtlMs: settings.oauth.tokenTtlSeconds * 1000,
    /**
     * How long a JWKS may be cached by others: it must know the next key before that key signs, and
     * the set it was served may already be a key cache TTL old.
     */
    jwksMaxAgeSeconds: Math.max(0, Math.min(300, Math.floor((leadMs - settings.keyCacheTtlMs) / 1000))),
    /** How often the rotation job runs. */
    tickMs: Math.min(60_000, Math.max(500, Math.floor(leadMs / 2)))
  }
}

/** Each key's state at `now`, from the keys' times alone (every instance sees the same). */
export const keyStatuses = (
  keys: ReadonlyArray<SigningKeyRecord>,
  now: number,
  tokenTtlMs: number
): ReadonlyArray<SigningKeyView> => {
  const sorted = [...keys].sort((a, b) => a.activatesAt.getTime() - b.activatesAt.getTime())
  return sorted.map((record, index) => {
    const successor = sorted.slice(index + 1).find((next) => next.activatesAt.getTime() <= now)
    const status: SigningKeyStatus =
      record.activatesAt.getTime() > now ? "pending" : successor === undefined ? "signing" : "retiring"
    return {
      kid: record.kid,
      status,
      createdAt: record.createdAt,
      activatesAt: record.activatesAt,
      removableAt:
        successor === undefined ? null : new Date(successor.activatesAt.getTime() + tokenTtlMs + retireMarginMs),
      problem: record.privateProblem
    }
  })
}

const newKey = Effect.fnUntraced(function* (now: number, activatesAt: number) {
  const pair = yield* Effect.promise(() => generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true }))
  const kid = `${new Date(now).toISOString().slice(0, 10).replaceAll("-", "")}-${randomUUID().slice(0, 8)}`
  const publicJwk = yield* Effect.promise(() => exportJWK(pair.publicKey))
  const privateJwk = yield* Effect.promise(() => exportJWK(pair.privateKey))
  return {
    kid,
    publicJwk: { kty: "OKP", crv: "Ed25519", x: String(publicJwk.x), kid, alg: "EdDSA", use: "sig" } as PublicJwk,
    privateJwk: JSON.stringify({ ...privateJwk, kid, alg: "EdDSA" }),
    createdAt: new Date(now),
    activatesAt: new Date(activatesAt)
  }
})

const importKey = (record: SigningKeyRecord) =>
  Effect.promise(async (): Promise<LoadedKey> => {
    const verify = verificationKey(record.publicJwk)
    const sign =
      record.privateJwk === null ? undefined : ((await importJWK(JSON.parse(record.privateJwk), "EdDSA")) as CryptoKey)
    return { record, verify, sign }
  })

export class OAuthTokens extends Context.Service<
  OAuthTokens,
  {
    readonly issue: (
      tenantId: string,
      client: OAuthClientRecord,
      scopes: ReadonlyArray<Scope>
    ) => Effect.Effect<IssuedToken, SigningUnavailable>
    /** Checks signature, type, issuer (the tenant's), audience and expiry; no database read in the steady state. */
    readonly verify: (tenantId: string, token: string) => Effect.Effect<VerifiedToken | RefusedToken>
    /** The published keys (RFC 7517), pending ones included. */
    readonly jwks: Effect.Effect<ReadonlyArray<PublicJwk>, StorageError>
    readonly keys: Effect.Effect<ReadonlyArray<SigningKeyView>, StorageError>
    /**
     * Publishes the next key now, to sign after the lead time (a key waiting already is answered
     * instead, `created: false`); with no key at all, the new key signs at once.
     */
    readonly publishNext: Effect.Effect<{ readonly key: SigningKeyView; readonly created: boolean }, StorageError>
    /** One run of the rotation job: publish the next key when due, remove retired ones. Only under the claim. */
    readonly maintain: Effect.Effect<void, StorageError>
  }
>()("pos/runtime/OAuthTokens") {
  static readonly make = (background: boolean) =>
    Effect.gen(function* () {
      const settings = yield* AppConfig
      const store = yield* SigningKeys
      const times = signingTimes(settings)
      const owner = randomUUID()
      const verified = new Map<string, VerifiedToken>()

      // The published keys as held in memory, read again once per KEY_CACHE_TTL_MS (one read at a
      // time, the last good set answering a slow or failed read), as the live key ids are.
      const published = yield* makeRefreshingSet<SigningKeyRecord>({
        name: "token signing keys",
        load: store.list,
        ttlMs: settings.keyCacheTtlMs
      })
      // Imported keys are kept by kid (importing costs more than a check): a key's row never changes,
      // but its private part may open after a restart with another ring.
      const imported = new Map<string, LoadedKey>()
      // The set last imported and its keys: the set held is the same object until a read replaces it
      // (nothing here adds to it or deletes from it in place), so a check does not import it again.
      let importedFrom: ReadonlySet<SigningKeyRecord> | undefined
      let importedKeys: ReadonlyMap<string, LoadedKey> = imported
      const importAll = (records: ReadonlySet<SigningKeyRecord>) =>
        records === importedFrom ? Effect.succeed(importedKeys) : importFresh(records)
      const importFresh = (records: ReadonlySet<SigningKeyRecord>) =>
        Effect.gen(function* () {
          const keys = new Map<string, LoadedKey>()
          for (const record of records) {
            const known = imported.get(record.kid)
            keys.set(
              record.kid,
              known !== undefined && known.record.privateJwk === record.privateJwk ? known : yield* importKey(record)
            )
          }
          imported.clear()
          for (const [kid, key] of keys) imported.set(kid, key)
          importedFrom = records
          importedKeys = keys
          return keys as ReadonlyMap<string, LoadedKey>
        })
      const none: ReadonlyMap<string, LoadedKey> = new Map()
      /** The keys held; none while no read has ever succeeded. */
      const current = Effect.flatMap(published.current, importAll).pipe(Effect.orElseSucceed(() => none))
      /** The keys read again now (the store has changed, or a token names a key not held). */
      const refreshed = Effect.flatMap(published.refresh, importAll).pipe(Effect.orElseSucceed(() => none))
      let lastUnknownRefresh = Number.NEGATIVE_INFINITY

      const signer = (keys: ReadonlyMap<string, LoadedKey>, now: number) => {
        let best: LoadedKey | undefined
        for (const key of keys.values()) {
          if (key.record.activatesAt.getTime() > now) continue
          if (best === undefined || key.record.activatesAt.getTime() >= best.record.activatesAt.getTime()) best = key
        }
        return best
      }

      const unavailable = (reason: string) => Effect.fail(new SigningUnavailable({ reason }))

      const issue = (tenantId: string, client: OAuthClientRecord, scopes: ReadonlyArray<Scope>) =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          let keys = yield* current
          if (signer(keys, now) === undefined) keys = yield* refreshed
          const key = signer(keys, now)
          if (key === undefined) return yield* unavailable("no signing key has been published yet")
          if (key.sign === undefined) {
            return yield* unavailable(
              `signing key '${key.record.kid}' cannot be used here: ${key.record.privateProblem}`
            )
          }
          const { issuer, audience } = urlsOf(tenantId)
          const issuedAt = Math.floor(now / 1000)
          const clientExpiry =
            client.expiresAt === null ? Number.POSITIVE_INFINITY : Math.floor(client.expiresAt.getTime() / 1000)
          const expires = Math.min(issuedAt + settings.oauth.tokenTtlSeconds, clientExpiry)
          const clientId = formatClientId(client.id)
          const signing = key.sign
          const accessToken = yield* Effect.promise(() =>
            new SignJWT({ client_id: clientId, scope: scopes.join(" "), tenant_id: tenantId })
              .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: key.record.kid })
              .setIssuer(issuer)
              .setSubject(clientId)
              .setAudience(audience)
              .setIssuedAt(issuedAt)
              .setExpirationTime(expires)
              .setJti(randomUUID())
              .sign(signing)
          )
          return { accessToken, expiresIn: Math.max(0, expires - issuedAt), scopes } satisfies IssuedToken
        })

      const refusal = (refused: string): RefusedToken => ({ refused })

      // Each tenant's issuer and audience, built once (tenants are those the directory resolved).
      const tenantUrls = new Map<string, ReturnType<typeof oauthUrls>>()
      const urlsOf = (tenantId: string) => {
        let urls = tenantUrls.get(tenantId)
        if (urls === undefined) {
          urls = oauthUrls(settings, tenantId)
          tenantUrls.set(tenantId, urls)
        }
        return urls
      }

      /** The key a token names, reading the keys again (at most once a second) when it is unknown here. */
      const keyFor = (kid: string) =>
        Effect.gen(function* () {
          const known = (yield* current).get(kid)
          if (known !== undefined) return known
          const now = yield* Clock.currentTimeMillis
          if (now - lastUnknownRefresh < unknownKidRefreshMs) return undefined
          lastUnknownRefresh = now
          return (yield* refreshed).get(kid)
        })

      const remember = (hash: string, token: VerifiedToken) => {
        if (verified.size >= maxCachedTokens) {
          // The oldest entry goes first (a Map keeps insertion order): expired ones are the oldest.
          const oldest = verified.keys().next()
          if (!oldest.done) verified.delete(oldest.value)
        }
        verified.set(hash, token)
      }

      const verify = (tenantId: string, token: string): Effect.Effect<VerifiedToken | RefusedToken> =>
        Effect.gen(function* () {
          if (token.length > maxTokenLength) return refusal("token too long")
          const now = yield* Clock.currentTimeMillis
          const hash = tokenHash(token)
          const cached = verified.get(hash)
          if (cached !== undefined) {
            if (cached.expiresAtMs + clockToleranceSeconds * 1000 <= now) {
              verified.delete(hash)
              return refusal("token expired")
            }
            return cached.tenantId === tenantId ? cached : refusal(`token of tenant '${cached.tenantId}'`)
          }
          const read = readAccessToken(token)
          if ("refused" in read) return read
          const { issuer, audience } = urlsOf(tenantId)
          const claimsRefused = claimsRefusal(read.claims, {
            issuer,
            audience,
            nowMs: now,
            toleranceSeconds: clockToleranceSeconds,
            requiredClaims
          })
          if (claimsRefused !== undefined) return refusal(claimsRefused)
          const claims = read.claims
          const clientId = claims["client_id"]
          const scope = claims["scope"]
          const clientNumber = typeof clientId === "string" ? parseClientId(clientId) : undefined
          if (clientNumber === undefined || claims["sub"] !== clientId || typeof scope !== "string") {
            return refusal("token claims malformed")
          }
          if (claims["tenant_id"] !== tenantId) return refusal("token's tenant_id is another tenant's")
          const words = scope.split(" ").filter((w) => w !== "")
          const { scopes, unknown } = expandScopes(words)
          if (unknown.length > 0) return refusal("token names unknown scopes")
          // The one costly step, last: every check above refuses without it.
          const key = yield* keyFor(read.kid)
          if (key === undefined) return refusal(`token signed by unknown key '${read.kid}'`)
          if (!signatureHolds(read, key.verify)) return refusal("token signature does not verify")
          const checked: VerifiedToken = {
            tenantId,
            clientId: clientId as string,
            clientNumber,
            scopes,
            expiresAtMs: (claims["exp"] as number) * 1000
          }
          remember(hash, checked)
          return checked
        })

      const keys = Effect.gen(function* () {
        const records = yield* published.current
        return keyStatuses([...records], yield* Clock.currentTimeMillis, times.tokenTtlMs)
      })

      const insertKey = (now: number, activatesAt: number) =>
        Effect.flatMap(newKey(now, activatesAt), (key) => store.insert(key))

      // Decided on the store itself, not the keys held: an operator's action sees every instance's keys.
      const publishNext = Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const records = yield* store.list
        const waiting = records.find((r) => r.activatesAt.getTime() > now)
        const record = waiting ?? (yield* insertKey(now, records.length === 0 ? now : now + times.leadMs))
        // This instance publishes it (and signs with a first key) at once.
        if (waiting === undefined) yield* Effect.ignore(published.refresh)
        const all = waiting === undefined ? [...records, record] : records
        return {
          key: keyStatuses(all, now, times.tokenTtlMs).find((v) => v.kid === record.kid)!,
          created: waiting === undefined
        }
      })

      const maintain = Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const records = yield* store.list
        const statuses = keyStatuses(records, now, times.tokenTtlMs)
        const signing = statuses.find((s) => s.status === "signing")
        const pending = statuses.some((s) => s.status === "pending")
        if (signing === undefined && !pending) {
          // A first key signs at once: nobody can have cached a key set without it.
          yield* insertKey(now, now)
          yield* Effect.logInfo("published the first token signing key")
        } else if (
          !pending &&
          signing !== undefined &&
          // Due, or the signing key no longer opens (its sealing key left CREDENTIALS_KEYS): a new one takes over.
          (signing.activatesAt.getTime() + times.rotationMs - times.leadMs <= now || signing.problem !== null)
        ) {
          const record = yield* insertKey(now, now + times.leadMs)
          yield* Effect.logInfo("published the next token signing key", {
            kid: record.kid,
            signsFrom: record.activatesAt.toISOString()
          })
        }
        const removable = statuses
          .filter((s) => s.removableAt !== null && s.removableAt.getTime() <= now)
          .map((s) => s.kid)
        if (removable.length > 0) {
          yield* store.remove(removable)
          yield* Effect.logInfo("removed retired token signing keys", { kids: removable.join(",") })
        }
        yield* published.refresh
      })

      const claimAndMaintain = Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const claimed = yield* store.claimRotation(owner, new Date(now), new Date(now + times.tickMs * 2))
        // Either way the keys held stay fresh, so a token is rarely the one to wait for a read.
        if (claimed) yield* maintain
        else yield* published.current
      }).pipe(Effect.catch((error) => Effect.logWarning("token signing keys not maintained", storageReason(error))))

      if (background) {
        yield* claimAndMaintain
        yield* claimAndMaintain.pipe(Effect.repeat(Schedule.spaced(Duration.millis(times.tickMs))), Effect.forkScoped)
      }

      return OAuthTokens.of({
        issue,
        verify,
        jwks: Effect.map(published.current, (records) => [...records].map((record) => record.publicJwk)),
        keys,
        publishNext,
        maintain
      })
    })

  /**
   * With `background`, the rotation job runs on a timer and once before the layer is ready (a fresh
   * installation has its first key before the first request); without it (the admin CLI), only
   * what is asked of it.
   */
  static readonly layerWith = (options: { readonly background: boolean }) =>
    Layer.effect(OAuthTokens, OAuthTokens.make(options.background))
  static readonly layer = OAuthTokens.layerWith({ background: true })
}
