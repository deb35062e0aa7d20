import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { OAuthClients, SigningKeys } from "../../../application/ports/oauth.ts"
import type { Scope } from "../../../domain/api-key.ts"
import { StorageError } from "../../../domain/errors.ts"
import type { OAuthClientRecord, PublicJwk, SigningKeyRecord } from "../../../domain/oauth.ts"
import { type CredentialSealer, purposes } from "../../crypto/credential-sealer.ts"
import { storageFailure, toDate, toDateOrNull } from "./sql-errors.ts"

interface OAuthClientRow {
  readonly id: number
  readonly name: string
  readonly scopes: string
  readonly secret_hash: string
  readonly previous_secret_hash: string | null
  readonly previous_secret_expires_at: unknown
  readonly expires_at: unknown
  readonly revoked_at: unknown
  readonly last_used_at: unknown
  readonly created_at: unknown
}

const toClient = (row: OAuthClientRow): OAuthClientRecord => ({
  id: Number(row.id),
  name: row.name,
  scopes: row.scopes === "" ? [] : (row.scopes.split(" ") as Array<Scope>),
  secretHash: row.secret_hash,
  previousSecretHash: row.previous_secret_hash,
  previousSecretExpiresAt: toDateOrNull(row.previous_secret_expires_at),
  expiresAt: toDateOrNull(row.expires_at),
  revokedAt: toDateOrNull(row.revoked_at),
  lastUsedAt: toDateOrNull(row.last_used_at),
  createdAt: toDate(row.created_at)
})

const firstClient = (rows: ReadonlyArray<OAuthClientRow>) => (rows[0] === undefined ? undefined : toClient(rows[0]))

/** A tenant's OAuth clients on the tenant's SqlClient (its own database, or its schema by search_path). */
export const layerSqlOAuthClients = Layer.effect(
  OAuthClients,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return OAuthClients.of({
      insert: (client) =>
        sql<OAuthClientRow>`
          INSERT INTO oauth_clients (name, scopes, secret_hash, expires_at, created_at)
          VALUES (${client.name}, ${client.scopes.join(" ")}, ${client.secretHash}, ${client.expiresAt}, ${client.createdAt})
          RETURNING *`.pipe(
          Effect.map((rows) => toClient(rows[0]!)),
          storageFailure("insert oauth client")
        ),
      findById: (id) =>
        sql<OAuthClientRow>`SELECT * FROM oauth_clients WHERE id = ${id}`.pipe(
          Effect.map(firstClient),
          storageFailure("find oauth client")
        ),
      list: sql<OAuthClientRow>`SELECT * FROM oauth_clients ORDER BY id`.pipe(
        Effect.map((rows) => rows.map(toClient)),
        storageFailure("list oauth clients")
      ),
      // Revoking twice keeps the first time: the update only touches a client not yet revoked.
      revoke: (id, at) =>
        sql<OAuthClientRow>`
          WITH updated AS (
            UPDATE oauth_clients SET revoked_at = ${at} WHERE id = ${id} AND revoked_at IS NULL RETURNING *
          )
          SELECT * FROM updated UNION ALL SELECT * FROM oauth_clients WHERE id = ${id} AND NOT EXISTS (SELECT 1 FROM updated)`.pipe(
          Effect.map(firstClient),
          storageFailure("revoke oauth client")
        ),
      // One statement: the right-hand sides read the row as it was, so the current hash becomes the
      // previous one and no concurrent rotation can slip between the two.
      rotateSecret: (id, secretHash, previousExpiresAt) =>
        sql<OAuthClientRow>`
          UPDATE oauth_clients
          SET previous_secret_hash = secret_hash, previous_secret_expires_at = ${previousExpiresAt},
              secret_hash = ${secretHash}
          WHERE id = ${id}
          RETURNING *`.pipe(Effect.map(firstClient), storageFailure("rotate oauth client secret")),
      revokedIds: sql<{ readonly id: number }>`SELECT id FROM oauth_clients WHERE revoked_at IS NOT NULL`.pipe(
        Effect.map((rows) => new Set(rows.map((row) => Number(row.id)))),
        storageFailure("list revoked oauth client ids")
      ),
      touch: (id, at) =>
        sql`UPDATE oauth_clients SET last_used_at = ${at} WHERE id = ${id}`.pipe(
          Effect.asVoid,
          storageFailure("touch oauth client")
        )
    })
  })
)

