import { Option, Redacted } from "effect"
import { Flag } from "effect/cli"
import type { TaxSettings } from "../../application/ports/tenant-directory.ts"
import { allScopes, type Scope as KeyScope } from "../../domain/api-key.ts"
import { type Limit, maxRate, type OperationClass, type RateLimits } from "../../domain/rate-limit.ts"
import { rfc3339Instant } from "../../domain/rfc3339.ts"
import { isTenantId, type TenantId } from "../../domain/tenant.ts"
import { parseHttpUrl } from "../config.ts"

// Pure checks of the commands' arguments, so a bad value is refused by effect/cli before storage is
// opened; the admin API checks its fields with the same rules. URL flags are read as Redacted:
// effect/cli quotes a refused value in its error, and a URL may carry a password; the refusal names
// the problem with the URL's credentials masked.

export const parseTenantId = (raw: string): Option.Option<TenantId> =>
  isTenantId(raw) ? Option.some(raw) : Option.none()

export const tenantIdRule = "1 to 56 characters of a-z, 0-9 and '-', starting with a letter or digit (e.g. acme-sg)"

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

/**
 * A URL as it may be quoted back: everything up to its last `@` (a user, a password, even one
 * holding `/` or `@`) and any `password=` parameter become `***`. Masking too much beats a leak.
 */
