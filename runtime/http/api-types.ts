import { Schema } from "effect"
import { OpenApi } from "effect/http-api"
import { rfc3339Instant } from "../../domain/rfc3339.ts"

/**
 * Types the API declares in many places, with what a partner needs to know about them. Answers are
 * built by our own code, so the response types carry documentation only (no checks that could turn
 * a stored value into a 500); request types check what they promise.
 */

/** An instant in our own API: RFC 3339, answered in UTC with milliseconds. */
export const DateTime = Schema.String.annotate({
  format: "date-time",
  description: "RFC 3339 date-time, answered in UTC with milliseconds",
  examples: ["2026-03-16T15:05:33.000Z"]
})

/** An RFC 3339 instant in a request body (`Z` or `±HH:MM` offset), checked by the schema (400). */
export const DateTimeInput = Schema.String.pipe(
  Schema.check(
    Schema.makeFilter(
      (s: string) => rfc3339Instant(s) !== undefined || "expected an RFC 3339 date-time with Z or ±HH:MM"
    )
  )
).annotate({
  format: "date-time",
  description: "RFC 3339 date-time with `Z` or a `±HH:MM` offset",
  examples: ["2027-01-01T00:00:00Z"]
})

/** An RFC 3339 instant given in a query (`Z` or `±HH:MM` offset); the handler checks it (400). */
export const DateTimeQuery = Schema.String.annotate({
  format: "date-time",
  description: "RFC 3339 date-time with `Z` or a `±HH:MM` offset",
  examples: ["2026-03-16T15:05:33+08:00"]
})

export const Currency = Schema.String.annotate({ description: "ISO 4217 currency code", examples: ["SGD"] })

export const Money = Schema.Struct({
  amount: Schema.Int.annotate({ description: "Minor units of the currency (cents for SGD)", examples: [850] }),
  currency: Currency
}).annotate({ identifier: "Money", description: "An amount in minor units, never a float" })

export const FulfilmentType = Schema.Literals(["PICKUP", "DELIVERY", "DINE_IN", "CURBSIDE"])

/** A page size: integers 1 to 500; absent, 50. */
export const Limit = Schema.Int.check(
  Schema.isBetween({ minimum: 1, maximum: 500 }, { message: "must be an integer from 1 to 500" })
).annotate({
  description: "Page size, 1 to 500",
  default: 50
})

export const NextCursor = Schema.NullOr(Schema.String).annotate({
  description: "Pass as `cursor` for the next page; null on the last page"
})

/**
 * An operation's summary and description. The scopes it needs are added to the description from its
 * RequiredScopes annotation (runtime/http/openapi-document.ts), so they are written once.
 */
export const doc = (summary: string, description: string) => OpenApi.annotations({ summary, description })
