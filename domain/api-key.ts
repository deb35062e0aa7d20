import { Schema } from "effect"

export const Scope = Schema.Literals([
  "outlets:read",
  "products:read",
  "menus:read",
  "menus:write",
  "orders:read",
  "orders:write",
  "customers:read",
  "customers:write",
  "loyalty:read",
  "loyalty:write",
  "webhooks:read",
  "webhooks:write",
  "pos:sync"
])
export type Scope = typeof Scope.Type
export const allScopes: ReadonlyArray<Scope> = Scope.literals

export const KeyKind = Schema.Literals(["partner", "pos", "editor"])
export type KeyKind = typeof KeyKind.Type

/** The scopes each kind of key gets unless others are asked for. */
export const presetScopes: Record<KeyKind, ReadonlyArray<Scope>> = {
  partner: allScopes.filter((s) => s !== "pos:sync" && s !== "menus:write"),
  pos: ["pos:sync", "outlets:read", "products:read"],
  editor: ["menus:read", "menus:write", "products:read", "outlets:read"]
}

/** A stored key: the secret itself is never kept, only its hash. */
export interface ApiKeyRecord {
  readonly id: number
  readonly name: string
  readonly kind: KeyKind
  readonly scopes: ReadonlyArray<Scope>
  readonly secretHash: string
  readonly expiresAt: Date | null
  readonly revokedAt: Date | null
  readonly lastUsedAt: Date | null
  readonly createdAt: Date
}

export interface NewApiKey {
  readonly name: string
  readonly kind: KeyKind
  readonly scopes: ReadonlyArray<Scope>
  readonly secretHash: string
  readonly expiresAt: Date | null
  readonly createdAt: Date
}

/**
 * A key reads `posk_<keyId>_<secret>`: the prefix lets scanners recognise a leaked key and the
 * key id finds the row without a scan. The secret is at least 32 base62 characters.
 */
/** Key ids are 32-bit integers in storage: a larger id can name no key. */
const maxKeyId = 2_147_483_647

export interface ParsedApiKey {
  readonly keyId: number
  readonly secret: string
}

/** Reads `<prefix>_<keyId>_<secret>` (admin keys have their own prefix, domain/admin.ts). */
export const keyParser = (prefix: string) => {
  const format = new RegExp(`^${prefix}_([1-9][0-9]{0,9})_([A-Za-z0-9]{32,128})$`)
  return (raw: string): ParsedApiKey | undefined => {
    const match = format.exec(raw)
    if (match === null) return undefined
    const keyId = Number(match[1])
    return keyId <= maxKeyId ? { keyId, secret: match[2]! } : undefined
  }
}

export const parseApiKey = keyParser("posk")

export const formatApiKey = (keyId: number, secret: string): string => `posk_${keyId}_${secret}`

export type KeyState = "active" | "expired" | "revoked"

/** A key's state from its revocation and expiry (partner and admin keys alike). */
export const keyState = (key: Pick<ApiKeyRecord, "revokedAt" | "expiresAt">, now: Date): KeyState =>
  key.revokedAt !== null && key.revokedAt.getTime() <= now.getTime()
    ? "revoked"
    : key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime()
      ? "expired"
      : "active"