export const redactUserinfo = (raw: string): string =>
  raw
    .replace(/^(\s*[a-z][a-z0-9+.-]*:\/\/)?[\s\S]*@/i, (_, scheme: string | undefined) => `${scheme ?? ""}***@`)
    .replace(/(password=)[^&#\s]*/gi, "$1***")

/** How a refused URL is quoted: masked, and not at all when it is no URL (it may be a stray secret). */
const quoted = (url: string): string =>
  /^\s*[a-z][a-z0-9+.-]*:\/\//i.test(url) ? redactUserinfo(url) : "a value that is not a URL"

export const parseDatabaseUrl = (raw: Redacted.Redacted<string>): Option.Option<string> => {
  const url = Redacted.value(raw)
  return /^postgres(ql)?:\/\/./.test(url) && URL.canParse(url) ? Option.some(url) : Option.none()
}

export const databaseUrlRule = (raw: Redacted.Redacted<string>): string =>
  `a postgres:// or postgresql:// URL, not ${quoted(Redacted.value(raw))}`

export const parseLoyaltyUrl = (raw: Redacted.Redacted<string>): Option.Option<string> =>
  Option.fromUndefinedOr(parseHttpUrl(Redacted.value(raw)))

/** `credentialIn` names where the credential goes instead: the CLI's flag, or the API's field. */
export const loyaltyUrlRule = (raw: Redacted.Redacted<string>, credentialIn = "--credential"): string => {
  const url = Redacted.value(raw)
  return url.includes("@")
    ? `a URL without a user or password in it (${quoted(url)}): give the credential with ${credentialIn}`
    : `an http:// or https:// URL, not ${quoted(url)}`
}

/** A loyalty-service credential: any text but the empty one (it is never shown, so never quoted). */
export const isLoyaltyCredential = (credential: string): boolean => credential !== ""

/** A percentage holds at most this many decimals to be a whole number of parts per million. */
const rateDecimals = 4

/** 100%: the highest tax rate, in parts per million. */
export const maxTaxRatePpm = 100 * 10 ** rateDecimals

/**
 * A tax rate given as a percentage (`9`, `8.875`, `8.875%`) in parts per million, read from the
 * decimal digits (no floating point: `8.875` is 88,750 exactly), 0 to 100%; `none` is no rate.
 * Undefined when the text is none of these, or needs more than 4 decimals (a fraction of a ppm).
 */
export const parseTaxRate = (raw: string): number | null | undefined => {
  const text = raw.trim()
  if (text.toLowerCase() === "none") return null
  const match = /^(\d{1,3})(?:\.(\d+))?%?$/.exec(text)
  if (match === null) return undefined
  const [, whole = "", decimals = ""] = match
  const fraction = decimals.replace(/0+$/, "")
  if (fraction.length > rateDecimals) return undefined
  const ppm = Number(whole) * 10 ** rateDecimals + Number(fraction.padEnd(rateDecimals, "0"))
  return ppm <= maxTaxRatePpm ? ppm : undefined
}

export const taxRateRule = `a percentage from 0 to 100 with at most ${rateDecimals} decimals (e.g. 9 or 8.875), or none`

/** Parts per million as the percentage an operator types: 88750 is 8.875%. */
export const ratePercent = (ppm: number): string => {
  const unit = 10 ** rateDecimals
  const fraction = String(ppm % unit)
    .padStart(rateDecimals, "0")
    .replace(/0+$/, "")
  return `${Math.floor(ppm / unit)}${fraction === "" ? "" : `.${fraction}`}%`
}

/** A tenant's tax defaults in words, as the CLI prints them and the audit log records them. */
export const describeTax = (tax: TaxSettings): string =>
  `prices ${tax.taxInclusive ? "include" : "exclude"} tax; ` +
  (tax.taxRatePpm === null ? "no default rate" : `default rate ${ratePercent(tax.taxRatePpm)} (${tax.taxRatePpm} ppm)`)

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

export const scopesRule = (raw: string): string => {
  const unknown = splitList(raw).find((s) => !isScope(s))
  const valid = `valid scopes: ${allScopes.join(", ")}`
  return unknown === undefined ? `at least one scope; ${valid}` : `known scopes ('${unknown}' is not one); ${valid}`
}

/** RFC 3339 with a Z or ±HH:MM offset, checked field by field (domain/rfc3339.ts). */
export const parseRfc3339 = (raw: string): Option.Option<Date> => Option.fromNullishOr(rfc3339Instant(raw))

/** `--expires-at`: an RFC 3339 instant, optional (absent: never). */
export const expiresAtFlag = (description = "Expiry, RFC 3339 with Z or an offset (default: never)") =>
  Flag.String("expires-at").pipe(
    Flag.withDescription(description),
    Flag.filterMap(parseRfc3339, () => "an RFC 3339 time with Z or ±HH:MM, e.g. 2027-01-01T00:00:00Z"),
    Flag.optional
  )

export const rateLimitRule =
  "<who>.<class>=<rate>[/<burst>]: who is partner, pos, editor (each key of that kind) or tenant (all its callers together); class is reads, writes or syncs; rate is requests a second above 0 (0.5 is 30 a minute); burst a whole number from 1 (default: the rate rounded up)"

/** `partner.reads=10/20` as the limit it sets, or undefined when it is not one. */
export const parseRateLimitSpec = (
  raw: string
):
  | { readonly who: "partner" | "pos" | "editor" | "tenant"; readonly operation: OperationClass; readonly limit: Limit }
  | undefined => {
  const match = /^(partner|pos|editor|tenant)\.(reads|writes|syncs)=(\d+(?:\.\d+)?)(?:\/(\d+))?$/.exec(raw.trim())
  if (match === null) return undefined
  const rate = Number(match[3])
  const burst = match[4] === undefined ? Math.max(1, Math.ceil(rate)) : Number(match[4])
  if (!(rate > 0 && rate <= maxRate) || !(Number.isInteger(burst) && burst >= 1 && burst <= maxRate)) return undefined
  return {
    who: match[1] as "partner" | "pos" | "editor" | "tenant",
    operation: match[2] as OperationClass,
    limit: { rate, burst }
  }
}

/** Limits given as specs, one object (a later spec for the same bucket wins). */
export const rateLimitsOf = (specs: ReadonlyArray<NonNullable<ReturnType<typeof parseRateLimitSpec>>>): RateLimits => {
  const keys: Record<string, Record<string, Limit>> = {}
  const tenant: Record<string, Limit> = {}
  for (const spec of specs) {
    if (spec.who === "tenant") tenant[spec.operation] = spec.limit
    else keys[spec.who] = { ...keys[spec.who], [spec.operation]: spec.limit }
  }
  return {
    ...(Object.keys(keys).length === 0 ? {} : { keys }),
    ...(Object.keys(tenant).length === 0 ? {} : { tenant })
  } as RateLimits
}
