import { Cause, Console, Effect } from "effect"

const messageOf = (value: unknown): string => {
  if (value instanceof Error) return value.message
  if (typeof value === "object" && value !== null && "message" in value) return String(value.message)
  return String(value)
}

/**
 * What an operator sees when the process cannot start or a command fails: one plain line naming
 * the problem (a configuration variable, a locked data directory, an unreachable database), no
 * stack trace. Defects still print their cause in full.
 */
export const describeFailure = (error: unknown): string => {
  if (typeof error === "object" && error !== null && "_tag" in error) {
    const tagged = error as { _tag: string; operation?: string; cause?: unknown }
    if (tagged._tag === "StorageError") return `${tagged.operation}: ${messageOf(tagged.cause)}`
  }
  return messageOf(error)
}

export const reportStartupFailure = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.catchCause(effect, (cause) => {
    const failure = cause.reasons.find(Cause.isFailReason)
    return Effect.andThen(
      failure === undefined
        ? Console.error(Cause.pretty(cause))
        : Console.error(`error: ${describeFailure(failure.error)}`),
      Effect.sync(() => {
        process.exitCode = 1
      })
    )
  })