interface SigningKeyRow {
  readonly kid: string
  /** Parsed by the driver (sql-pg and PGlite both do), or JSON text. */
  readonly public_jwk: unknown
  readonly private_jwk: string
  readonly created_at: unknown
  readonly activates_at: unknown
}

const publicJwkOf = (value: unknown): PublicJwk => (typeof value === "string" ? JSON.parse(value) : value) as PublicJwk

/** The job row that the rotation's claim updates; made by the control migration. */
const rotationJob = "rotate-signing-keys"

/**
 * The keys that sign access tokens, on the control database's SqlClient (table
 * `oauth_signing_keys`). The private JWK is sealed with `sealer` under a purpose naming its kid, so
 * a sealed value copied onto another key does not open. A key that does not open here (sealed
 * under a key this instance lacks) is still listed, to be published: its private half is null and
 * the reason says why, and the other keys are unaffected.
 */
export const layerSqlSigningKeys = (sealer: CredentialSealer) =>
  Layer.effect(
    SigningKeys,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const toKey = (row: SigningKeyRow) =>
        sealer.open(row.private_jwk, purposes.signingKey(row.kid)).pipe(
          Effect.match({
            onFailure: (error) => ({ privateJwk: null, privateProblem: error.message }),
            onSuccess: (privateJwk) => ({ privateJwk, privateProblem: null })
          }),
          Effect.map(
            (opened): SigningKeyRecord => ({
              kid: row.kid,
              publicJwk: publicJwkOf(row.public_jwk),
              ...opened,
              createdAt: toDate(row.created_at),
              activatesAt: toDate(row.activates_at)
            })
          )
        )
      return SigningKeys.of({
        list: sql<SigningKeyRow>`SELECT * FROM oauth_signing_keys ORDER BY activates_at, kid`.pipe(
          storageFailure("list signing keys"),
          Effect.flatMap((rows) => Effect.forEach(rows, toKey))
        ),
        insert: (key) =>
          Effect.gen(function* () {
            const sealed = yield* sealer
              .seal(key.privateJwk, purposes.signingKey(key.kid))
              .pipe(
                Effect.mapError((error) => new StorageError({ operation: "seal a signing key", cause: error.message }))
              )
            const rows = yield* sql<SigningKeyRow>`
              INSERT INTO oauth_signing_keys (kid, public_jwk, private_jwk, created_at, activates_at)
              VALUES (${key.kid}, ${JSON.stringify(key.publicJwk)}::jsonb, ${sealed}, ${key.createdAt}, ${key.activatesAt})
              RETURNING *`.pipe(storageFailure("insert signing key"))
            const row = rows[0]!
            return {
              kid: row.kid,
              publicJwk: publicJwkOf(row.public_jwk),
              privateJwk: key.privateJwk,
              privateProblem: null,
              createdAt: toDate(row.created_at),
              activatesAt: toDate(row.activates_at)
            }
          }),
        remove: (kids) =>
          kids.length === 0
            ? Effect.void
            : sql`DELETE FROM oauth_signing_keys WHERE kid = ANY(${[...kids]}::text[])`.pipe(
                Effect.asVoid,
                storageFailure("remove signing keys")
              ),
        // The claim is the update: two instances claiming together both try it, the second waits
        // for the first's row lock, re-reads the row, finds it claimed by another, and gets nothing.
        claimRotation: (owner, now, until) =>
          sql<{ readonly name: string }>`
            UPDATE oauth_jobs SET owner = ${owner}, claimed_until = ${until}
            WHERE name = ${rotationJob} AND (claimed_until IS NULL OR claimed_until <= ${now} OR owner = ${owner})
            RETURNING name`.pipe(
            Effect.map((rows) => rows.length > 0),
            storageFailure("claim the signing key rotation")
          )
      })
    })
  )
