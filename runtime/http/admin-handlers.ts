import { Clock, Context, Effect, Option, Redacted } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { issueAdminKey } from "../../application/admin/admin-keys.ts"
import { rotateApiKey, revokeApiKey } from "../../application/admin/api-key-admin.ts"
import { type AdminCaller, audit } from "../../application/admin/audit.ts"
import { issueApiKey } from "../../application/auth/issue-key.ts"
import { AdminKeys, AuditLog } from "../../application/ports/admin.ts"
import { ApiKeys } from "../../application/ports/api-keys.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { createTenant } from "../../application/tenants/create-tenant.ts"
import { adminKeyState, type AdminKeyRecord, type AuditEntry } from "../../domain/admin.ts"
import { type ApiKeyRecord, keyState } from "../../domain/api-key.ts"
import { InvalidInput, NotFound } from "../../domain/errors.ts"
import { rfc3339Instant } from "../../domain/rfc3339.ts"
import { isCountryCode, isCurrencyCode, isTenantId, type Tenant, type TenantStatus } from "../../domain/tenant.ts"
import { databaseUrlRule, parseDatabaseUrl, parseTimeZone, tenantIdRule } from "../cli/parsers.ts"
import { PluginRegistry } from "../plugins/plugin-registry.ts"
import { TenantDatabases } from "../tenancy/tenant-databases.ts"
import { CurrentAdmin } from "./context.ts"
import { pageCursor } from "./cursor.ts"
import { httpErrors } from "./error-mapping.ts"
import { Api } from "./api.ts"
import { showValue } from "./validation-details.ts"

const iso = (date: Date | null) => date?.toISOString() ?? null

export const tenantView = (tenant: Tenant) => ({
  tenantId: tenant.id,
  name: tenant.name,
  status: tenant.status,
  country: tenant.country,
  timezone: tenant.timezone,
  currency: tenant.currency,
  ownDatabase: tenant.locator.databaseUrl !== null,
  loyaltyUrl: tenant.loyaltyUrl,
  loyaltyCredentialSet: tenant.loyaltyCredential !== null,
  taxInclusive: tenant.taxInclusive,
  taxRatePpm: tenant.taxRatePpm,
  createdAt: tenant.createdAt.toISOString()
})

export const apiKeyView = (key: ApiKeyRecord, now: Date) => ({
  keyId: key.id,
  name: key.name,
  kind: key.kind,
  scopes: key.scopes,
  state: keyState(key, now),
  createdAt: key.createdAt.toISOString(),
  expiresAt: iso(key.expiresAt),
  revokedAt: iso(key.revokedAt),
  lastUsedAt: iso(key.lastUsedAt)
})

export const adminKeyView = (key: AdminKeyRecord, now: Date) => ({
  keyId: key.id,
  name: key.name,
  state: adminKeyState(key, now),
  createdAt: key.createdAt.toISOString(),
  createdBy: key.createdBy,
  expiresAt: iso(key.expiresAt),
  revokedAt: iso(key.revokedAt),
  lastUsedAt: iso(key.lastUsedAt)
})

export const auditView = (entry: AuditEntry) => ({ ...entry, at: entry.at.toISOString() })

const tenantNotFound = (id: string) => new NotFound({ resource: "tenant", id })

/** A key id in a path: plain digits of a 32-bit id, else no key (404). */
const keyIdOf = (raw: string): number | undefined => {
  if (!/^[1-9][0-9]{0,9}$/.test(raw)) return undefined
  const id = Number(raw)
  return id <= 2_147_483_647 ? id : undefined
}

/** An RFC 3339 expiry in a body, in the future; absent: null. */
const expiryOf = (raw: string | undefined, now: Date, field = "body.expiresAt") => {
  if (raw === undefined) return Effect.succeed(null)
  const at = rfc3339Instant(raw)
  if (at === undefined) {
    return Effect.fail(
      new InvalidInput({ details: `${field}: expected an RFC 3339 date-time with Z or ±HH:MM, got ${showValue(raw)}` })
    )
  }
  if (at.getTime() <= now.getTime()) {
    return Effect.fail(new InvalidInput({ details: `${field}: must be in the future, got ${showValue(raw)}` }))
  }
  return Effect.succeed(at)
}

