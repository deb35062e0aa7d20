import { issuesOf } from "@pos-integration/sdk"
import {
  Clock,
  Console,
  Context,
  Data,
  Effect,
  type Layer,
  Option,
  Redacted,
  Runtime,
  Schema,
  type Scope
} from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { issueApiKey } from "../../application/auth/issue-key.ts"
import { ApiKeys } from "../../application/ports/api-keys.ts"
import { Outlets } from "../../application/ports/catalog.ts"
import type { KeySecrets } from "../../application/ports/key-secrets.ts"
import { LoyaltyLedger } from "../../application/ports/loyalty-ledger.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import type { TenantStorage } from "../../application/ports/tenant-storage.ts"
import { createTenant } from "../../application/tenants/create-tenant.ts"
import { type ApiKeyRecord, allScopes, KeyKind, type Scope as KeyScope } from "../../domain/api-key.ts"
import { isCountryCode, isCurrencyCode, isTenantId, type Tenant, type TenantId } from "../../domain/tenant.ts"
import { parseHttpUrl } from "../config.ts"
import { describeFailure, maskUrl, redactUrls } from "../failures.ts"
import { PluginRegistry } from "../plugins/plugin-registry.ts"
import { TenantDatabases } from "../tenancy/tenant-databases.ts"

/** What the admin commands use; main.ts builds it from the configuration, tests from the memory adapter. */
export type AdminServices = TenantDirectory | TenantStorage | TenantDatabases | KeySecrets | PluginRegistry

// ---------------------------------------------------------------------------------------------
// Failures

/** A CLI-level failure in plain words (no such tenant, no such key, a time in the past). */
export class AdminError extends Data.TaggedError("AdminError")<{ readonly message: string }> {}

/**
 * A failure already printed as `error: ...`. The runtime markers make NodeRuntime.runMain exit 1
 * without logging it a second time (as a stack trace).
 */
export class CommandFailed extends Data.TaggedError("CommandFailed")<{ readonly message: string }> {
  override readonly [Runtime.errorReported] = false
  override readonly [Runtime.errorExitCode] = 1
}

/** Prints `error: <message>` on standard error and fails with an already-reported error (exit 1). */
export const reportFailures = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, CommandFailed, R> =>
  Effect.catch(self, (error) => {
    if (error instanceof CommandFailed) return Effect.fail(error)
    const message = redactUrls(describeFailure(error))
    return Effect.andThen(Console.error(`error: ${message}`), Effect.fail(new CommandFailed({ message })))
  })

// ---------------------------------------------------------------------------------------------
// Argument parsing: pure checks, so a bad value is refused by effect/cli before storage is opened.

export const parseTenantId = (raw: string): Option.Option<TenantId> =>
  isTenantId(raw) ? Option.some(raw) : Option.none()

const tenantIdRule = "1 to 56 characters of a-z, 0-9 and '-', starting with a letter or digit (e.g. acme-sg)"

const ianaZones = new Map(Intl.supportedValuesOf("timeZone").map((zone) => [zone.toLowerCase(), zone]))

/** An IANA zone in its canonical spelling; UTC offsets (`+08:00`) are refused: they know no daylight saving. */
export const parseTimeZone = (raw: string): Option.Option<string> => {
  const listed = ianaZones.get(raw.toLowerCase())
  if (listed !== undefined) return Option.some(listed)
  try {
    const resolved = new Intl.DateTimeFormat("en", { timeZone: raw }).resolvedOptions().timeZone
    return /^[+-]/.test(resolved) ? Option.none() : Option.some(resolved)
  } catch {
    return Option.none()
  }
}

export const parseDatabaseUrl = (raw: string): Option.Option<string> =>
  /^postgres(ql)?:\/\/./.test(raw) && URL.canParse(raw) ? Option.some(raw) : Option.none()

const httpUrl = (raw: string): Option.Option<string> => Option.fromUndefinedOr(parseHttpUrl(raw))

