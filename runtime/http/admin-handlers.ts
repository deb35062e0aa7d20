import { Clock, Context, Effect, Option, Redacted } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { issueAdminKey } from "../../application/admin/admin-keys.ts"
import { revokeApiKey, rotateApiKey } from "../../application/admin/api-key-admin.ts"
import { type AdminCaller, audit } from "../../application/admin/audit.ts"
import {
  accountCredentialsState,
  type CredentialsState,
  deleteAccountCredentials,
  deleteOutletCredentials,
  type InvalidCredentials,
  type NoAccountLevel,
  outletCredentialsState,
  setAccountCredentials,
  setOutletCredentials
} from "../../application/admin/pos-credentials-admin.ts"
import { formatDuration, removePullSchedule, setPullSchedule } from "../../application/admin/pull-schedule-admin.ts"
import { removeReward, rewardRules, setReward } from "../../application/admin/rewards-admin.ts"
import { issueApiKey } from "../../application/auth/issue-key.ts"
import { AdminKeys, AuditLog } from "../../application/ports/admin.ts"
import { ApiKeys } from "../../application/ports/api-keys.ts"
import { Outlets, type StoreRow, SyncHistory, type SyncRecord } from "../../application/ports/catalog.ts"
import { LoyaltyLedger } from "../../application/ports/loyalty-ledger.ts"
import { Orders } from "../../application/ports/orders.ts"
import { type PullSchedule, PullSchedules } from "../../application/ports/pull-schedules.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { createTenant } from "../../application/tenants/create-tenant.ts"
import { type AdminKeyRecord, type AuditEntry, adminKeyState } from "../../domain/admin.ts"
import { type ApiKeyRecord, keyState } from "../../domain/api-key.ts"
import { InvalidInput, NotFound, Rejected, type StorageError } from "../../domain/errors.ts"
import { describeRateLimits } from "../../domain/rate-limit.ts"
import { rfc3339Instant } from "../../domain/rfc3339.ts"
import { isCountryCode, isCurrencyCode, isTenantId, type Tenant, type TenantStatus } from "../../domain/tenant.ts"
import {
  databaseUrlRule,
  describeTax,
  isLoyaltyCredential,
  loyaltyUrlRule,
  parseDatabaseUrl,
  parseLoyaltyUrl,
  parseTimeZone,
  tenantIdRule
} from "../cli/parsers.ts"
import { redactUrls } from "../failures.ts"
import { PluginRegistry } from "../plugins/plugin-registry.ts"
import { TenantDatabases } from "../tenancy/tenant-databases.ts"
import { Api } from "./api.ts"
import { syncView } from "./catalog-handlers.ts"
import { CurrentAdmin } from "./context.ts"
import { pageCursor } from "./cursor.ts"
import { httpErrors } from "./error-mapping.ts"
import { createdSinceOf, fullView, listOrders } from "./orders-handlers.ts"
import { showValue } from "./validation-details.ts"

export const iso = (date: Date | null) => date?.toISOString() ?? null

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
  rateLimits: tenant.rateLimits,
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

export const outletView = (
  store: StoreRow,
  state: { readonly outlet: CredentialsState; readonly account: CredentialsState | null }
) => ({
  outletId: store.id,
  provider: store.provider,
  externalId: store.externalId,
  accountId: store.accountId,
  name: store.name,
  active: store.active,
  busyMode: store.busyMode,
  credentials: state.outlet,
  accountCredentials: state.account
})

export const pullScheduleView = (schedule: PullSchedule) => ({
  provider: schedule.provider,
  intervalMs: schedule.intervalMs,
  every: formatDuration(schedule.intervalMs),
  nextRunAt: schedule.nextRunAt.toISOString(),
  lastRunAt: iso(schedule.lastRunAt),
  updatedAt: schedule.updatedAt.toISOString()
})

/** A field of the credentials body (`""`: the whole body), as the 400 names it. */
const bodyField = (path: string) => (path === "" ? "body" : path.startsWith("[") ? `body${path}` : `body.${path}`)