/** The checks of a new tenant's fields, every problem in one 400. */
const tenantInputProblems = (payload: {
  readonly tenantId: string
  readonly country?: string | undefined
  readonly timezone?: string | undefined
  readonly currency?: string | undefined
  readonly databaseUrl?: string | undefined
}): ReadonlyArray<string> => [
  ...(isTenantId(payload.tenantId)
    ? []
    : [`body.tenantId: must be ${tenantIdRule}, got ${showValue(payload.tenantId)}`]),
  ...(payload.country === undefined || isCountryCode(payload.country)
    ? []
    : [`body.country: must be two upper-case letters (ISO 3166-1 alpha-2), got ${showValue(payload.country)}`]),
  ...(payload.timezone === undefined || Option.isSome(parseTimeZone(payload.timezone))
    ? []
    : [`body.timezone: must be an IANA time zone, e.g. Asia/Singapore, got ${showValue(payload.timezone)}`]),
  ...(payload.currency === undefined || isCurrencyCode(payload.currency)
    ? []
    : [`body.currency: must be three upper-case letters (ISO 4217), got ${showValue(payload.currency)}`]),
  ...(payload.databaseUrl === undefined || Option.isSome(parseDatabaseUrl(Redacted.make(payload.databaseUrl)))
    ? []
    : [`body.databaseUrl: ${databaseUrlRule(Redacted.make(payload.databaseUrl))}`])
]

