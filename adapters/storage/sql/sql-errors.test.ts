import { SqlError } from "effect/sql"
import { describe, expect, it } from "vitest"
import { StorageError } from "../../../domain/errors.ts"
import { isTransientDatabaseFailure } from "./sql-errors.ts"

const socketError = (code: string) => Object.assign(new Error(`read ${code}`), { code })
/** A server error as the driver reports it: the SQLSTATE in `code`. */
const serverError = (code: string, message: string) => Object.assign(new Error(message), { code })

describe("a database out of reach, told from a fault of ours", () => {
  it("counts the sql client's connection failures and retryable reasons, however deep in the chain", () => {
    const cut = new SqlError.SqlError({
      reason: new SqlError.ConnectionError({ cause: socketError("ECONNRESET"), message: "Socket error" })
    })
    expect(isTransientDatabaseFailure(cut)).toBe(true)
    expect(isTransientDatabaseFailure(new StorageError({ operation: "find outlets", cause: cut }))).toBe(true)
    const deadlock = new SqlError.SqlError({ reason: new SqlError.DeadlockError({ cause: new Error("deadlock") }) })
    expect(isTransientDatabaseFailure(deadlock)).toBe(true)
  })

  it("counts socket errors and the SQLSTATEs of a server that is down, starting or full", () => {
    for (const code of ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EAI_AGAIN"]) {
      expect(isTransientDatabaseFailure({ cause: socketError(code) }), code).toBe(true)
    }
    for (const code of ["08006", "08001", "57P01", "57P02", "57P03", "53300", "53100"]) {
      expect(isTransientDatabaseFailure(serverError(code, "server error")), code).toBe(true)
    }
  })

  it("leaves the faults a retry cannot get past: syntax, constraints, bad input, unknown failures", () => {
    const syntax = new SqlError.SqlError({
      reason: new SqlError.SqlSyntaxError({ cause: serverError("42601", "syntax") })
    })
    expect(isTransientDatabaseFailure(syntax)).toBe(false)
    const unique = new SqlError.SqlError({
      reason: new SqlError.UniqueViolation({ cause: serverError("23505", "dup"), constraint: "orders_ref_code_key" })
    })
    expect(isTransientDatabaseFailure(unique)).toBe(false)
    expect(isTransientDatabaseFailure(serverError("22021", 'invalid byte sequence for encoding "UTF8": 0x00'))).toBe(
      false
    )
    expect(isTransientDatabaseFailure(new StorageError({ operation: "x", cause: "no answer" }))).toBe(false)
    expect(isTransientDatabaseFailure(undefined)).toBe(false)
    // A cause that points back at itself ends the walk.
    const loop: Record<string, unknown> = {}
    loop["cause"] = loop
    expect(isTransientDatabaseFailure(loop)).toBe(false)
  })
})
