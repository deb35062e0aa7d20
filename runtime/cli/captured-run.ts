import { NodeServices } from "@effect/platform-node"
import { Console, Effect, Runtime } from "effect"
import { CliOutput, Command } from "effect/cli"
import packageJson from "../../package.json" with { type: "json" }
import type { makeCli } from "./commands.ts"

/** What a command printed, and the exit code the CLI process would have ended with. */
export interface CliOutcome {
  readonly stdout: string
  readonly stderr: string
  readonly exitCode: number
}

/**
 * Runs one admin command (argv without the program name) in this process, its standard output and
 * standard error captured line by line: the running service runs the CLI's commands this way for
 * the CLI on its machine, so their output is the same bytes as a local run's.
 */
export const runCaptured = (cli: ReturnType<typeof makeCli>, argv: ReadonlyArray<string>): Effect.Effect<CliOutcome> =>
  Effect.suspend(() => {
    const out: Array<string> = []
    const err: Array<string> = []
    const line =
      (sink: Array<string>) =>
      (...args: ReadonlyArray<unknown>) => {
        sink.push(args.map(String).join(" "))
      }
    const captured: Console.Console = Object.assign(Object.create(globalThis.console), {
      log: line(out),
      info: line(out),
      error: line(err),
      warn: line(err)
    })
    return Command.runWith(cli, { version: packageJson.version })([...argv]).pipe(
      Effect.provideService(Console.Console, captured),
      Effect.provide(CliOutput.layer(CliOutput.defaultFormatter({ colors: false }))),
      Effect.provide(NodeServices.layer),
      Effect.exit,
      Effect.map((exit) => {
        let exitCode = 0
        Runtime.defaultTeardown(exit, (code) => {
          exitCode = code
        })
        return { stdout: out.join("\n"), stderr: err.join("\n"), exitCode }
      })
    )
  })
