/**
 * Operators' admin keys: issued by the CLI on the service's machine (the first one) or by another
 * operator, checked on every admin request. Refusals are all the same to the caller, as for
 * partner keys; the reason reaches the log only.
 */
import { Clock, Effect } from "effect"
import {
  type AdminActor,
  type AdminKeyRecord,
  adminKeyState,
  formatAdminKey,
  parseAdminKey
} from "../../domain/admin.ts"
import { InvalidApiKey, InvalidInput } from "../../domain/errors.ts"
import { AdminKeys } from "../ports/admin.ts"
import { KeySecrets } from "../ports/key-secrets.ts"

/** Made once: a refusal carries nothing but its reason (see authenticate.ts). */
const refusals = {
  missing: new InvalidApiKey({ reason: "admin key missing" }),
  malformed: new InvalidApiKey({ reason: "not an admin key" }),
  unknown: new InvalidApiKey({ reason: "no admin key with this id" }),
  mismatch: new InvalidApiKey({ reason: "admin key secret mismatch" }),
  expired: new InvalidApiKey({ reason: "admin key expired" }),
  revoked: new InvalidApiKey({ reason: "admin key revoked" })
} as const

export const keyActor = (record: AdminKeyRecord): AdminActor => ({
  keyId: record.id,
  name: `admin key ${record.id} (${record.name})`
})

/** Checks a presented admin key: its actor, or InvalidApiKey. */
export const authenticateAdmin = Effect.fnUntraced(function* (presented: string) {
  const parsed = parseAdminKey(presented)
  if (parsed === undefined) return yield* Effect.fail(presented === "" ? refusals.missing : refusals.malformed)
  const keys = yield* AdminKeys
  const secrets = yield* KeySecrets
  const record = yield* keys.findById(parsed.keyId)
  // Hash even when the id is unknown, so timing does not tell which ids exist.
  const matches = secrets.matches(parsed.secret, record?.secretHash ?? "")
  if (record === undefined || !matches)
    return yield* Effect.fail(record === undefined ? refusals.unknown : refusals.mismatch)
  const now = new Date(yield* Clock.currentTimeMillis)
  const state = adminKeyState(record, now)
  if (state !== "active") return yield* Effect.fail(refusals[state])
  return { actor: keyActor(record), record }
})

export interface IssueAdminKeyInput {
  readonly name: string
  readonly expiresAt: Date | null
  /** Who issues it (the audit log's actor name). */
  readonly createdBy: string
}

/** A new admin key: the record, and the whole key shown once (only its hash is stored). */
export const issueAdminKey = Effect.fnUntraced(function* (input: IssueAdminKeyInput) {
  const keys = yield* AdminKeys
  const secrets = yield* KeySecrets
  const now = new Date(yield* Clock.currentTimeMillis)
  if (input.expiresAt !== null && input.expiresAt.getTime() <= now.getTime()) {
    return yield* new InvalidInput({
      details: `expiresAt: must be in the future, got ${input.expiresAt.toISOString()}`
    })
  }
  const secret = secrets.generate()
  const record = yield* keys.insert({
    name: input.name,
    secretHash: secrets.hash(secret),
    createdAt: now,
    createdBy: input.createdBy,
    expiresAt: input.expiresAt
  })
  return { record, plaintext: formatAdminKey(record.id, secret) }
})
