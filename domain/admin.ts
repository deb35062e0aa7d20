import { keyParser, keyState } from "./api-key.ts"

/**
 * Operators: admin keys (kept in the control database, for every tenant at once) and the audit log
 * of what operators changed.
 */

/** A stored admin key: as with partner keys, only the secret's hash is kept. */
export interface AdminKeyRecord {
  readonly id: number
  readonly name: string
  readonly secretHash: string
  readonly createdAt: Date
  /** Who issued it: an actor as the audit log names one (`admin key 3 (alice)`, `admin CLI`). */
  readonly createdBy: string
  readonly expiresAt: Date | null
  readonly revokedAt: Date | null
  readonly lastUsedAt: Date | null
}

export interface NewAdminKey {
  readonly name: string
  readonly secretHash: string
  readonly createdAt: Date
  readonly createdBy: string
  readonly expiresAt: Date | null
}

/**
 * An admin key reads `posa_<keyId>_<secret>`: its own prefix, so neither kind of key is mistaken
 * for the other (a partner key presented to the admin API is refused without a lookup).
 */
export const parseAdminKey = keyParser("posa")

export const formatAdminKey = (keyId: number, secret: string): string => `posa_${keyId}_${secret}`

export const adminKeyState = keyState

/** Who did an admin change: an admin key, or the CLI on the service's own machine. */
export interface AdminActor {
  /** The admin key's id; null for the local CLI (its token is not a key). */
  readonly keyId: number | null
  /** For the log: `admin key 3 (alice)` or `admin CLI`. */
  readonly name: string
}

export const actorName = (actor: AdminActor): string => actor.name

/** One admin change. Never a secret: a key's id and name, a credential's outlet, not their values. */
export interface AuditEntry {
  /** Ascending in the order entries were recorded. */
  readonly id: number
  readonly at: Date
  readonly actor: string
  /** What was done, `<resource>.<verb>`: `tenant.create`, `api-key.rotate`, `credentials.set`. */
  readonly action: string
  /** The tenant it concerns, if any. */
  readonly tenantId: string | null
  /** The object it concerns within the tenant (`key 7`, `outlet out_...`), if any. */
  readonly target: string | null
  /** In words, without secrets: `issued partner key 7 'kiosk' (scopes ...)`. */
  readonly summary: string
  /** The client's address (the proxy's client address where TRUST_PROXY believes it); null for the CLI. */
  readonly address: string | null
}

export type NewAuditEntry = Omit<AuditEntry, "id">