export const AdminHandlers = HttpApiBuilder.group(
  Api,
  "admin",
  Effect.fn(function* (handlers) {
    const directory = yield* TenantDirectory
    const databases = yield* TenantDatabases
    const adminKeys = yield* AdminKeys
    const auditLog = yield* AuditLog
    const registry = yield* PluginRegistry
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

    const record = (caller: AdminCaller, facts: Parameters<typeof audit>[1]) =>
      audit(caller, facts).pipe(Effect.provideService(AuditLog, auditLog))

    const findTenant = (id: string) =>
      Effect.flatMap(isTenantId(id) ? directory.find(id) : Effect.succeed(undefined), (tenant) =>
        tenant === undefined ? Effect.fail(tenantNotFound(id)) : Effect.succeed(tenant)
      )

    /** The tenant's API keys (its own database), for the rest of the request. */
    const keysOf = (id: string) =>
      Effect.gen(function* () {
        const tenant = yield* findTenant(id)
        const repositories = yield* databases.repositories(tenant.id)
        return { tenant, keys: Context.get(repositories, ApiKeys) }
      })

    const setStatus = (id: string, status: TenantStatus) =>
      httpErrors(
        Effect.gen(function* () {
          const caller = yield* CurrentAdmin
          const tenant = yield* findTenant(id)
          if (tenant.status === status) return tenantView(tenant)
          const changed = yield* directory.setStatus(tenant.id, status)
          yield* record(caller, {
            action: status === "suspended" ? "tenant.suspend" : "tenant.reactivate",
            tenantId: tenant.id,
            summary: status === "suspended" ? `suspended tenant '${tenant.id}'` : `reactivated tenant '${tenant.id}'`
          })
          return tenantView(changed)
        })
      )

    return handlers
      .handle("adminWhoami", () => Effect.map(CurrentAdmin, ({ actor }) => ({ keyId: actor.keyId, name: actor.name })))
      .handle("adminListTenants", ({ query }) =>
        // A storage failure is a 500 with the request id, as httpErrors makes it elsewhere.
        Effect.orDie(
          Effect.map(directory.list, (tenants) => ({
            data: tenants.filter((t) => query.status === undefined || t.status === query.status).map(tenantView)
          }))
        )
      )
      .handle("adminCreateTenant", ({ payload }) =>
        httpErrors(
          Effect.gen(function* () {
            const caller = yield* CurrentAdmin
            const problems = tenantInputProblems(payload)
            if (problems.length > 0 || !isTenantId(payload.tenantId)) {
              return yield* new InvalidInput({ details: problems.join("; ") })
            }
            const databaseUrl =
              payload.databaseUrl === undefined
                ? undefined
                : Option.getOrUndefined(parseDatabaseUrl(Redacted.make(payload.databaseUrl)))
            const tenant = yield* createTenant({
              id: payload.tenantId,
              name: payload.name,
              country: payload.country,
              timezone:
                payload.timezone === undefined ? undefined : Option.getOrUndefined(parseTimeZone(payload.timezone)),
              currency: payload.currency,
              databaseUrl
            })
            yield* record(caller, {
              action: "tenant.create",
              tenantId: tenant.id,
              summary: `created tenant '${tenant.id}' ('${tenant.name}', ${tenant.country}, ${tenant.currency}, ${
                databaseUrl === undefined ? "a schema of the control database" : "its own database"
              })`
            })
            return tenantView(tenant)
          })
        )
      )
      .handle("adminGetTenant", ({ params }) => httpErrors(Effect.map(findTenant(params.tenantId), tenantView)))
      .handle("adminSuspendTenant", ({ params }) => setStatus(params.tenantId, "suspended"))
      .handle("adminReactivateTenant", ({ params }) => setStatus(params.tenantId, "active"))
      .handle("adminListKeys", ({ params }) =>
        httpErrors(
          Effect.gen(function* () {
            const { keys } = yield* keysOf(params.tenantId)
            const at = yield* now
            return { data: (yield* keys.list).map((key) => apiKeyView(key, at)) }
          })
        ).pipe(Effect.scoped)
      )
      .handle("adminIssueKey", ({ params, payload }) =>
        httpErrors(
          Effect.gen(function* () {
            const caller = yield* CurrentAdmin
            const at = yield* now
            const { tenant, keys } = yield* keysOf(params.tenantId)
            const expiresAt = yield* expiryOf(payload.expiresAt, at)
            const issued = yield* issueApiKey({
              kind: payload.kind,
              scopes: payload.scopes,
              name: payload.name,
              expiresAt: expiresAt ?? undefined
            }).pipe(Effect.provideService(ApiKeys, keys))
            const key = issued.record
            yield* record(caller, {
              action: "api-key.issue",
              tenantId: tenant.id,
              target: `key ${key.id}`,
              summary: `issued ${key.kind} key ${key.id} '${key.name}' (scopes ${key.scopes.join(",")}; expires ${
                iso(key.expiresAt) ?? "never"
              })`
            })
            return { key: apiKeyView(key, at), secret: issued.plaintext }
          })
        ).pipe(Effect.scoped)
      )
      .handle("adminRevokeKey", ({ params }) =>
        httpErrors(
          Effect.gen(function* () {
            const caller = yield* CurrentAdmin
            const { tenant, keys } = yield* keysOf(params.tenantId)
            const keyId = keyIdOf(params.keyId)
            if (keyId === undefined) return yield* notFoundKey(params.keyId)
            const revoked = yield* revokeApiKey(keyId).pipe(Effect.provideService(ApiKeys, keys))
            if (!revoked.already) {
              yield* record(caller, {
                action: "api-key.revoke",
                tenantId: tenant.id,
                target: `key ${keyId}`,
                summary: `revoked ${revoked.key.kind} key ${keyId} '${revoked.key.name}'`
              })
            }
            return apiKeyView(revoked.key, yield* now)
          })
        ).pipe(Effect.scoped)
      )
      .handle("adminRotateKey", ({ params, payload }) =>
        httpErrors(
          Effect.gen(function* () {
            const caller = yield* CurrentAdmin
            const at = yield* now
            const { tenant, keys } = yield* keysOf(params.tenantId)
            const keyId = keyIdOf(params.keyId)
            if (keyId === undefined) return yield* notFoundKey(params.keyId)
            const expiresAt = yield* expiryOf(payload.expiresAt, at)
            const overlapSeconds = payload.overlapSeconds ?? 86_400
            const rotated = yield* rotateApiKey({ keyId, overlapSeconds, expiresAt }).pipe(
              Effect.provideService(ApiKeys, keys)
            )
            const fresh = rotated.issued.record
            yield* record(caller, {
              action: "api-key.rotate",
              tenantId: tenant.id,
              target: `key ${keyId}`,
              summary: `rotated ${fresh.kind} key ${keyId} '${fresh.name}' to key ${fresh.id}; key ${keyId} expires ${
                iso(rotated.old.expiresAt) ?? "never"
              } (overlap ${overlapSeconds} s)`
            })
            // Shown as they stand after the rotation: an overlap of 0 has expired the old key.
            const after = yield* now
            return {
              key: apiKeyView(fresh, after),
              secret: rotated.issued.plaintext,
              previous: apiKeyView(rotated.old, after)
            }
          })
        ).pipe(Effect.scoped)
      )
      .handle("adminListAdminKeys", () =>
        Effect.orDie(
          Effect.gen(function* () {
            const at = yield* now
            return { data: (yield* adminKeys.list).map((key) => adminKeyView(key, at)) }
          })
        )
      )
      .handle("adminIssueAdminKey", ({ payload }) =>
        httpErrors(
          Effect.gen(function* () {
            const caller = yield* CurrentAdmin
            const at = yield* now
            const name = payload.name.trim()
            if (name === "") return yield* new InvalidInput({ details: "body.name: must not be empty" })
            const expiresAt = yield* expiryOf(payload.expiresAt, at)
            const issued = yield* issueAdminKey({ name, expiresAt, createdBy: caller.actor.name }).pipe(
              Effect.provideService(AdminKeys, adminKeys)
            )
            yield* record(caller, {
              action: "admin-key.issue",
              target: `admin key ${issued.record.id}`,
              summary: `issued admin key ${issued.record.id} '${name}' (expires ${iso(issued.record.expiresAt) ?? "never"})`
            })
            return { key: adminKeyView(issued.record, at), secret: issued.plaintext }
          })
        )
      )
      .handle("adminRevokeAdminKey", ({ params }) =>
        httpErrors(
          Effect.gen(function* () {
            const caller = yield* CurrentAdmin
            const at = yield* now
            const keyId = keyIdOf(params.keyId)
            const key = keyId === undefined ? undefined : yield* adminKeys.findById(keyId)
            if (key === undefined) {
              return yield* new NotFound({ resource: "admin key", id: params.keyId })
            }
            if (key.revokedAt !== null) return adminKeyView(key, at)
            const revoked = (yield* adminKeys.revoke(key.id, at)) ?? key
            yield* record(caller, {
              action: "admin-key.revoke",
              target: `admin key ${key.id}`,
              summary: `revoked admin key ${key.id} '${key.name}'`
            })
            return adminKeyView(revoked, at)
          })
        )
      )
      .handle("adminListPlugins", () =>
        Effect.succeed({
          data: registry.all.map(({ manifest }) => ({ ...manifest, capabilities: [...manifest.capabilities] }))
        })
      )
      .handle("adminListAudit", ({ query }) =>
        httpErrors(
          Effect.gen(function* () {
            const cursor = pageCursor("audit", [query.tenantId ?? null, query.action ?? null])
            const last = yield* cursor.decode(query.cursor)
            const limit = query.limit ?? 50
            const beforeId = last === null ? null : Number(last)
            if (beforeId !== null && !Number.isSafeInteger(beforeId)) {
              return yield* new InvalidInput({ details: "query.cursor: is not a cursor this API issued" })
            }
            // One entry past the page tells whether another page follows.
            const entries = yield* auditLog.list({
              tenantId: query.tenantId ?? null,
              action: query.action ?? null,
              beforeId,
              limit: limit + 1
            })
            const page = entries.slice(0, limit)
            return {
              data: page.map(auditView),
              nextCursor: entries.length > limit ? cursor.encode(String(page.at(-1)!.id)) : null
            }
          })
        )
      )
  })
)

const notFoundKey = (raw: string) => Effect.fail(new NotFound({ resource: "api key", id: raw }))
