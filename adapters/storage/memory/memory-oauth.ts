import { Effect } from "effect"
import { OAuthClients, SigningKeys } from "../../../application/ports/oauth.ts"
import { StorageError } from "../../../domain/errors.ts"
import type { OAuthClientRecord, SigningKeyRecord } from "../../../domain/oauth.ts"

/** One tenant's OAuth clients in memory: what its `oauth_clients` table would hold. */
export interface OAuthClientTable {
  readonly clients: Map<number, OAuthClientRecord>
  nextId: number
}

export const makeOAuthClientTable = (): OAuthClientTable => ({ clients: new Map(), nextId: 1 })

// A Date is mutable: the store keeps copies of the ones it is given and hands out copies of its
// own, so a caller changing one changes neither the store nor another caller's record.
const copyDate = (date: Date) => new Date(date.getTime())
const copyDateOrNull = (date: Date | null) => (date === null ? null : copyDate(date))

const copyClient = (client: OAuthClientRecord): OAuthClientRecord => ({
  ...client,
  scopes: [...client.scopes],
  previousSecretExpiresAt: copyDateOrNull(client.previousSecretExpiresAt),
  expiresAt: copyDateOrNull(client.expiresAt),
  revokedAt: copyDateOrNull(client.revokedAt),
  lastUsedAt: copyDateOrNull(client.lastUsedAt),
  createdAt: copyDate(client.createdAt)
})

const copyOrUndefined = (client: OAuthClientRecord | undefined) =>
  client === undefined ? undefined : copyClient(client)

/** A tenant's OAuth clients in memory: ids ascend from 1, as the table's identity does. */
export const makeMemoryOAuthClients = (table: OAuthClientTable) => {
  const update = (id: number, change: (client: OAuthClientRecord) => OAuthClientRecord) => {
    const client = table.clients.get(id)
    if (client === undefined) return undefined
    const changed = copyClient(change(client))
    table.clients.set(id, changed)
    return copyClient(changed)
  }
  return OAuthClients.of({
    insert: (client) =>
      Effect.sync(() => {
        const record = copyClient({
          ...client,
          id: table.nextId++,
          previousSecretHash: null,
          previousSecretExpiresAt: null,
          revokedAt: null,
          lastUsedAt: null
        })
        table.clients.set(record.id, record)
        return copyClient(record)
      }),
    findById: (id) => Effect.sync(() => copyOrUndefined(table.clients.get(id))),
    list: Effect.sync(() => [...table.clients.values()].sort((a, b) => a.id - b.id).map(copyClient)),
    revoke: (id, at) =>
      Effect.sync(() => {
        const client = table.clients.get(id)
        if (client === undefined || client.revokedAt !== null) return copyOrUndefined(client)
        return update(id, (current) => ({ ...current, revokedAt: at }))
      }),
    rotateSecret: (id, secretHash, previousExpiresAt) =>
      Effect.sync(() =>
        update(id, (current) => ({
          ...current,
          secretHash,
          previousSecretHash: current.secretHash,
          previousSecretExpiresAt: previousExpiresAt
        }))
      ),
    revokedIds: Effect.sync(
      () => new Set([...table.clients.values()].filter((client) => client.revokedAt !== null).map((c) => c.id))
    ),
    touch: (id, at) => Effect.sync(() => void update(id, (current) => ({ ...current, lastUsedAt: at })))
  })
}

const copyKey = (key: SigningKeyRecord): SigningKeyRecord => ({
  ...key,
  publicJwk: { ...key.publicJwk },
  createdAt: copyDate(key.createdAt),
  activatesAt: copyDate(key.activatesAt)
})

/**
 * Signing keys in memory. The private key is kept as given: nothing here outlives the process, so
 * there is nothing at rest to seal, and every key opens.
 */
export const makeMemorySigningKeys = () => {
  const keys = new Map<string, SigningKeyRecord>()
  const rotation: { owner: string | null; claimedUntil: Date | null } = { owner: null, claimedUntil: null }
  return SigningKeys.of({
    list: Effect.sync(() =>
      [...keys.values()]
        .sort(
          (a, b) => a.activatesAt.getTime() - b.activatesAt.getTime() || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0)
        )
        .map(copyKey)
    ),
    // A kid is the table's primary key: a second key under one fails, as the insert would.
    insert: (key) =>
      Effect.suspend(() => {
        if (keys.has(key.kid)) {
          return Effect.fail(
            new StorageError({ operation: "insert signing key", cause: `a signing key '${key.kid}' exists already` })
          )
        }
        const record = copyKey({ ...key, privateProblem: null })
        keys.set(key.kid, record)
        return Effect.succeed(copyKey(record))
      }),
    remove: (kids) =>
      Effect.sync(() => {
        for (const kid of kids) keys.delete(kid)
      }),
    claimRotation: (owner, now, until) =>
      Effect.sync(() => {
        const free =
          rotation.claimedUntil === null || rotation.claimedUntil.getTime() <= now.getTime() || rotation.owner === owner
        if (free) {
          rotation.owner = owner
          rotation.claimedUntil = copyDate(until)
        }
        return free
      })
  })
}
