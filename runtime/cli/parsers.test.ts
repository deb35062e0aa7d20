import { Option, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { StorageError } from "../../domain/errors.ts"
import { describeAdminFailure } from "./admin-errors.ts"
import { databaseUrlRule, loyaltyUrlRule, parseRfc3339, parseTimeZone, redactUserinfo } from "./parsers.ts"

describe("value parsers", () => {
  it("mask a URL's user and password, whatever they hold, before quoting it", () => {
    expect(redactUserinfo("http://user:pw@host")).toBe("http://***@host")
    expect(redactUserinfo("postgres://u:p/w@ss@db:5432/x")).toBe("postgres://***@db:5432/x")
    expect(redactUserinfo("postgres://db/x?user=u&password=pw")).toBe("postgres://db/x?user=u&password=***")
    expect(redactUserinfo("user:pw@host")).toBe("***@host")
    expect(redactUserinfo("https://loyalty.example.com/v1")).toBe("https://loyalty.example.com/v1")
  })

  it("name the problem of a refused URL without its secret", () => {
    expect(loyaltyUrlRule(Redacted.make("http://user:PW@host"))).toContain("(http://***@host)")
    expect(loyaltyUrlRule(Redacted.make("PW"))).not.toContain("PW")
    expect(databaseUrlRule(Redacted.make("mysql://u:PW@db/x"))).toBe(
      "a postgres:// or postgresql:// URL, not mysql://***@db/x"
    )
  })

  it("read IANA zones only", () => {
    expect(parseTimeZone("UTC")).toEqual(Option.some("UTC"))
    expect(parseTimeZone("europe/london")).toEqual(Option.some("Europe/London"))
    expect(parseTimeZone("Nowhere/City")).toEqual(Option.none())
  })

  it("read RFC 3339 times", () => {
    expect(Option.map(parseRfc3339("2030-06-30T23:59:59.5-05:30"), (d: Date) => d.toISOString())).toEqual(
      Option.some("2030-07-01T05:29:59.500Z")
    )
    expect(parseRfc3339("2028-02-29T00:00:00z")._tag).toBe("Some")
    expect(parseRfc3339("2027-02-29T00:00:00Z")._tag).toBe("None")
  })
})

describe("failures as the operator reads them", () => {
  it("a storage failure names the database's own reason under the driver's summary", () => {
    // The shape @effect/sql-pg gives: SqlError -> reason -> the server's error.
    const server = Object.assign(new Error('database "globexdb" does not exist'), { code: "3D000" })
    const reason = { _tag: "UnknownError", message: "PgConnection: Failed to connect", cause: server }
    const sqlError = { _tag: "SqlError", message: "PgConnection: Failed to connect", reason }
    const failure = new StorageError({ operation: "migrate tenant schema tenant_globex", cause: sqlError })
    expect(describeAdminFailure(failure)).toBe(
      'migrate tenant schema tenant_globex: Failed to connect: database "globexdb" does not exist'
    )
  })

  it("masks a password a cause quotes, and keeps plain causes", () => {
    const failure = new StorageError({
      operation: "provision tenant acme",
      cause: new Error("could not reach postgres://app:hunter2@db:5432/acme")
    })
    expect(describeAdminFailure(failure)).toBe("provision tenant acme: could not reach postgres://***@db:5432/acme")
    expect(describeAdminFailure({ _tag: "StorageError", operation: "open PGlite", cause: "disk full" })).toBe(
      "open PGlite: disk full"
    )
  })
})