const splitList = (raw: string) =>
  raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")

const isScope = (s: string): s is KeyScope => (allScopes as ReadonlyArray<string>).includes(s)

export const parseScopes = (raw: string): Option.Option<ReadonlyArray<KeyScope>> => {
  const scopes = splitList(raw)
  return scopes.length > 0 && scopes.every(isScope) ? Option.some(scopes) : Option.none()
}

const scopesRule = (raw: string): string => {
  const unknown = splitList(raw).find((s) => !isScope(s))
  const valid = `valid scopes: ${allScopes.join(", ")}`
  return unknown === undefined ? `at least one scope; ${valid}` : `known scopes ('${unknown}' is not one); ${valid}`
}

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/

/**
 * RFC 3339 with a Z or ±HH:MM offset. Checked field by field: Date.parse alone takes 2027-02-30
 * and 24:00 and rolls them over.
 */
export const parseRfc3339 = (raw: string): Option.Option<Date> => {
  const m = rfc3339.exec(raw)
  if (m === null) return Option.none()
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number
  ]
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  const offsetOk = m[9] === undefined || (Number(m[10]) <= 23 && Number(m[11]) <= 59)
  const fieldsOk = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth
  if (!fieldsOk || hour > 23 || minute > 59 || second > 59 || !offsetOk) return Option.none()
  const date = new Date(raw.toUpperCase())
  return Number.isNaN(date.getTime()) ? Option.none() : Option.some(date)
}

// ---------------------------------------------------------------------------------------------
// Output

const timestamp = (date: Date | null, none: string): string =>
  date === null ? none : date.toISOString().replace(/\.000Z$/, "Z")

// Names come from operators' input: control characters would let a name rewrite the terminal.
const cell = (text: string): string => text.replace(/\p{Cc}/gu, "?")

export const renderTable = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const all = [header, ...rows].map((row) => row.map(cell))
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i]?.length ?? 0)))
  return all
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd()
    )
    .join("\n")
}

const storageOf = (tenant: Tenant): string =>
  tenant.locator.databaseUrl === null ? tenant.locator.schema : "own database"

const tenantRows = (tenants: ReadonlyArray<Tenant>) =>
  renderTable(
    ["ID", "NAME", "STATUS", "COUNTRY", "TIMEZONE", "CURRENCY", "STORAGE", "LOYALTY"],
    tenants.map((t) => [
      t.id,
      t.name,
      t.status,
      t.country,
      t.timezone,
      t.currency,
      storageOf(t),
      t.loyaltyCredential === null ? "no" : "yes"
    ])
  )

const keyRows = (keys: ReadonlyArray<ApiKeyRecord>) =>
  renderTable(
    ["ID", "NAME", "KIND", "SCOPES", "CREATED", "EXPIRES", "REVOKED", "LAST USED"],
    keys.map((k) => [
      String(k.id),
      k.name,
      k.kind,
      k.scopes.join(","),
      timestamp(k.createdAt, "-"),
      timestamp(k.expiresAt, "never"),
      timestamp(k.revokedAt, "no"),
      timestamp(k.lastUsedAt, "never")
    ])
  )

const describeCreated = (tenant: Tenant): string => {
  const storage =
    tenant.locator.databaseUrl === null
      ? `schema ${tenant.locator.schema} of the control database`
      : `own database ${maskUrl(tenant.locator.databaseUrl)} (schema ${tenant.locator.schema})`
  return [
    `created tenant '${tenant.id}'`,
    `  name      ${cell(tenant.name)}`,
    `  status    ${tenant.status}`,
    `  country   ${tenant.country}`,
    `  timezone  ${tenant.timezone}`,
    `  currency  ${tenant.currency}`,
    `  storage   ${storage}`,
    `next: npm run admin -- key issue ${tenant.id} --kind partner`
  ].join("\n")
}

// ---------------------------------------------------------------------------------------------
// Lookups shared by the commands

