import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import {
  type CredentialLevel,
  PosCredentialStore,
  UnreadableCredentials
} from "../../../application/ports/pos-credentials.ts"
import { NotFound, StorageError } from "../../../domain/errors.ts"
import { type CredentialSealError, type CredentialSealer, purposes } from "../../crypto/credential-sealer.ts"
import { resealTenantCredentials } from "./credential-migrations.ts"
import { inTransaction, storageFailure } from "./sql-errors.ts"

/**
 * A tenant's POS credentials on its SqlClient: the outlets' in store_credentials.secrets, the POS
 * accounts' in pos_account_credentials, every value sealed (see adapters/crypto/credential-sealer.ts).
 */
export const makeSqlPosCredentials = (sealer: CredentialSealer, tenantId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const open = (level: CredentialLevel, purpose: string) => (stored: string | null | undefined) =>
      stored === null || stored === undefined
        ? Effect.succeed(undefined)
        : sealer
            .open(stored, purpose)
            .pipe(Effect.mapError((error) => new UnreadableCredentials({ level, reason: error.message })))
    const seal = (text: string, purpose: string) =>
      sealer
        .seal(text, purpose)
        .pipe(
          Effect.mapError(
            (cause: CredentialSealError) => new StorageError({ operation: "seal the credentials", cause })
          )
        )
    return PosCredentialStore.of({
      getOutlet: (storeId) =>
        sql<{
          readonly secrets: string | null
        }>`SELECT secrets FROM store_credentials WHERE store_id = ${storeId}`.pipe(
          storageFailure("get outlet credentials"),
          Effect.flatMap((rows) => open("outlet", purposes.outlet(tenantId, storeId))(rows[0]?.secrets))
        ),
      setOutlet: (storeId, text) =>
        Effect.gen(function* () {
          const sealed = yield* seal(text, purposes.outlet(tenantId, storeId))
          // Outlets are never deleted, so one that exists now still does at the upsert.
          const store = yield* sql`SELECT 1 FROM stores WHERE id = ${storeId}`.pipe(storageFailure("find outlet"))
          if (store.length === 0) return yield* new NotFound({ resource: "outlet", id: storeId })
          yield* sql`
            INSERT INTO store_credentials (store_id, identifiers, secrets, updated_at)
            VALUES (${storeId}, '{}'::jsonb, ${sealed}, now())
            ON CONFLICT (store_id) DO UPDATE SET secrets = excluded.secrets, updated_at = excluded.updated_at`.pipe(
            storageFailure("set outlet credentials")
          )
        }),
      getAccount: (provider, accountId) =>
        sql<{ readonly secrets: string }>`
          SELECT secrets FROM pos_account_credentials WHERE provider = ${provider} AND account_id = ${accountId}`.pipe(
          storageFailure("get account credentials"),
          Effect.flatMap((rows) => open("account", purposes.account(tenantId, provider, accountId))(rows[0]?.secrets))
        ),
      setAccount: (provider, accountId, text) =>
        Effect.gen(function* () {
          const sealed = yield* seal(text, purposes.account(tenantId, provider, accountId))
          yield* sql`
            INSERT INTO pos_account_credentials (provider, account_id, secrets, updated_at)
            VALUES (${provider}, ${accountId}, ${sealed}, now())
            ON CONFLICT (provider, account_id) DO UPDATE SET secrets = excluded.secrets, updated_at = excluded.updated_at`.pipe(
            storageFailure("set account credentials")
          )
        }),
      deleteOutlet: (storeId) =>
        sql`
          UPDATE store_credentials SET secrets = NULL, updated_at = now()
          WHERE store_id = ${storeId} AND secrets IS NOT NULL
          RETURNING store_id`.pipe(
          storageFailure("delete outlet credentials"),
          Effect.map((rows) => rows.length > 0)
        ),
      deleteAccount: (provider, accountId) =>
        sql`
          DELETE FROM pos_account_credentials WHERE provider = ${provider} AND account_id = ${accountId}
          RETURNING account_id`.pipe(
          storageFailure("delete account credentials"),
          Effect.map((rows) => rows.length > 0)
        ),
      // A transaction-scoped advisory lock: released by the commit or rollback, whatever happens to
      // this process's fibers; instances on the same database wait for each other.
      withLock: (key) => (effect) =>
        inTransaction(
          sql,
          "lock credentials"
        )(
          Effect.andThen(
            sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`.pipe(storageFailure("lock credentials")),
            effect
          )
        ),
      reseal: resealTenantCredentials(sealer, tenantId).pipe(Effect.provideService(SqlClient.SqlClient, sql))
    })
  })

export const layerSqlPosCredentials = (sealer: CredentialSealer, tenantId: string) =>
  Layer.effect(PosCredentialStore, makeSqlPosCredentials(sealer, tenantId))
