/**
 * A tenant's OAuth 2.0 clients as operators manage them (create, rotate the secret with an overlap,
 * revoke) and as the token endpoint authenticates them. A client's secret is shown once and kept as
 * a hash, as a key's is.
 */
import { Clock, Effect } from "effect"
import type { Scope } from "../../domain/api-key.ts"
import { InvalidInput, NotFound, Rejected } from "../../domain/errors.ts"
import {
  clientState,
  expandScopes,
  formatClientId,
  formatClientSecret,
  type OAuthClientRecord,
  parseClientId,
  parseClientSecret
} from "../../domain/oauth.ts"
import { overlapUntil } from "../../domain/secret-rotation.ts"
import { MAX_ROTATION_OVERLAP_SECONDS } from "../admin/api-key-admin.ts"
import { KeySecrets } from "../ports/key-secrets.ts"
import { OAuthClients } from "../ports/oauth.ts"

export interface CreateClientInput {
  readonly name: string
  /** SPEC 3's scopes; `loyalty:*` stands for both loyalty scopes. */
  readonly scopes: ReadonlyArray<string>
  readonly expiresAt: Date | null
}

export interface IssuedClient {
  readonly client: OAuthClientRecord
  /** The secret, shown once: only its hash is stored. */
  readonly secret: string
}

/** The scopes a client is given: each known, at least one; the unknown ones are named. */
export const clientScopes = (words: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<Scope>, InvalidInput> => {
  const { scopes, unknown } = expandScopes(words)
  if (unknown.length > 0) {
    return Effect.fail(
      new InvalidInput({
        details: `scopes: unknown scope ${unknown.map((w) => `'${w}'`).join(", ")} (known: the scopes of API keys, and loyalty:*)`
      })
    )
  }
  if (scopes.length === 0)
    return Effect.fail(new InvalidInput({ details: "scopes: a client needs at least one scope" }))
  return Effect.succeed(scopes)
}

export const createClient = Effect.fnUntraced(function* (input: CreateClientInput) {
  const clients = yield* OAuthClients
  const secrets = yield* KeySecrets
  const now = new Date(yield* Clock.currentTimeMillis)
  if (input.expiresAt !== null && input.expiresAt.getTime() <= now.getTime()) {
    return yield* new InvalidInput({ details: "expiresAt: must be in the future" })
  }
  const name = input.name.trim()
  if (name === "") return yield* new InvalidInput({ details: "name: must not be empty" })
  const scopes = yield* clientScopes(input.scopes)
  const secret = secrets.generate()
  const client = yield* clients.insert({
    name,
    scopes,
    secretHash: secrets.hash(secret),
    expiresAt: input.expiresAt,
    createdAt: now
  })
  return { client, secret: formatClientSecret(secret) } satisfies IssuedClient
})

/** A client by its `posc_<id>`; anything else, or an unknown id, is the 404 `oauth client not found`. */
export const clientOrNotFound = Effect.fnUntraced(function* (clientId: string) {
  const id = parseClientId(clientId)
  const client = id === undefined ? undefined : yield* (yield* OAuthClients).findById(id)
  if (client === undefined) return yield* new NotFound({ resource: "oauth client", id: clientId })
  return client
})

/** Revokes the client (its tokens are refused within the cache TTL); a client revoked before is answered as it is. */
export const revokeClient = Effect.fnUntraced(function* (clientId: string) {
  const client = yield* clientOrNotFound(clientId)
  if (client.revokedAt !== null) return { client, already: true }
  const revoked = yield* (yield* OAuthClients).revoke(client.id, new Date(yield* Clock.currentTimeMillis))
  return { client: revoked ?? client, already: false }
})

/**
 * A new secret; the current one keeps working for `overlapSeconds` (0: stops at once), so a partner
 * switches without downtime. A secret that was still overlapping from an earlier rotation stops now.
 */
export const rotateClientSecret = Effect.fnUntraced(function* (clientId: string, overlapSeconds: number) {
  if (!Number.isSafeInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > MAX_ROTATION_OVERLAP_SECONDS) {
    return yield* new InvalidInput({
      details: `overlapSeconds: must be a whole number from 0 to ${MAX_ROTATION_OVERLAP_SECONDS} (30 days), got ${overlapSeconds}`
    })
  }
  const client = yield* clientOrNotFound(clientId)
  const now = new Date(yield* Clock.currentTimeMillis)
  const state = clientState(client, now)
  if (state !== "active") {
    return yield* new Rejected({
      status: 409,
      message: "client not active",
      details: `oauth client ${formatClientId(client.id)} is ${state}: only an active client's secret is rotated; create a new client instead`
    })
  }
  const secrets = yield* KeySecrets
  const secret = secrets.generate()
  const rotated = yield* (yield* OAuthClients).rotateSecret(
    client.id,
    secrets.hash(secret),
    new Date(now.getTime() + overlapSeconds * 1000)
  )
  if (rotated === undefined) return yield* new NotFound({ resource: "oauth client", id: clientId })
  return { client: rotated, secret: formatClientSecret(secret) } satisfies IssuedClient
})

/** Why a client was refused: for the server log only; the caller always gets the one `invalid_client`. */
export type ClientRefusal = "malformed" | "unknown client" | "secret mismatch" | "expired" | "revoked"

/**
 * Checks presented client credentials against the tenant's store: the current secret, or the
 * previous one while its overlap lasts. The secret is hashed and compared even for an unknown
 * client, so the timing does not tell which client ids exist.
 */
export const authenticateClient = Effect.fnUntraced(function* (clientId: string, presentedSecret: string) {
  const secrets = yield* KeySecrets
  const id = parseClientId(clientId)
  const secret = parseClientSecret(presentedSecret)
  const client = id === undefined || secret === undefined ? undefined : yield* (yield* OAuthClients).findById(id)
  const now = new Date(yield* Clock.currentTimeMillis)
  const candidate = secret ?? presentedSecret
  const current = secrets.matches(candidate, client?.secretHash ?? "")
  const previous =
    client?.previousSecretHash != null &&
    overlapUntil(client, now) !== null &&
    secrets.matches(candidate, client.previousSecretHash)
  if (id === undefined || secret === undefined) return { refused: "malformed" as ClientRefusal }
  if (client === undefined) return { refused: "unknown client" as ClientRefusal }
  if (!current && !previous) return { refused: "secret mismatch" as ClientRefusal }
  const state = clientState(client, now)
  if (state !== "active") return { refused: state as ClientRefusal }
  return { client }
})