/** Any tenant in the directory, whatever its status: an operator may administer a disabled one. */
const requireTenant = Effect.fnUntraced(function* (raw: string) {
  const directory = yield* TenantDirectory
  const tenant = isTenantId(raw) ? yield* directory.find(raw) : undefined
  if (tenant === undefined) return yield* new AdminError({ message: `no tenant '${raw}'` })
  return tenant
})

/** The tenant's ApiKeys, open for the rest of the command's scope. */
const tenantKeys = Effect.fnUntraced(function* (raw: string) {
  const tenant = yield* requireTenant(raw)
  const databases = yield* TenantDatabases
  const repositories = yield* databases.repositories(tenant.id)
  return { tenant, keys: Context.get(repositories, ApiKeys) }
})

/** The tenant's embedded loyalty ledger, open for the rest of the command's scope. */
const tenantLedger = Effect.fnUntraced(function* (raw: string) {
  const tenant = yield* requireTenant(raw)
  const databases = yield* TenantDatabases
  const repositories = yield* databases.repositories(tenant.id)
  return { tenant, ledger: Context.get(repositories, LoyaltyLedger) }
})

// ---------------------------------------------------------------------------------------------
// The command tree

const tenantArgument = Argument.String("tenant").pipe(Argument.withDescription("The tenant's id"))

/**
 * The admin command tree over the given services. Each leaf opens the services only when its
 * handler runs, so `--help` and argument errors never open (or lock) the storage, and failures of
 * the services themselves (configuration, a locked data directory) are reported like any other.
 */
