import { Console, Effect, Option, Redacted } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { audit } from "../../application/admin/audit.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { createTenant } from "../../application/tenants/create-tenant.ts"
import { describeRateLimits } from "../../domain/rate-limit.ts"
import { isCountryCode, isCurrencyCode, type Tenant, type TenantStatus } from "../../domain/tenant.ts"
import { redactUrls } from "../failures.ts"
import { AdminError } from "./admin-errors.ts"
import { cliCaller, type Handle, requireTenant, tenantArgument } from "./admin-services.ts"
import { cell, renderTable } from "./output.ts"
import {
  databaseUrlRule,
  describeTax,
  isLoyaltyCredential,
  loyaltyUrlRule,
  parseDatabaseUrl,
  parseLoyaltyUrl,
  parseRateLimitSpec,
  parseTaxRate,
  parseTenantId,
  parseTimeZone,
  rateLimitRule,
  rateLimitsOf,
  taxRateRule,
  tenantIdRule
} from "./parsers.ts"

// The tax rate's reading and wording are shared with the admin API (parsers.ts).
export { parseTaxRate, ratePercent, taxRateRule } from "./parsers.ts"

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

const describeCreated = (tenant: Tenant): string => {
  const storage =
    tenant.locator.databaseUrl === null
      ? `schema ${tenant.locator.schema} of the control database`
      : `own database ${redactUrls(tenant.locator.databaseUrl)} (schema ${tenant.locator.schema})`
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

const create = (handle: Handle) =>
  Command.make(
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
      // Redacted: effect/cli quotes a refused value, and this one may hold a password.
      databaseUrl: Flag.Redacted("database-url").pipe(
        Flag.withDescription(
          "An existing PostgreSQL database of the tenant's own; its schema tenant_<id> is created and migrated " +
            "(default: a schema of the control database)"
        ),
        Flag.filterMap(parseDatabaseUrl, databaseUrlRule),
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
          yield* audit(cliCaller, {
            action: "tenant.create",
            tenantId: tenant.id,
            summary: `created tenant '${tenant.id}' ('${tenant.name}', ${tenant.country}, ${tenant.currency}, ${
              tenant.locator.databaseUrl === null ? "a schema of the control database" : "its own database"
            })`
          })
          yield* Console.log(describeCreated(tenant))
        })
      )
  ).pipe(
    Command.withDescription(
      "Create a tenant: its schema tenant_<id> (in the control database or its own), migrated, and its directory entry"
    )
  )

const list = (handle: Handle) =>
  Command.make("list", {}, () =>
    handle(
      Effect.gen(function* () {
        const tenants = yield* (yield* TenantDirectory).list
        yield* Console.log(tenants.length === 0 ? "no tenants" : tenantRows(tenants))
      })
    )
  ).pipe(Command.withDescription("List tenants (never their credentials or database URLs)"))

const setLoyalty = (handle: Handle) =>
  Command.make(
    "set-loyalty",
    {
      tenant: tenantArgument,
      // Redacted like --database-url: a URL given with a password is refused without showing it.
      url: Flag.Redacted("url").pipe(
        Flag.withDescription("The tenant's loyalty-service base URL, without credentials (default: LOYALTY_URL)"),
        Flag.filterMap(parseLoyaltyUrl, loyaltyUrlRule),
        Flag.optional
      ),
      // Redacted: the value never appears in a rendered error or a log line.
      credential: Flag.Redacted("credential").pipe(
        Flag.withDescription("The loyalty-service credential (stored, never shown)"),
        Flag.filter(
          (c) => isLoyaltyCredential(Redacted.value(c)),
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
          const where = url === null ? "the default loyalty service (LOYALTY_URL)" : redactUrls(url)
          yield* audit(cliCaller, {
            action: "tenant.set-loyalty",
            tenantId: tenant.id,
            summary: `set the loyalty service of tenant '${tenant.id}' to ${where}, and its credential (not recorded)`
          })
          yield* Console.log(`loyalty configured for tenant '${tenant.id}': ${where}, credential stored (not shown)`)
        })
      )
  ).pipe(Command.withDescription("Set a tenant's loyalty-service URL and credential"))

