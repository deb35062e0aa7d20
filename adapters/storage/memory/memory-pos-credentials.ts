import { Effect, Semaphore } from "effect"
import {
  type CredentialLevel,
  PosCredentialStore,
  UnreadableCredentials
} from "../../../application/ports/pos-credentials.ts"
import { NotFound, StorageError } from "../../../domain/errors.ts"
import { type CredentialSealer, purposes } from "../../crypto/credential-sealer.ts"
import { resealValues } from "../../crypto/reseal.ts"

/** One tenant's POS credentials in memory, sealed as a database would hold them. */
export interface CredentialTables {
  /** storeId -> sealed text */
  readonly outlets: Map<string, string>
  /** JSON [provider, accountId] -> sealed text */
  readonly accounts: Map<string, string>
  readonly locks: Map<string, Semaphore.Semaphore>
}

export const makeCredentialTables = (): CredentialTables => ({
  outlets: new Map(),
  accounts: new Map(),
  locks: new Map()
})

const accountKey = (provider: string, accountId: string) => JSON.stringify([provider, accountId])

/**
 * The in-memory PosCredentialStore. `storeExists` answers whether the tenant has the outlet (the
 * SQL tables refuse credentials of no outlet; so does this). The lock is a semaphore per key: this
 * process is the only instance there is.
 */
export const makeMemoryPosCredentials = (
  t: CredentialTables,
  sealer: CredentialSealer,
  tenantId: string,
  storeExists: (storeId: string) => boolean
) => {
  const open = (level: CredentialLevel, purpose: string, stored: string | undefined) =>
    stored === undefined
      ? Effect.succeed(undefined)
      : sealer
          .open(stored, purpose)
          .pipe(Effect.mapError((error) => new UnreadableCredentials({ level, reason: error.message })))
  const seal = (text: string, purpose: string) =>
    sealer
      .seal(text, purpose)
      .pipe(Effect.mapError((cause) => new StorageError({ operation: "seal the credentials", cause })))
  const lockOf = (key: string) => {
    let lock = t.locks.get(key)
    if (lock === undefined) {
      lock = Semaphore.makeUnsafe(1)
      t.locks.set(key, lock)
    }
    return lock
  }
  return PosCredentialStore.of({
    getOutlet: (storeId) =>
      Effect.suspend(() => open("outlet", purposes.outlet(tenantId, storeId), t.outlets.get(storeId))),
    setOutlet: (storeId, text) =>
      Effect.suspend(
        (): Effect.Effect<void, NotFound | StorageError> =>
          storeExists(storeId)
            ? Effect.map(
                seal(text, purposes.outlet(tenantId, storeId)),
                (sealed) => void t.outlets.set(storeId, sealed)
              )
            : Effect.fail(new NotFound({ resource: "outlet", id: storeId }))
      ),
    getAccount: (provider, accountId) =>
      Effect.suspend(() =>
        open(
          "account",
          purposes.account(tenantId, provider, accountId),
          t.accounts.get(accountKey(provider, accountId))
        )
      ),
    setAccount: (provider, accountId, text) =>
      Effect.map(
        seal(text, purposes.account(tenantId, provider, accountId)),
        (sealed) => void t.accounts.set(accountKey(provider, accountId), sealed)
      ),
    deleteOutlet: (storeId) => Effect.sync(() => t.outlets.delete(storeId)),
    deleteAccount: (provider, accountId) => Effect.sync(() => t.accounts.delete(accountKey(provider, accountId))),
    withLock: (key) => (effect) => Effect.suspend(() => lockOf(key).withPermit(effect)),
    reseal: Effect.suspend(() =>
      resealValues(sealer, [
        ...[...t.outlets].map(([storeId, stored]) => ({
          stored,
          purpose: purposes.outlet(tenantId, storeId),
          replace: (sealed: string) =>
            Effect.sync(() => t.outlets.get(storeId) === stored && Boolean(t.outlets.set(storeId, sealed)))
        })),
        ...[...t.accounts].map(([key, stored]) => {
          const [provider, accountId] = JSON.parse(key) as [string, string]
          return {
            stored,
            purpose: purposes.account(tenantId, provider, accountId),
            replace: (sealed: string) =>
              Effect.sync(() => t.accounts.get(key) === stored && Boolean(t.accounts.set(key, sealed)))
          }
        })
      ])
    )
  })
}
