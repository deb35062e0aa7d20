import { Console, Data, Effect, Runtime } from "effect"
import { describeDatabaseCause } from "../../adapters/storage/sql/sql-errors.ts"
import { describeFailure, redactUrls } from "../failures.ts"

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

const isStorageError = (error: unknown): error is { readonly operation: unknown; readonly cause: unknown } =>
  typeof error === "object" && error !== null && "_tag" in error && error._tag === "StorageError"

/**
 * One line for the operator. A storage failure names the database's own reason (`database
 * "globexdb" does not exist`, `connect ECONNREFUSED ...`), not only the driver's summary, and
 * anything that looks like a URL with a password in it is masked.
 */
export const describeAdminFailure = (error: unknown): string =>
  redactUrls(
    isStorageError(error) ? `${String(error.operation)}: ${describeDatabaseCause(error.cause)}` : describeFailure(error)
  )

/** Prints `error: <message>` on standard error and fails with an already-reported error (exit 1). */
export const reportFailures = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, CommandFailed, R> =>
  Effect.catch(self, (error) => {
    if (error instanceof CommandFailed) return Effect.fail(error)
    const message = describeAdminFailure(error)
    return Effect.andThen(Console.error(`error: ${message}`), Effect.fail(new CommandFailed({ message })))
  })