/** Credentials refused by their plugin: the paths of the wrong fields, never a value (not even its type). */
const credentialsRefusal = {
  InvalidCredentials: (error: InvalidCredentials) =>
    new InvalidInput({
      details: error.paths
        .map((path) => `${bodyField(path)}: is missing or not what the ${error.provider} plugin expects`)
        .join("; ")
    }),
  NoAccountLevel: (error: NoAccountLevel) =>
    new InvalidInput({
      details: `path.provider: the ${error.provider} plugin has no account-level credentials: set them per outlet`
    }),
  // No key to seal with (PostgreSQL without CREDENTIALS_KEYS): a state of the deployment, said plainly.
  StorageError: (error: StorageError) =>
    error.operation === "seal the credentials"
      ? Effect.fail(
          new Rejected({
            status: 409,
            message: "credentials cannot be stored",
            details: `${describeCause(error.cause)}: set CREDENTIALS_KEYS (see README, Credentials)`
          })
        )
      : Effect.fail(error)
}

const describeCause = (cause: unknown) =>
  cause instanceof Error || (typeof cause === "object" && cause !== null && "message" in cause)
    ? String((cause as { message: unknown }).message)
    : "no key seals credentials"

/** How many syncs one page of a filtered listing reads at most, so that a rare outcome cannot make a request scan for ever. */
const maxSyncScan = 5000

const tenantNotFound = (id: string) => new NotFound({ resource: "tenant", id })

/** A key id in a path: plain digits of a 32-bit id, else no key (404). */
const keyIdOf = (raw: string): number | undefined => {
  if (!/^[1-9][0-9]{0,9}$/.test(raw)) return undefined
  const id = Number(raw)
  return id <= 2_147_483_647 ? id : undefined
}

/** An RFC 3339 expiry in a body, in the future; absent: null. */
export const expiryOf = (raw: string | undefined, now: Date, field = "body.expiresAt") => {
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

/**
 * A tenant of the directory for the admin API: any, suspended ones too (an operator administers
 * those); an unknown one is the 404 `tenant not found`.
 */
export const tenantAccess = (
  directory: TenantDirectory["Service"],
  databases: TenantDatabases["Service"],
  auditLog: AuditLog["Service"]
) => {
  const findTenant = (id: string) =>
    Effect.flatMap(isTenantId(id) ? directory.find(id) : Effect.succeed(undefined), (tenant) =>
      tenant === undefined ? Effect.fail(tenantNotFound(id)) : Effect.succeed(tenant)
    )
  /** Runs `use` on the tenant's repositories, with the audit log beside them. */
  const inTenant = <A, E, R>(id: string, use: (tenant: Tenant) => Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      const tenant = yield* findTenant(id)
      const repositories = yield* databases.repositories(tenant.id)
      return yield* use(tenant).pipe(Effect.provideContext(repositories), Effect.provideService(AuditLog, auditLog))
    }).pipe(Effect.scoped)
  return { findTenant, inTenant }
}

