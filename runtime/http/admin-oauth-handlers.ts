import { Clock, Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { audit } from "../../application/admin/audit.ts"
import { clientOrNotFound, createClient, revokeClient, rotateClientSecret } from "../../application/oauth/clients.ts"
import { AuditLog } from "../../application/ports/admin.ts"
import { OAuthClients } from "../../application/ports/oauth.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import type { StorageError } from "../../domain/errors.ts"
import { clientState, formatClientId, type OAuthClientRecord } from "../../domain/oauth.ts"
import { overlapUntil } from "../../domain/secret-rotation.ts"
import { storageReason } from "../failures.ts"
import { OAuthTokens, type SigningKeyView } from "../oauth/token-service.ts"
import { TenantDatabases } from "../tenancy/tenant-databases.ts"
import { expiryOf, iso, tenantAccess } from "./admin-handlers.ts"
import { Api } from "./api.ts"
import { CurrentAdmin } from "./context.ts"
import { httpErrors } from "./error-mapping.ts"
import { ServiceUnavailable } from "./errors.ts"

export const oauthClientView = (client: OAuthClientRecord, now: Date) => ({
  clientId: formatClientId(client.id),
  name: client.name,
  scopes: client.scopes,
  state: clientState(client, now),
  createdAt: client.createdAt.toISOString(),
  expiresAt: iso(client.expiresAt),
  revokedAt: iso(client.revokedAt),
  lastUsedAt: iso(client.lastUsedAt),
  previousSecretExpiresAt: iso(overlapUntil(client, now))
})

export const signingKeyView = (key: SigningKeyView) => ({
  kid: key.kid,
  status: key.status,
  createdAt: key.createdAt.toISOString(),
  activatesAt: key.activatesAt.toISOString(),
  removableAt: iso(key.removableAt),
  problem: key.problem
})

/** The signing keys cannot be read or sealed: 503, the cause to the log (it names no key material). */
const keysUnavailable = (error: StorageError) =>
  Effect.andThen(
    Effect.logError("signing keys unavailable", storageReason(error)),
    Effect.fail(
      new ServiceUnavailable({
        message: /seal/i.test(error.operation) ? "not configured" : "temporarily unavailable",
        details: /seal/i.test(error.operation)
          ? "signing keys cannot be sealed: set CREDENTIALS_KEYS (see README.md, Credentials)"
          : `${error.operation} failed; retry later`
      })
    )
  )

/** The default overlap of a rotated secret: a day, as for API keys. */
const defaultOverlapSeconds = 86_400

export const AdminOAuthHandlers = HttpApiBuilder.group(
  Api,
  "adminOAuth",
  Effect.fn(function* (handlers) {
    const directory = yield* TenantDirectory
    const databases = yield* TenantDatabases
    const auditLog = yield* AuditLog
    const tokens = yield* OAuthTokens
    const { inTenant } = tenantAccess(directory, databases, auditLog)
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))
    return handlers
      .handle("adminListOAuthClients", ({ params }) =>
        httpErrors(
          inTenant(params.tenantId, () =>
            Effect.gen(function* () {
              const at = yield* now
              return { data: (yield* (yield* OAuthClients).list).map((client) => oauthClientView(client, at)) }
            })
          )
        )
      )
      .handle("adminCreateOAuthClient", ({ params, payload }) =>
        httpErrors(
          inTenant(params.tenantId, (tenant) =>
            Effect.gen(function* () {
              const caller = yield* CurrentAdmin
              const at = yield* now
              const expiresAt = yield* expiryOf(payload.expiresAt, at)
              const issued = yield* createClient({ name: payload.name, scopes: payload.scopes, expiresAt })
              const client = issued.client
              yield* audit(caller, {
                action: "oauth-client.create",
                tenantId: tenant.id,
                target: `client ${formatClientId(client.id)}`,
                summary: `created OAuth client ${formatClientId(client.id)} '${client.name}' (scopes ${client.scopes.join(
                  ","
                )}; expires ${iso(client.expiresAt) ?? "never"})`
              })
              return { client: oauthClientView(client, at), clientSecret: issued.secret }
            })
          )
        )
      )
      .handle("adminGetOAuthClient", ({ params }) =>
        httpErrors(
          inTenant(params.tenantId, () =>
            Effect.gen(function* () {
              const client = yield* clientOrNotFound(params.clientId)
              return oauthClientView(client, yield* now)
            })
          )
        )
      )
      .handle("adminRotateOAuthClient", ({ params, payload }) =>
        httpErrors(
          inTenant(params.tenantId, (tenant) =>
            Effect.gen(function* () {
              const caller = yield* CurrentAdmin
              const overlapSeconds = payload.overlapSeconds ?? defaultOverlapSeconds
              const rotated = yield* rotateClientSecret(params.clientId, overlapSeconds)
              yield* audit(caller, {
                action: "oauth-client.rotate",
                tenantId: tenant.id,
                target: `client ${params.clientId}`,
                summary: `rotated the secret of OAuth client ${params.clientId} '${rotated.client.name}' (the old secret works for ${overlapSeconds} s)`
              })
              return { client: oauthClientView(rotated.client, yield* now), clientSecret: rotated.secret }
            })
          )
        )
      )
      .handle("adminRevokeOAuthClient", ({ params }) =>
        httpErrors(
          inTenant(params.tenantId, (tenant) =>
            Effect.gen(function* () {
              const caller = yield* CurrentAdmin
              const revoked = yield* revokeClient(params.clientId)
              if (!revoked.already) {
                yield* audit(caller, {
                  action: "oauth-client.revoke",
                  tenantId: tenant.id,
                  target: `client ${params.clientId}`,
                  summary: `revoked OAuth client ${params.clientId} '${revoked.client.name}'`
                })
              }
              return oauthClientView(revoked.client, yield* now)
            })
          )
        )
      )
      .handle("adminListSigningKeys", () =>
        Effect.map(tokens.keys, (keys) => ({ data: keys.map(signingKeyView) })).pipe(
          Effect.catchTag("StorageError", keysUnavailable)
        )
      )
      .handle("adminRotateSigningKey", () =>
        Effect.gen(function* () {
          const caller = yield* CurrentAdmin
          const published = yield* tokens.publishNext
          if (published.created) {
            yield* audit(caller, {
              action: "signing-key.publish",
              target: `key ${published.key.kid}`,
              summary: `published token signing key ${published.key.kid}, signing from ${published.key.activatesAt.toISOString()}`
            }).pipe(Effect.provideService(AuditLog, auditLog))
          }
          return { key: signingKeyView(published.key), created: published.created }
        }).pipe(Effect.catchTag("StorageError", keysUnavailable))
      )
  })
)
