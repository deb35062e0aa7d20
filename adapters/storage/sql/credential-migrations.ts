import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import type { ResealReport } from "../../../application/ports/pos-credentials.ts"
import type { StorageError } from "../../../domain/errors.ts"
import { type CredentialSealer, purposes } from "../../crypto/credential-sealer.ts"
import { resealValues } from "../../crypto/reseal.ts"
import { storageFailure } from "./sql-errors.ts"

/**
 * POS credentials of a POS account (a Deliverect account, a Lightspeed business, an Atlas
 * merchant), beside the outlets' own in store_credentials: keyed by (provider, account id), the
 * value sealed like the outlets' (text `v1.<keyId>....`). For the tenant migrations.
 */
export const posCredentialsMigration = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql`
    CREATE TABLE pos_account_credentials (
      provider text COLLATE "C" NOT NULL,
      account_id text COLLATE "C" NOT NULL,
      secrets text NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (provider, account_id)
    )`
)

/**
 * The start-up step that seals a tenant's POS credentials under the current key: values written in
 * plain text by a version before encryption, and values sealed under an older key of the ring. Run
 * when a process first opens the tenant (after its migrations), and by `credentials reseal`.
 */
export const resealTenantCredentials = (
  sealer: CredentialSealer,
  tenantId: string
): Effect.Effect<ResealReport, StorageError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const outlets = yield* sql<{ readonly store_id: string; readonly secrets: string }>`
      SELECT store_id, secrets FROM store_credentials WHERE secrets IS NOT NULL ORDER BY store_id`
    const accounts = yield* sql<{ readonly provider: string; readonly account_id: string; readonly secrets: string }>`
      SELECT provider, account_id, secrets FROM pos_account_credentials ORDER BY provider, account_id`
    const endpoints = yield* sql<{
      readonly id: string
      readonly secret: string
      readonly previous_secret: string | null
    }>`SELECT id, secret, previous_secret FROM webhook_endpoints ORDER BY id`
    const replaced = (rows: ReadonlyArray<unknown>) => rows.length > 0
    return yield* resealValues(sealer, [
      ...outlets.map((row) => ({
        stored: row.secrets,
        purpose: purposes.outlet(tenantId, row.store_id),
        replace: (sealed: string) =>
          sql`UPDATE store_credentials SET secrets = ${sealed}
              WHERE store_id = ${row.store_id} AND secrets = ${row.secrets} RETURNING store_id`.pipe(
            Effect.map(replaced)
          )
      })),
      ...accounts.map((row) => ({
        stored: row.secrets,
        purpose: purposes.account(tenantId, row.provider, row.account_id),
        replace: (sealed: string) =>
          sql`UPDATE pos_account_credentials SET secrets = ${sealed}
              WHERE provider = ${row.provider} AND account_id = ${row.account_id} AND secrets = ${row.secrets}
              RETURNING provider`.pipe(Effect.map(replaced))
      })),
      // Partner webhook secrets: each column sealed for itself, so each is resealed alone.
      ...endpoints.map((row) => ({
        stored: row.secret,
        purpose: purposes.webhookSecret(tenantId, row.id, "secret"),
        replace: (sealed: string) =>
          sql`UPDATE webhook_endpoints SET secret = ${sealed}
              WHERE id = ${row.id} AND secret = ${row.secret} RETURNING id`.pipe(Effect.map(replaced))
      })),
      ...endpoints.flatMap((row) =>
        row.previous_secret === null
          ? []
          : [
              {
                stored: row.previous_secret,
                purpose: purposes.webhookSecret(tenantId, row.id, "previous_secret"),
                replace: (sealed: string) =>
                  sql`UPDATE webhook_endpoints SET previous_secret = ${sealed}
                      WHERE id = ${row.id} AND previous_secret = ${row.previous_secret} RETURNING id`.pipe(
                    Effect.map(replaced)
                  )
              }
            ]
      )
    ])
  }).pipe(storageFailure(`reseal the credentials of tenant ${tenantId}`))

/**
 * The same for the control database: every tenant's loyalty credential. Run when a process starts
 * (after the control migrations), so no value stays in plain text once a version with encryption
 * has started.
 */
export const resealControlCredentials = (sealer: CredentialSealer) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const tenants = yield* sql<{ readonly id: string; readonly loyalty_credential: string }>`
      SELECT id, loyalty_credential FROM tenants WHERE loyalty_credential IS NOT NULL ORDER BY id COLLATE "C"`
    const signingKeys = yield* sql<{ readonly kid: string; readonly private_jwk: string }>`
      SELECT kid, private_jwk FROM oauth_signing_keys ORDER BY kid COLLATE "C"`
    return yield* resealValues(sealer, [
      ...tenants.map((row) => ({
        stored: row.loyalty_credential,
        purpose: purposes.loyalty(row.id),
        replace: (sealed: string) =>
          sql`UPDATE tenants SET loyalty_credential = ${sealed}
              WHERE id = ${row.id} AND loyalty_credential = ${row.loyalty_credential} RETURNING id`.pipe(
            Effect.map((rows) => rows.length > 0)
          )
      })),
      // The private parts of the access tokens' signing keys.
      ...signingKeys.map((row) => ({
        stored: row.private_jwk,
        purpose: purposes.signingKey(row.kid),
        replace: (sealed: string) =>
          sql`UPDATE oauth_signing_keys SET private_jwk = ${sealed}
              WHERE kid = ${row.kid} AND private_jwk = ${row.private_jwk} RETURNING kid`.pipe(
            Effect.map((rows) => rows.length > 0)
          )
      }))
    ])
  }).pipe(storageFailure("reseal the tenants' loyalty credentials and the token signing keys"))

/** Logs what a reseal left as it was: one warning per value, naming the row and the key id. */
export const logResealProblems = (report: ResealReport) =>
  Effect.forEach(report.problems, (problem) => Effect.logWarning(`credentials left as they are: ${problem}`), {
    discard: true
  })
