import { Clock, Effect } from "effect"
import { type ApiKeyRecord, type KeyKind, keyState, parseApiKey, type Scope } from "../../domain/api-key.ts"
import { InvalidApiKey, MissingScope } from "../../domain/errors.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { ApiKeys } from "../ports/api-keys.ts"
import { KeySecrets } from "../ports/key-secrets.ts"

/** Who is calling: a valid key of one tenant, or a valid access token of one of its OAuth clients. */
export type Principal = KeyPrincipal | TokenPrincipal

export interface KeyPrincipal {
  readonly scheme: "apiKey"
  readonly tenantId: TenantId
  readonly keyId: number
  readonly name: string
  readonly kind: KeyKind
  readonly scopes: ReadonlyArray<Scope>
  readonly expiresAt: Date | null
}

export interface TokenPrincipal {
  readonly scheme: "bearer"
  readonly tenantId: TenantId
  /** `posc_<id>` */
  readonly clientId: string
  readonly scopes: ReadonlyArray<Scope>
  /** The token's expiry. */
  readonly expiresAt: Date
}

/**
 * One refusal per reason, made once: constructing a tagged error validates its fields and captures
 * a stack trace, which was the largest single cost of refusing a made-up key (profiled). A refusal
 * carries nothing but its reason, so one instance serves every request.
 */
const refusals = {
  missing: new InvalidApiKey({ reason: "missing" }),
  malformed: new InvalidApiKey({ reason: "malformed" }),
  notLive: new InvalidApiKey({ reason: "no live key with this id (unknown, revoked or expired)" }),
  mismatch: new InvalidApiKey({ reason: "secret mismatch" }),
  expired: new InvalidApiKey({ reason: "expired" }),
  revoked: new InvalidApiKey({ reason: "revoked" })
} as const

/**
 * Checks a presented key against the tenant's own key store. Every failure is the same
 * `InvalidApiKey` to the caller; `reason` only reaches the server log.
 */
export const authenticate = Effect.fnUntraced(function* (tenantId: TenantId, presented: string) {
  const parsed = parseApiKey(presented)
  if (parsed === undefined) {
    return yield* Effect.fail(presented === "" ? refusals.missing : refusals.malformed)
  }
  const keys = yield* ApiKeys
  const secrets = yield* KeySecrets
  const now = new Date(yield* Clock.currentTimeMillis)
  // The live ids are held in memory (see ApiKeys.liveIds): a made-up key id never costs a row read.
  const live = yield* keys.liveIds(now)
  const record = live.has(parsed.keyId) ? yield* keys.findById(parsed.keyId) : undefined
  // Hash even when the id is unknown, so timing does not tell which key ids exist.
  const matches = secrets.matches(parsed.secret, record?.secretHash ?? "")
  if (record === undefined || !matches) {
    return yield* Effect.fail(record === undefined ? refusals.notLive : refusals.mismatch)
  }
  const state = keyState(record, now)
  if (state !== "active") return yield* Effect.fail(refusals[state])
  return toPrincipal(tenantId, record)
})

export const toPrincipal = (tenantId: TenantId, record: ApiKeyRecord): KeyPrincipal => ({
  scheme: "apiKey",
  tenantId,
  keyId: record.id,
  name: record.name,
  kind: record.kind,
  scopes: record.scopes,
  expiresAt: record.expiresAt
})

/** For routes that accept any of several scopes (e.g. `/syncs`: `pos:sync` or `products:read`). */
export const requireAnyScope = (
  principal: Principal,
  scopes: ReadonlyArray<Scope>
): Effect.Effect<void, MissingScope> =>
  scopes.some((s) => principal.scopes.includes(s))
    ? Effect.void
    : Effect.fail(new MissingScope({ scope: scopes.join(" or ") }))
