import { Cause, Console, Effect } from "effect"
import { describeDatabaseCause } from "../adapters/storage/sql/sql-errors.ts"
import { AlreadyExists, InvalidInput, NotFound } from "../domain/errors.ts"

// What an operator reads when the service cannot start or an admin command fails: one plain line
// naming the problem (a configuration variable, a locked data directory, an unreachable database),
// with any database password masked, and no stack trace.

const causeText = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : String(cause)

const hasTag = (error: unknown, tag: string): error is Record<string, unknown> =>
  typeof error === "object" && error !== null && "_tag" in error && error._tag === tag

/** A failure in the operator's terms. */
export const describeFailure = (error: unknown): string => {
  if (error instanceof NotFound) return `no ${error.resource} '${error.id}'`
  if (error instanceof AlreadyExists) return `${error.resource} '${error.id}' already exists`
  if (error instanceof InvalidInput) return error.details
  // The database's own reason (`database "x" does not exist`), not the driver's wrapper ("Failed to connect").
  if (hasTag(error, "StorageError")) return `${String(error["operation"])}: ${describeDatabaseCause(error["cause"])}`
  // The port is taken, HOST is no address of this machine, or its name does not resolve.
  if (hasTag(error, "ServeError")) return `cannot open the HTTP port: ${causeText(error["cause"])}`
  // Config's SchemaError spreads over two lines ("Expected string\n  at [\"PORT\"]"): one is enough.
  if (hasTag(error, "ConfigError"))
    return `invalid configuration: ${causeText(error["cause"]).replace(/\s*\n\s*/g, " ")}`
  return causeText(error)
}

/** A storage failure for a log line: the database's own reason in one line, any password masked. */
export const storageReason = (error: { readonly operation: string; readonly cause: unknown }) => ({
  operation: error.operation,
  reason: redactUrls(describeDatabaseCause(error.cause))
})

/**
 * A URL's user and password, wherever a URL stands in the text (a driver's error may quote a
 * connection string), and `password=` / `sslpassword=` parameters, never reach the screen or a log.
 * The userinfo is masked up to its last `@`, so a password holding `@` or `/` leaks no part of itself.
 */
export const redactUrls = (text: string): string =>
  text.replace(/([a-z][a-z0-9+.-]*:\/\/)\S*@/gi, "$1***@").replace(/(password=)[^&\s]*/gi, "$1***")

/** For the service's start-up: report a failure in one line and exit 1; defects print their cause. */
export const reportStartupFailure = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.catchCause(effect, (cause) => {
    const failure = cause.reasons.find(Cause.isFailReason)
    return Effect.andThen(
      failure === undefined
        ? Console.error(Cause.pretty(cause))
        : Console.error(`error: ${redactUrls(describeFailure(failure.error))}`),
      Effect.sync(() => {
        process.exitCode = 1
      })
    )
  })
