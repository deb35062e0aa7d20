import { Cause, Effect, Exit, Logger, Option, References } from "effect"
import { expect } from "vitest"

/** How an effect ended: a value, a typed failure, or a defect (a bug: a throw, a die, an interruption). */
export type Outcome<A, E> =
  | { readonly _tag: "success"; readonly value: A }
  | { readonly _tag: "failure"; readonly error: E; readonly cause: string }
  | { readonly _tag: "defect"; readonly cause: string }

/** How an exit ended, as an outcome. */
export const classify = <A, E>(exit: Exit.Exit<A, E>): Outcome<A, E> => {
  if (Exit.isSuccess(exit)) return { _tag: "success", value: exit.value }
  const error = Cause.findErrorOption(exit.cause)
  return Exit.hasDies(exit) || Option.isNone(error)
    ? { _tag: "defect", cause: Cause.pretty(exit.cause) }
    : { _tag: "failure", error: error.value, cause: Cause.pretty(exit.cause) }
}

/** Runs an effect built by `make` (a throw while building it counts as a defect) and says how it ended. */
export const outcome = async <A, E>(make: () => Effect.Effect<A, E>): Promise<Outcome<A, E>> =>
  classify(await Effect.runPromiseExit(Effect.suspend(make)))

/** JSON that never throws: bigints as text, bytes as UTF-8 text, errors with their message, cycles cut. */
export const safeJson = (value: unknown): string => {
  const seen = new WeakSet<object>()
  try {
    return (
      JSON.stringify(value, (_key, v: unknown) => {
        if (typeof v === "bigint") return v.toString()
        if (v instanceof Uint8Array) return new TextDecoder().decode(v)
        if (v instanceof Error) return { ...v, name: v.name, message: v.message, cause: v.cause }
        if (v !== null && typeof v === "object") {
          if (seen.has(v)) return "[cycle]"
          seen.add(v)
        }
        return v
      }) ?? String(value)
    )
  } catch {
    return String(value)
  }
}

const textOf = (part: unknown): string => {
  if (typeof part === "string") return part
  if (part instanceof Error) return `${part.name}: ${part.message}\n${part.stack ?? ""}\n${safeJson(part)}`
  return safeJson(part)
}

/** Everything a log event shows: its message parts, annotations and spans, and its cause in full. */
const logLine = (options: Logger.Options<unknown>): string => {
  const message = Array.isArray(options.message) ? options.message : [options.message]
  const structured = Logger.formatStructured.log(options)
  const cause = options.cause.reasons.length > 0 ? `\n${Cause.pretty(options.cause)}` : ""
  return `[${options.logLevel}] ${message.map(textOf).join(" ")} ${safeJson(structured.annotations)} ${safeJson(structured.spans)}${cause}`
}

const consoleMethods = ["log", "info", "warn", "error", "debug", "trace", "dir"] as const

/** Records what is written to the console and to stdout and stderr until the returned function is called. */
const captureConsole = (into: Array<string>): (() => void) => {
  const restore: Array<() => void> = []
  for (const method of consoleMethods) {
    const original = console[method]
    console[method] = (...args: Array<unknown>) => {
      into.push(`console.${method}: ${args.map(textOf).join(" ")}`)
    }
    restore.push(() => {
      console[method] = original
    })
  }
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write
    stream.write = ((chunk: unknown) => {
      into.push(typeof chunk === "string" ? chunk : textOf(chunk))
      return true
    }) as typeof stream.write
    restore.push(() => {
      stream.write = original
    })
  }
  return () => {
    for (const undo of restore.reverse()) undo()
  }
}

export interface Observed<A, E> {
  readonly outcome: Outcome<A, E>
  /** Every log line (at any level, the default logger replaced) and everything written to the console. */
  readonly output: ReadonlyArray<string>
}

/** Runs an effect as `outcome` does, recording its logs at every level and any console output. */
export const observe = async <A, E>(make: () => Effect.Effect<A, E>): Promise<Observed<A, E>> => {
  const output: Array<string> = []
  const logger = Logger.make((options) => {
    output.push(logLine(options))
  })
  const restore = captureConsole(output)
  try {
    const exit = await Effect.runPromiseExit(
      Effect.suspend(make).pipe(
        Effect.provideService(Logger.CurrentLoggers, new Set([logger])),
        Effect.provideService(References.MinimumLogLevel, "All")
      )
    )
    return { outcome: classify(exit), output }
  } finally {
    restore()
  }
}

/** What an outcome shows anyone: a value's JSON, or a failure's text, message, JSON and full cause. */
export const shownText = (result: Outcome<unknown, unknown>): ReadonlyArray<string> => {
  switch (result._tag) {
    case "success":
      return [safeJson(result.value)]
    case "defect":
      return [result.cause]
    case "failure": {
      const error = result.error
      const message = error instanceof Error ? error.message : ""
      return [String(error), message, safeJson(error), result.cause]
    }
  }
}

export const describeOutcome = (result: Outcome<unknown, unknown>): string =>
  result._tag === "success"
    ? `a value: ${safeJson(result.value).slice(0, 500)}`
    : result._tag === "failure"
      ? `a failure: ${safeJson(result.error).slice(0, 500)}`
      : `a defect: ${result.cause}`

const tagOf = (error: unknown): string | undefined =>
  error !== null && typeof error === "object" && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : undefined

/** A value, or a typed failure with one of these tags; never a defect. PayloadRejected must name its issues. */
export const expectValueOrTyped = (result: Outcome<unknown, unknown>, tags: ReadonlyArray<string>, what: string) => {
  if (result._tag === "defect")
    expect.fail(`${what}: a defect instead of a value or ${tags.join(" or ")}:\n${result.cause}`)
  if (result._tag === "failure") {
    const tag = tagOf(result.error)
    if (tag === undefined || !tags.includes(tag)) {
      expect.fail(`${what}: failed with ${safeJson(result.error)}, expected a value or ${tags.join(" or ")}`)
    }
    if (tag === "PayloadRejected") {
      const issues = (result.error as { issues?: ReadonlyArray<{ path: unknown; message: unknown }> }).issues ?? []
      expect(issues.length, `${what}: a PayloadRejected names at least one issue`).toBeGreaterThan(0)
      for (const issue of issues) {
        expect(typeof issue.path, `${what}: issue path`).toBe("string")
        expect(typeof issue.message, `${what}: issue message`).toBe("string")
      }
    }
  }
}

/** A typed failure with this tag, answered as the error. */
export const expectFailure = <E>(result: Outcome<unknown, E>, tag: string, what: string): E => {
  if (result._tag !== "failure" || tagOf(result.error) !== tag) {
    return expect.fail(`${what}: expected a ${tag} failure, got ${describeOutcome(result)}`)
  }
  return result.error
}

/** A value, answered. */
export const expectSuccess = <A>(result: Outcome<A, unknown>, what: string): A => {
  if (result._tag !== "success") return expect.fail(`${what}: expected a value, got ${describeOutcome(result)}`)
  return result.value
}
