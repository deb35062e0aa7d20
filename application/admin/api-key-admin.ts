/**
 * A tenant's API keys as operators manage them: revoke, and rotate (a new key with the old one's
 * kind, scopes and name; the old one expiring after an overlap, so partners can switch without
 * downtime).
 */
import { Clock, Effect } from "effect"
import { type ApiKeyRecord, keyState } from "../../domain/api-key.ts"
import { InvalidInput, NotFound, Rejected } from "../../domain/errors.ts"
import { keyOwner } from "../../domain/webhook-endpoint.ts"
import { issueApiKey } from "../auth/issue-key.ts"
import { ApiKeys } from "../ports/api-keys.ts"
import { WebhookEndpoints } from "../ports/webhook-endpoints.ts"

/** The longest overlap a rotation may leave the old key alive: 30 days. */
export const MAX_ROTATION_OVERLAP_SECONDS = 30 * 24 * 60 * 60

const keyOrNotFound = Effect.fnUntraced(function* (keyId: number) {
  const key = yield* (yield* ApiKeys).findById(keyId)
  if (key === undefined) return yield* new NotFound({ resource: "api key", id: String(keyId) })
  return key
})

/** Revokes the key; a key revoked before is answered as it is (`already`). */
export const revokeApiKey = Effect.fnUntraced(function* (keyId: number) {
  const key = yield* keyOrNotFound(keyId)
  if (key.revokedAt !== null) return { key, already: true }
  const revoked = yield* (yield* ApiKeys).revoke(key.id, new Date(yield* Clock.currentTimeMillis))
  return { key: revoked ?? key, already: false }
})

export interface RotateInput {
  readonly keyId: number
  /** How long the old key keeps working, 0 (at once) to MAX_ROTATION_OVERLAP_SECONDS. */
  readonly overlapSeconds: number
  /** The new key's expiry (default: none). */
  readonly expiresAt: Date | null
}

/** A new key like the old one, and the old one expiring after the overlap (an earlier expiry is kept). */
export const rotateApiKey = Effect.fnUntraced(function* (input: RotateInput) {
  if (
    !Number.isSafeInteger(input.overlapSeconds) ||
    input.overlapSeconds < 0 ||
    input.overlapSeconds > MAX_ROTATION_OVERLAP_SECONDS
  ) {
    return yield* new InvalidInput({
      details: `overlapSeconds: must be a whole number from 0 to ${MAX_ROTATION_OVERLAP_SECONDS} (30 days), got ${input.overlapSeconds}`
    })
  }
  const old = yield* keyOrNotFound(input.keyId)
  const now = new Date(yield* Clock.currentTimeMillis)
  const state = keyState(old, now)
  if (state !== "active") {
    return yield* new Rejected({
      status: 409,
      message: "key not active",
      details: `api key ${old.id} is ${state}: only an active key is rotated; issue a new key instead`
    })
  }
  const issued = yield* issueApiKey({
    kind: old.kind,
    scopes: old.scopes,
    name: old.name,
    expiresAt: input.expiresAt ?? undefined
  })
  const oldKey: ApiKeyRecord =
    (yield* (yield* ApiKeys).expireBy(old.id, new Date(now.getTime() + input.overlapSeconds * 1000))) ?? old
  // The partner's webhook endpoints follow it to the new key (and keep the orders of the old one).
  yield* (yield* WebhookEndpoints).addOwner(keyOwner(old.id), keyOwner(issued.record.id))
  return { issued, old: oldKey }
})