export const makeCli = <E>(services: Layer.Layer<AdminServices, E>) => {
  const handle = <A, E2>(body: Effect.Effect<A, E2, AdminServices | Scope.Scope>) =>
    body.pipe(Effect.scoped, Effect.provide(services), reportFailures)

  const tenantCreate = Command.make(
    "create",
    {
      id: Argument.String("id").pipe(
        Argument.withDescription(`The tenant's id, also its host label: ${tenantIdRule}`),
        Argument.filterMap(parseTenantId, () => `a tenant id: ${tenantIdRule}`)
      ),
      name: Flag.String("name").pipe(Flag.withDescription("Display name (default: the id)"), Flag.optional),
      country: Flag.String("country").pipe(
        Flag.withDescription("ISO 3166-1 alpha-2 country, the default region for phone numbers (default: SG)"),
        Flag.filter(isCountryCode, () => "two upper-case letters (ISO 3166-1 alpha-2), e.g. SG"),
        Flag.withDefault("SG")
      ),
      timezone: Flag.String("timezone").pipe(
        Flag.withDescription("IANA time zone (default: Asia/Singapore)"),
        Flag.filterMap(parseTimeZone, () => "an IANA time zone, e.g. Asia/Singapore"),
        Flag.withDefault("Asia/Singapore")
      ),
      currency: Flag.String("currency").pipe(
        Flag.withDescription("ISO 4217 default currency (default: SGD)"),
        Flag.filter(isCurrencyCode, () => "three upper-case letters (ISO 4217), e.g. SGD"),
        Flag.withDefault("SGD")
      ),
      databaseUrl: Flag.String("database-url").pipe(
        Flag.withDescription(
          "An existing PostgreSQL database of the tenant's own (default: a schema of the control database)"
        ),
        Flag.filterMap(parseDatabaseUrl, () => "a postgres:// or postgresql:// URL"),
        Flag.optional
      )
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const tenant = yield* createTenant({
            id: input.id,
            name: Option.getOrUndefined(input.name),
            country: input.country,
            timezone: input.timezone,
            currency: input.currency,
            databaseUrl: Option.getOrUndefined(input.databaseUrl)
          })
          yield* Console.log(describeCreated(tenant))
        })
      )
  ).pipe(Command.withDescription("Create a tenant: its schema (or its own database, migrated) and its directory entry"))

  const tenantList = Command.make("list", {}, () =>
    handle(
      Effect.gen(function* () {
        const tenants = yield* (yield* TenantDirectory).list
        yield* Console.log(tenants.length === 0 ? "no tenants" : tenantRows(tenants))
      })
    )
  ).pipe(Command.withDescription("List tenants (never their credentials or database URLs)"))

  const tenantSetLoyalty = Command.make(
    "set-loyalty",
    {
      tenant: tenantArgument,
      url: Flag.String("url").pipe(
        Flag.withDescription("The tenant's loyalty-service base URL (default: LOYALTY_URL)"),
        Flag.filterMap(httpUrl, () => "an http:// or https:// URL without a user or password in it"),
        Flag.optional
      ),
      // Redacted: the value never appears in a rendered error or a log line.
      credential: Flag.Redacted("credential").pipe(
        Flag.withDescription("The loyalty-service credential (stored, never shown)"),
        Flag.filter(
          (c) => Redacted.value(c) !== "",
          () => "a non-empty credential"
        )
      )
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const tenant = yield* requireTenant(input.tenant)
          const directory = yield* TenantDirectory
          const url = Option.getOrNull(input.url)
          yield* directory.setLoyalty(tenant.id, { url, credential: input.credential })
          const where = url === null ? "the default loyalty service (LOYALTY_URL)" : maskUrl(url)
          yield* Console.log(`loyalty configured for tenant '${tenant.id}': ${where}, credential stored (not shown)`)
        })
      )
  ).pipe(Command.withDescription("Set a tenant's loyalty-service URL and credential"))

  const keyIssue = Command.make(
    "issue",
    {
      tenant: tenantArgument,
      kind: Flag.Literals("kind", KeyKind.literals).pipe(
        Flag.withDescription("partner, pos or editor: presets the scopes")
      ),
      scopes: Flag.String("scopes").pipe(
        Flag.withDescription(`Comma-separated scopes instead of the kind's preset: ${allScopes.join(", ")}`),
        Flag.filterMap(parseScopes, scopesRule),
        Flag.optional
      ),
      expiresAt: Flag.String("expires-at").pipe(
        Flag.withDescription("Expiry, RFC 3339 with Z or an offset (default: never)"),
        Flag.filterMap(parseRfc3339, () => "an RFC 3339 time with Z or ±HH:MM, e.g. 2027-01-01T00:00:00Z"),
        Flag.optional
      ),
      name: Flag.String("name").pipe(Flag.withDescription("A name for the key (default: '<kind> key')"), Flag.optional)
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const { tenant, keys } = yield* tenantKeys(input.tenant)
          const expiresAt = Option.getOrUndefined(input.expiresAt)
          const now = yield* Clock.currentTimeMillis
          if (expiresAt !== undefined && expiresAt.getTime() <= now) {
            return yield* new AdminError({ message: `--expires-at ${expiresAt.toISOString()} is not in the future` })
          }
          const issued = yield* issueApiKey({
            kind: input.kind,
            scopes: Option.getOrUndefined(input.scopes),
            name: Option.getOrUndefined(input.name),
            expiresAt
          }).pipe(Effect.provideService(ApiKeys, keys))
          // Standard output carries the key alone, so `KEY=$(npm run -s admin -- key issue ...)` works.
          yield* Console.log(issued.plaintext)
          const { record } = issued
          yield* Console.error(
            `issued key ${record.id} ('${cell(record.name)}', ${record.kind}) for tenant '${tenant.id}'; ` +
              `scopes ${record.scopes.join(",")}; expires ${timestamp(record.expiresAt, "never")}. ` +
              "The key is shown once: only its hash is stored."
          )
        })
      )
  ).pipe(Command.withDescription("Issue an API key; prints the key alone on standard output, once"))

  const keyList = Command.make("list", { tenant: tenantArgument }, (input) =>
    handle(
      Effect.gen(function* () {
        const { tenant, keys } = yield* tenantKeys(input.tenant)
        const all = yield* keys.list
        yield* Console.log(all.length === 0 ? `no keys for tenant '${tenant.id}'` : keyRows(all))
      })
    )
  ).pipe(Command.withDescription("List a tenant's API keys (never secrets or hashes)"))

  const keyRevoke = Command.make(
    "revoke",
    {
      tenant: tenantArgument,
      keyId: Argument.Int("key-id").pipe(Argument.withDescription("The key's numeric id (see key list)"))
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const { tenant, keys } = yield* tenantKeys(input.tenant)
          const key = yield* keys.findById(input.keyId)
          if (key === undefined) {
            return yield* new AdminError({ message: `tenant '${tenant.id}' has no key ${input.keyId}` })
          }
          if (key.revokedAt !== null) {
            return yield* Console.log(
              `key ${key.id} of tenant '${tenant.id}' was already revoked at ${timestamp(key.revokedAt, "")}`
            )
          }
          const revoked = yield* keys.revoke(key.id, new Date(yield* Clock.currentTimeMillis))
          yield* Console.log(
            `revoked key ${key.id} ('${cell(key.name)}') of tenant '${tenant.id}' at ${timestamp(revoked?.revokedAt ?? null, "-")}`
          )
        })
      )
  ).pipe(Command.withDescription("Revoke an API key (a running service refuses it within its key cache TTL)"))

  const storeSetCredentials = Command.make(
    "set-credentials",
    {
      tenant: tenantArgument,
      provider: Argument.String("provider").pipe(
        Argument.withDescription("The POS plugin's id (see GET /api/v1/providers)")
      ),
      externalOutletId: Argument.String("external-outlet-id").pipe(
        Argument.withDescription("The POS's own id of an outlet synced before (e.g. Deliverect channelLinkId)")
      ),
      json: Flag.Redacted("json").pipe(Flag.withDescription("The credentials as JSON, in the plugin's schema"))
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const registry = yield* PluginRegistry
          const loaded = registry.get(input.provider)
          if (loaded === undefined) {
            const names = registry.all.map((p) => p.manifest.id).join(", ")
            return yield* new AdminError({ message: `no POS plugin '${input.provider}' is loaded (loaded: ${names})` })
          }
          const raw = yield* Effect.try({
            try: () => JSON.parse(Redacted.value(input.json)) as unknown,
            catch: () => new AdminError({ message: "--json is not valid JSON" })
          })
          // Only the paths of what is wrong: a schema message could quote the secret itself.
          const credentials = yield* Schema.decodeUnknownEffect(loaded.plugin.credentials)(raw, { errors: "all" }).pipe(
            Effect.mapError(
              (error) =>
                new AdminError({
                  message: `these are not ${input.provider} credentials; check: ${
                    [...new Set(issuesOf(error).map((issue) => issue.path))].join(", ") || "(the whole value)"
                  }`
                })
            )
          )
          const tenant = yield* requireTenant(input.tenant)
          const databases = yield* TenantDatabases
          const outlets = Context.get(yield* databases.repositories(tenant.id), Outlets)
          const [store] = yield* outlets.findByExternalIds(input.provider, [input.externalOutletId])
          if (store === undefined) {
            return yield* new AdminError({
              message: `tenant '${tenant.id}' has no ${input.provider} outlet '${input.externalOutletId}' (sync its outlets first)`
            })
          }
          const encoded = yield* Schema.encodeUnknownEffect(loaded.plugin.credentials)(credentials).pipe(
            Effect.mapError(() => new AdminError({ message: "the credentials could not be stored" }))
          )
          yield* outlets.setSecrets(store.id, JSON.stringify(encoded))
          yield* Console.log(
            `credentials set for outlet ${store.id} (${input.provider} ${store.externalId}, '${cell(store.name)}')`
          )
        })
      )
  ).pipe(Command.withDescription("Set an outlet's POS credentials (stored, never shown or logged)"))

  const rewardId = Argument.String("reward-id").pipe(
    Argument.withDescription("The reward's id, as partners redeem it (1 to 128 characters of A-Z a-z 0-9 . _ : -)")
  )

  const rewardSet = Command.make(
    "set",
    {
      tenant: tenantArgument,
      rewardId,
      name: Flag.String("name").pipe(Flag.withDescription("The reward's name, as partners show it")),
      points: Flag.Int("points").pipe(Flag.withDescription("What redeeming it costs, in points (at least 1)"))
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          if (!/^[A-Za-z0-9._:-]{1,128}$/.test(input.rewardId)) {
            return yield* new AdminError({ message: "a reward id is 1 to 128 characters of A-Z a-z 0-9 . _ : -" })
          }
          const name = input.name.trim()
          if (name === "" || name.length > 200) {
            return yield* new AdminError({ message: "--name must be 1 to 200 characters" })
          }
          if (!Number.isSafeInteger(input.points) || input.points < 1) {
            return yield* new AdminError({ message: "--points must be a whole number of at least 1" })
          }
          const { tenant, ledger } = yield* tenantLedger(input.tenant)
          yield* ledger.setReward({ rewardId: input.rewardId, name, points: input.points }, new Date())
          const where =
            tenant.loyaltyUrl !== null ? " (note: this tenant uses a loyalty-service, which keeps its own rewards)" : ""
          yield* Console.log(
            `reward '${input.rewardId}' set for tenant '${tenant.id}': ${cell(name)}, ${input.points} points${where}`
          )
        })
      )
  ).pipe(Command.withDescription("Add or change a reward of the embedded loyalty ledger"))

  const rewardList = Command.make("list", { tenant: tenantArgument }, (input) =>
    handle(
      Effect.gen(function* () {
        const { tenant, ledger } = yield* tenantLedger(input.tenant)
        const rewards = yield* ledger.rewards
        yield* Console.log(
          rewards.length === 0
            ? `no rewards for tenant '${tenant.id}'`
            : renderTable(
                ["REWARD", "NAME", "POINTS"],
                rewards.map((r) => [r.rewardId, cell(r.name), String(r.points)])
              )
        )
      })
    )
  ).pipe(Command.withDescription("List the rewards of a tenant's embedded loyalty ledger"))

  const rewardRemove = Command.make("remove", { tenant: tenantArgument, rewardId }, (input) =>
    handle(
      Effect.gen(function* () {
        const { tenant, ledger } = yield* tenantLedger(input.tenant)
        if (!(yield* ledger.removeReward(input.rewardId))) {
          return yield* new AdminError({ message: `tenant '${tenant.id}' has no reward '${input.rewardId}'` })
        }
        yield* Console.log(`reward '${input.rewardId}' removed from tenant '${tenant.id}'`)
      })
    )
  ).pipe(Command.withDescription("Remove a reward (transactions that redeemed it keep their history)"))

  const reward = Command.make("reward").pipe(
    Command.withDescription("Manage the rewards of a tenant's embedded loyalty ledger"),
    Command.withSubcommands([rewardSet, rewardList, rewardRemove])
  )

  const store = Command.make("store").pipe(
    Command.withDescription("Manage outlets' POS credentials"),
    Command.withSubcommands([storeSetCredentials])
  )

  const tenant = Command.make("tenant").pipe(
    Command.withDescription("Manage tenants"),
    Command.withSubcommands([tenantCreate, tenantList, tenantSetLoyalty])
  )
  const key = Command.make("key").pipe(
    Command.withDescription("Manage a tenant's API keys"),
    Command.withSubcommands([keyIssue, keyList, keyRevoke])
  )
  return Command.make("admin").pipe(
    Command.withDescription("Administer pos-integration: tenants, API keys, outlets' POS credentials and rewards"),
    Command.withSubcommands([tenant, key, store, reward])
  )
}
