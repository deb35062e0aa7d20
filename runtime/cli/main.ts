import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect, Layer, Logger } from "effect"
import { Command } from "effect/cli"
import packageJson from "../../package.json" with { type: "json" }
import { appServices } from "../app-layer.ts"
import { appSettingsConfig } from "../config.ts"
import { storageLayer } from "../storage.ts"
import { makeCli } from "./commands.ts"
import { readLocalEndpoint, runInService } from "./remote.ts"

/**
 * The admin CLI: `npm run admin -- <command>`. The services are read from the same environment as
 * the service's, and built only when a command runs (see makeCli). No demo tenant is bootstrapped
 * here: the CLI administers what exists.
 */
const services = Layer.unwrap(
  Effect.gen(function* () {
    const settings = yield* appSettingsConfig
    // storageLayer throws on an inconsistent configuration: a failure to report, not a defect.
    const storage = yield* Effect.try({ try: () => storageLayer(settings), catch: (error) => error })
    // Pretty logs honour LogToStderr below; JSON logs would always go to standard output.
    return appServices({ ...settings, logFormat: "pretty" }, { background: false }).pipe(Layer.provideMerge(storage))
  })
)

const runHere = () =>
  makeCli(services).pipe(
    Command.run({ version: packageJson.version }),
    // Standard output is for command output only (`key issue` prints the key alone): logs go to stderr.
    Effect.provideService(Logger.LogToStderr, true),
    Effect.provide(NodeServices.layer),
    NodeRuntime.runMain
  )

/**
 * With embedded storage, a running service holds the data directory: the command runs in it,
 * through the admin endpoint it wrote into the data directory (its loopback URL and this run's
 * token), and prints what it printed. Without one (or when it does not answer), here.
 */
const main = async () => {
  const settings = await Effect.runPromise(Effect.option(appSettingsConfig))
  const endpoint =
    settings._tag === "Some" && settings.value.storage === "pglite"
      ? readLocalEndpoint(settings.value.dataDir)
      : undefined
  const outcome = endpoint === undefined ? undefined : await runInService(endpoint, process.argv.slice(2))
  if (outcome === undefined) return runHere()
  if (outcome.stdout !== "") process.stdout.write(`${outcome.stdout}\n`)
  if (outcome.stderr !== "") process.stderr.write(`${outcome.stderr}\n`)
  process.exitCode = outcome.exitCode
}

void main()
