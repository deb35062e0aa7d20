import { Option, Redacted } from "effect"
import { allScopes, type Scope as KeyScope } from "../../domain/api-key.ts"
import { isTenantId, type TenantId } from "../../domain/tenant.ts"
import { parseHttpUrl } from "../config.ts"
import { rfc3339Instant } from "../../domain/rfc3339.ts"

// Pure checks of the commands' arguments, so a bad value is refused by effect/cli before storage is
// opened. URL flags are read as Redacted: effect/cli quotes a refused value in its error, and a
// URL may carry a password; the refusal names the problem with the URL's credentials masked.

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

export const loyaltyUrlRule = (raw: Redacted.Redacted<string>): string => {
  const url = Redacted.value(raw)
  return url.includes("@")
    ? `a URL without a user or password in it (${quoted(url)}): give the credential with --credential`
    : `an http:// or https:// URL, not ${quoted(url)}`
}

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
