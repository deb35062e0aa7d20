import { describe, expect, it } from "vitest"
import { InvalidPayload, StorageError, SyncInProgress, TooManyDeactivations } from "../../domain/errors.ts"
import { UnreadableCredentials } from "../ports/pos-credentials.ts"
import { MissingCredentials, PayloadRejected, PosRejected, PosUnavailable } from "../pos-sdk/errors.ts"
import { describeFailure, scrubSecrets } from "./pull-problems.ts"

const context = (outlet: unknown, account: unknown) => ({ credentials: { outlet, account } })

describe("a pull's failures", () => {
  it("are retryable only when the POS or the database could not be reached, or the outlet was busy", () => {
    const retryable = (error: Parameters<typeof describeFailure>[0]) => describeFailure(error, "S1").retryable
    expect(retryable(new PosUnavailable({ reason: "connection reset" }))).toBe(true)
    expect(retryable(new StorageError({ operation: "record sync", cause: "down" }))).toBe(true)
    expect(retryable(new SyncInProgress({ outletId: "out_1" }))).toBe(true)
    expect(retryable(new PosRejected({ reason: "unknown location", status: 404 }))).toBe(false)
    expect(retryable(new MissingCredentials({ level: "account", reason: "none set" }))).toBe(false)
    expect(retryable(new UnreadableCredentials({ level: "outlet", reason: "sealed under key k0" }))).toBe(false)
    expect(retryable(PayloadRejected.one("menus.1.price", "expected a number"))).toBe(false)
    expect(retryable(new TooManyDeactivations({ active: 10, deactivating: 5, limitPercent: 30 }))).toBe(false)
  })

  it("name the error's tag and say what happened, with the first problems of a rejected catalog", () => {
    expect(describeFailure(new PosRejected({ reason: "unknown location", status: 404 }), "S1")).toEqual({
      error: "PosRejected",
      message: "the POS refused the request (HTTP 404): unknown location",
      retryable: false,
      outlet: "S1"
    })
    const issues = Array.from({ length: 7 }, (_, i) => ({ path: `products.p${i}`, message: "used by two objects" }))
    const invalid = describeFailure(new InvalidPayload({ provider: "x", issues }), null)
    expect(invalid.error).toBe("PayloadRejected")
    expect(invalid.message).toContain("products.p4: used by two objects; and 2 more")
    expect(invalid.message).not.toContain("products.p5")
  })

  it("never carry the call's credentials, a URL's password or a token parameter", () => {
    const credentials = context(
      { token: "tok-outlet-123456" },
      { clientSecret: "cs-account-abcdef", nested: { refresh: ["rt-nested-999999"] }, region: "eu" }
    )
    const message = scrubSecrets(
      "GET https://user:pa55@api.example/v1?access_token=abc123&x=1 with tok-outlet-123456 and cs-account-abcdef, rt-nested-999999 in eu; Authorization: Bearer zzz-top",
      credentials
    )
    for (const secret of ["pa55", "abc123", "tok-outlet-123456", "cs-account-abcdef", "rt-nested-999999", "zzz-top"]) {
      expect(message).not.toContain(secret)
    }
    // Short values are no secrets: masking them would garble ordinary words.
    expect(message).toContain(" in eu;")
    expect(message).toContain("x=1")
    expect(scrubSecrets("a".repeat(600), null)).toHaveLength(500)
  })

  it("mask a secret containing another secret whole", () => {
    expect(scrubSecrets("key=secret-long-value", context({ a: "secret-long", b: "secret-long-value" }, null))).toBe(
      "key=***"
    )
  })
})