export const AdminHandlers = HttpApiBuilder.group(
  Api,
  "admin",
  Effect.fn(function* (handlers) {
    const directory = yield* TenantDirectory
    const databases = yield* TenantDatabases
    const adminKeys = yield* AdminKeys
    const auditLog = yield* AuditLog
    const registry = yield* PluginRegistry
    const schedules = yield* PullSchedules
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

    const record = (caller: AdminCaller, facts: Parameters<typeof audit>[1]) =>
      audit(caller, facts).pipe(Effect.provideService(AuditLog, auditLog))

    const { findTenant, inTenant } = tenantAccess(directory, databases, auditLog)

    /** The tenant's API keys (its own database), for the rest of the request. */
    const keysOf = (id: string) =>
      Effect.gen(function* () {
        const tenant = yield* findTenant(id)
        const repositories = yield* databases.repositories(tenant.id)
        return { tenant, keys: Context.get(repositories, ApiKeys), repositories }
      })

    /** The loaded plugin a path's `provider` names; else a 400 listing the loaded ones. */
    const pluginIn = (provider: string) => {
      const loaded = registry.get(provider)
      return loaded === undefined
        ? Effect.fail(
            new InvalidInput({
              details: `path.provider: names no loaded POS plugin (loaded: ${registry.all
                .map((p) => p.manifest.id)
                .join(", ")}), got ${showValue(provider)}`
            })
          )
        : Effect.succeed(loaded.plugin)
    }

    const outletIn = Effect.fnUntraced(function* (outletId: string) {
      const store = yield* (yield* Outlets).get(outletId)
      if (store === undefined) return yield* new NotFound({ resource: "outlet", id: outletId })
      return store
    })

    const credentialsOf = (store: StoreRow) =>
      Effect.map(outletCredentialsState(store, registry.get(store.provider)?.plugin), (state) =>
        outletView(store, state)
      )

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
            const { tenant, repositories } = yield* keysOf(params.tenantId)
            const keyId = keyIdOf(params.keyId)
            if (keyId === undefined) return yield* notFoundKey(params.keyId)
            const expiresAt = yield* expiryOf(payload.expiresAt, at)
            const overlapSeconds = payload.overlapSeconds ?? 86_400
            const rotated = yield* rotateApiKey({ keyId, overlapSeconds, expiresAt }).pipe(
              Effect.provideContext(repositories)
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
      .handle("adminListOutlets", ({ params, query }) =>
        httpErrors(
          inTenant(params.tenantId, () =>
            Effect.gen(function* () {
              const limit = query.limit ?? 50
              const cursor = pageCursor("admin-outlets", [])
              const rows = yield* (yield* Outlets).list({
                cursor: yield* cursor.decode(query.cursor),
                limit: limit + 1,
                includeInactive: true
              })
              const page = rows.slice(0, limit)
              const data = []
              for (const store of page) data.push(yield* credentialsOf(store))
              return { data, nextCursor: cursor.encode(rows.length > limit ? (page.at(-1)?.id ?? null) : null) }
            })
          )
        )
      )
      .handle("adminSetOutletCredentials", ({ params, payload }) =>
        httpErrors(
          inTenant(params.tenantId, (tenant) =>
            Effect.gen(function* () {
              const caller = yield* CurrentAdmin
              const store = yield* outletIn(params.outletId)
              const loaded = registry.get(store.provider)
              if (loaded === undefined) {
                return yield* new Rejected({
                  status: 409,
                  message: "plugin not loaded",
                  details: `the outlet's POS plugin '${store.provider}' is not loaded: its credentials cannot be checked`
                })
              }
              yield* setOutletCredentials(caller, {
                tenantId: tenant.id,
                plugin: loaded.plugin,
                store,
                value: payload
              }).pipe(Effect.catchTags(credentialsRefusal))
              return yield* credentialsOf(store)
            })
          )
        )
      )
      .handle("adminSetAccountCredentials", ({ params, payload }) =>
        httpErrors(
          inTenant(params.tenantId, (tenant) =>
            Effect.gen(function* () {
              const caller = yield* CurrentAdmin
              const plugin = yield* pluginIn(params.provider)
              yield* setAccountCredentials(caller, {
                tenantId: tenant.id,
                plugin,
                accountId: params.accountId,
                value: payload
              }).pipe(Effect.catchTags(credentialsRefusal))
              return {
                provider: plugin.manifest.id,
                accountId: params.accountId,
                credentials: yield* accountCredentialsState(plugin.manifest.id, params.accountId)
              }
            })
          )
        )
      )
      .handle("adminDeleteOutletCredentials", ({ params }) =>
        httpErrors(
          inTenant(params.tenantId, (tenant) =>
            Effect.gen(function* () {
              const caller = yield* CurrentAdmin
              const store = yield* outletIn(params.outletId)
              yield* deleteOutletCredentials(caller, { tenantId: tenant.id, store })
            })
          )
        )
      )
      .handle("adminDeleteAccountCredentials", ({ params }) =>
        httpErrors(
          inTenant(params.tenantId, (tenant) =>
            Effect.gen(function* () {
              const caller = yield* CurrentAdmin
              // A plugin no longer loaded may still have left credentials behind: any provider is taken.
              yield* deleteAccountCredentials(caller, {
                tenantId: tenant.id,
                provider: params.provider,
                accountId: params.accountId
              })
            })
          )
        )
      )
      .handle("adminSetLoyalty", ({ params, payload }) =>
        httpErrors(
          Effect.gen(function* () {
            const caller = yield* CurrentAdmin
            const tenant = yield* findTenant(params.tenantId)
            const given = payload.url === undefined || payload.url === null ? null : Redacted.make(payload.url)
            const url = given === null ? Option.none<string>() : parseLoyaltyUrl(given)
            const problems = [
              ...(given === null || Option.isSome(url)
                ? []
                : [`body.url: must be ${loyaltyUrlRule(given, "body.credential")}`]),
              ...(isLoyaltyCredential(payload.credential) ? [] : ["body.credential: must not be empty"])
            ]
            if (problems.length > 0) return yield* new InvalidInput({ details: problems.join("; ") })
            const updated = yield* directory.setLoyalty(tenant.id, {
              url: Option.getOrNull(url),
              credential: Redacted.make(payload.credential)
            })
            const where =
              updated.loyaltyUrl === null ? "the default loyalty service (LOYALTY_URL)" : redactUrls(updated.loyaltyUrl)
            yield* record(caller, {
              action: "tenant.set-loyalty",
              tenantId: tenant.id,
              summary: `set the loyalty service of tenant '${tenant.id}' to ${where}, and its credential (not recorded)`
            })
            return tenantView(updated)
          })
        )
      )
      .handle("adminSetTax", ({ params, payload }) =>
        httpErrors(
          Effect.gen(function* () {
            const caller = yield* CurrentAdmin
            const tenant = yield* findTenant(params.tenantId)
            if (payload.taxInclusive === undefined && payload.taxRatePpm === undefined) {
              return yield* new InvalidInput({ details: "body: give taxInclusive, taxRatePpm or both" })
            }
            // What is not given stays as it is.
            const updated = yield* directory.setTax(tenant.id, {
              taxInclusive: payload.taxInclusive ?? tenant.taxInclusive,
              taxRatePpm: payload.taxRatePpm === undefined ? tenant.taxRatePpm : payload.taxRatePpm
            })
            yield* record(caller, {
              action: "tenant.set-tax",
              tenantId: updated.id,
              summary: `set the tax defaults of tenant '${updated.id}': ${describeTax(updated)}`
            })
            return tenantView(updated)
          })
        )
      )
      .handle("adminSetRateLimits", ({ params, payload }) =>
        httpErrors(
          Effect.gen(function* () {
            const caller = yield* CurrentAdmin
            const tenant = yield* findTenant(params.tenantId)
            const updated = yield* directory.setRateLimits(tenant.id, payload)
            yield* record(caller, {
              action: "tenant.set-rate-limits",
              tenantId: updated.id,
              summary: `set the rate limits of tenant '${updated.id}': ${describeRateLimits(updated.rateLimits)}`
            })
            return tenantView(updated)
          })
        )
      )
      .handle("adminListRewards", ({ params }) =>
        httpErrors(
          inTenant(params.tenantId, () =>
            Effect.gen(function* () {
              const rewards = yield* (yield* LoyaltyLedger).rewards
              return { data: rewards.map((reward) => ({ ...reward })) }
            })
          )
        )
      )
      .handle("adminSetReward", ({ params, payload }) =>
        httpErrors(
          inTenant(params.tenantId, (tenant) =>
            Effect.gen(function* () {
              const caller = yield* CurrentAdmin
              return yield* setReward(caller, { tenantId: tenant.id, rewardId: params.rewardId, ...payload }).pipe(
                Effect.catchTag(
                  "InvalidReward",
                  (error) =>
                    new InvalidInput({
                      details: error.fields
                        .map((field) =>
                          field === "rewardId"
                            ? `path.rewardId: must be ${rewardRules.rewardId}, got ${showValue(params.rewardId)}`
                            : `body.${field}: must be ${rewardRules[field]}`
                        )
                        .join("; ")
                    })
                )
              )
            })
          )
        )
      )
      .handle("adminRemoveReward", ({ params }) =>
        httpErrors(
          inTenant(params.tenantId, (tenant) =>
            Effect.gen(function* () {
              const caller = yield* CurrentAdmin
              yield* removeReward(caller, { tenantId: tenant.id, rewardId: params.rewardId })
            })
          )
        )
      )
      .handle("adminListSyncs", ({ params, query }) =>
        httpErrors(
          inTenant(params.tenantId, () =>
            Effect.gen(function* () {
              const history = yield* SyncHistory
              const storeId = query.outletId ?? null
              if (storeId !== null) yield* outletIn(storeId)
              const limit = query.limit ?? 50
              const cursor = pageCursor("admin-syncs", [storeId, query.outcome ?? null])
              // The history filters by outlet only: an outcome is filtered here, reading on until the page
              // is full, the history ends, or `maxSyncScan` rows were read (the next page goes on from there).
              const batch = query.outcome === undefined ? limit + 1 : 500
              const found: Array<SyncRecord> = []
              let last = yield* cursor.decode(query.cursor)
              let scanned = 0
              let ended = false
              while (found.length <= limit && !ended && scanned < maxSyncScan) {
                const rows = yield* history.list({ storeId, cursor: last, limit: batch })
                ended = rows.length < batch
                for (const row of rows) {
                  scanned++
                  last = row.id
                  if (query.outcome === undefined || row.status === query.outcome) found.push(row)
                  if (found.length > limit) break
                }
              }
              const page = found.slice(0, limit)
              const next = found.length > limit ? (page.at(-1)?.id ?? null) : ended ? null : last
              return { data: page.map(syncView), nextCursor: cursor.encode(next) }
            })
          )
        )
      )
      .handle("adminGetSync", ({ params }) =>
        httpErrors(
          inTenant(params.tenantId, () =>
            Effect.gen(function* () {
              const sync = yield* (yield* SyncHistory).get(params.syncId)
              if (sync === undefined) return yield* new NotFound({ resource: "sync", id: params.syncId })
              return syncView(sync)
            })
          )
        )
      )
      .handle("adminListOrders", ({ params, query }) =>
        httpErrors(
          Effect.gen(function* () {
            // A malformed query is a 400 whatever the tenant, as the decoder's own checks are.
            const since = yield* createdSinceOf(query.createdSince)
            return yield* inTenant(params.tenantId, () =>
              Effect.gen(function* () {
                if (query.outletId !== undefined) yield* outletIn(query.outletId)
                return yield* listOrders(query, since)
              })
            )
          })
        )
      )
      .handle("adminGetOrder", ({ params }) =>
        httpErrors(
          inTenant(params.tenantId, () =>
            Effect.gen(function* () {
              const order = yield* (yield* Orders).get(params.orderId)
              if (order === undefined) return yield* new NotFound({ resource: "order", id: params.orderId })
              return yield* fullView(order)
            })
          )
        )
      )
      .handle("adminListPullSchedules", () =>
        Effect.orDie(Effect.map(schedules.list, (all) => ({ data: all.map(pullScheduleView) })))
      )
      .handle("adminSetPullSchedule", ({ params, payload }) =>
        httpErrors(
          Effect.gen(function* () {
            const caller = yield* CurrentAdmin
            const plugin = yield* pluginIn(params.provider)
            const schedule = yield* setPullSchedule(caller, { plugin, intervalMs: payload.intervalMs }).pipe(
              Effect.provideService(PullSchedules, schedules),
              Effect.provideService(AuditLog, auditLog),
              Effect.catchTags({
                CannotPull: (error) => new InvalidInput({ details: `path.provider: ${error.message}` }),
                InvalidInput: (error) => new InvalidInput({ details: `body.${error.details}` })
              })
            )
            return pullScheduleView(schedule)
          })
        )
      )
      .handle("adminRemovePullSchedule", ({ params }) =>
        Effect.orDie(
          Effect.gen(function* () {
            const caller = yield* CurrentAdmin
            // Idempotent: a provider without a schedule is already where the caller wants it.
            yield* removePullSchedule(caller, params.provider).pipe(
              Effect.provideService(PullSchedules, schedules),
              Effect.provideService(AuditLog, auditLog)
            )
          })
        )
      )
  })
)

const notFoundKey = (raw: string) => Effect.fail(new NotFound({ resource: "api key", id: raw }))