const setTax = (handle: Handle) =>
  Command.make(
    "set-tax",
    {
      tenant: tenantArgument,
      inclusive: Flag.ChoiceWithValue("inclusive", [
        ["true", true],
        ["false", false]
      ]).pipe(
        Flag.withDescription(
          "Whether prices include tax, where an outlet's POS does not say (default for a new tenant: true)"
        ),
        Flag.optional
      ),
      rate: Flag.String("rate").pipe(
        Flag.withDescription(
          "The tax rate an order line takes when neither its product nor its outlet gives one, in percent " +
            "(9, 8.875; at most 4 decimals), or none (then such lines carry no tax)"
        ),
        Flag.filterMap(
          (raw) => {
            const rate = parseTaxRate(raw)
            return rate === undefined ? Option.none() : Option.some(rate)
          },
          () => taxRateRule
        ),
        Flag.optional
      )
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          if (Option.isNone(input.inclusive) && Option.isNone(input.rate)) {
            return yield* new AdminError({
              message: "nothing to set: give --inclusive true|false, --rate <percent|none>, or both"
            })
          }
          const tenant = yield* requireTenant(input.tenant)
          // What is not given stays as it is.
          const updated = yield* (yield* TenantDirectory).setTax(tenant.id, {
            taxInclusive: Option.getOrElse(input.inclusive, () => tenant.taxInclusive),
            taxRatePpm: Option.getOrElse(input.rate, () => tenant.taxRatePpm)
          })
          yield* audit(cliCaller, {
            action: "tenant.set-tax",
            tenantId: updated.id,
            summary: `set the tax defaults of tenant '${updated.id}': ${describeTax(updated)}`
          })
          yield* Console.log(`tax for tenant '${updated.id}': ${describeTax(updated)}`)
        })
      )
  ).pipe(
    Command.withDescription(
      "Set a tenant's tax defaults for order pricing: whether prices include tax, and the default rate"
    )
  )

const setRateLimits = (handle: Handle) =>
  Command.make(
    "set-rate-limits",
    {
      tenant: tenantArgument,
      limit: Flag.String("limit").pipe(
        Flag.withDescription(`A limit, repeated for each: ${rateLimitRule}. The limits given replace all others`),
        Flag.filterMap(
          (raw) => Option.fromUndefinedOr(parseRateLimitSpec(raw)),
          (raw) => `--limit '${raw}' is not ${rateLimitRule}`
        ),
        Flag.atLeast(0)
      ),
      off: Flag.Boolean("off").pipe(Flag.withDescription("Remove every limit of the tenant"), Flag.withDefault(false))
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          if (input.off === input.limit.length > 0) {
            return yield* new AdminError({
              message: "give one or more --limit <who>.<class>=<rate>[/<burst>], or --off to remove every limit"
            })
          }
          const tenant = yield* requireTenant(input.tenant)
          const updated = yield* (yield* TenantDirectory).setRateLimits(tenant.id, rateLimitsOf(input.limit))
          const described = describeRateLimits(updated.rateLimits)
          yield* audit(cliCaller, {
            action: "tenant.set-rate-limits",
            tenantId: updated.id,
            summary: `set the rate limits of tenant '${updated.id}': ${described}`
          })
          yield* Console.log(`rate limits for tenant '${updated.id}': ${described}`)
        })
      )
  ).pipe(
    Command.withDescription(
      "Set a tenant's rate limits (token buckets per key kind and for the whole tenant, per class of operation); none by default"
    )
  )

const statusCommand = (handle: Handle, name: "suspend" | "reactivate", status: TenantStatus) =>
  Command.make(name, { tenant: tenantArgument }, (input) =>
    handle(
      Effect.gen(function* () {
        const tenant = yield* requireTenant(input.tenant)
        if (tenant.status === status) return yield* Console.log(`tenant '${tenant.id}' is already ${status}`)
        yield* (yield* TenantDirectory).setStatus(tenant.id, status)
        yield* audit(cliCaller, {
          action: `tenant.${name}`,
          tenantId: tenant.id,
          summary: `${name === "suspend" ? "suspended" : "reactivated"} tenant '${tenant.id}'`
        })
        yield* Console.log(
          name === "suspend"
            ? `suspended tenant '${tenant.id}': its partners and POS systems get 401 (a running service within KEY_CACHE_TTL_MS); its data is kept`
            : `reactivated tenant '${tenant.id}'`
        )
      })
    )
  ).pipe(
    Command.withDescription(
      name === "suspend"
        ? "Suspend a tenant: its partners and POS systems get the unknown tenant's 401; its data is kept"
        : "Reactivate a suspended tenant"
    )
  )

export const tenantCommands = (handle: Handle) =>
  Command.make("tenant").pipe(
    Command.withDescription("Manage tenants"),
    Command.withSubcommands([
      create(handle),
      list(handle),
      setLoyalty(handle),
      setTax(handle),
      setRateLimits(handle),
      statusCommand(handle, "suspend", "suspended"),
      statusCommand(handle, "reactivate", "active")
    ])
  )
