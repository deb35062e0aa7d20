import { issuesOf } from "@pos-integration/sdk"
import { Console, Context, Effect, Redacted, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type { CredentialLevel } from "../../application/ports/pos-credentials.ts"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { type LoadedPlugin, PluginRegistry } from "../plugins/plugin-registry.ts"
import { AdminError } from "./admin-errors.ts"
import { type Handle, tenantRepositories } from "./admin-services.ts"

export const providerArgument = Argument.String("provider").pipe(
  Argument.withDescription("The POS plugin's id (see GET /api/v1/providers)")
)

/** Redacted, and never decoded by effect/cli: no error of it can quote a secret. */
export const credentialsFlag = (whose: string) =>
  Flag.Redacted("json").pipe(Flag.withDescription(`The ${whose} credentials as JSON, in the plugin's schema`))

/** The loaded plugin of a provider id, or a refusal listing the loaded ones. */
export const requirePlugin = Effect.fnUntraced(function* (provider: string) {
  const registry = yield* PluginRegistry
  const loaded = registry.get(provider)
  if (loaded === undefined) {
    const names = registry.all.map((p) => p.manifest.id).join(", ")
    return yield* new AdminError({ message: `no POS plugin '${provider}' is loaded (loaded: ${names})` })
  }
  return loaded
})

/**
 * The operator's `--json` checked against the plugin's Schema of one level, as the text to store
 * (the Schema's encoded form, with its defaults filled in). No message quotes the input: the JSON
 * parser's would quote the text around the fault, a Schema's could quote a value, so a refusal names
 * only the paths of what is wrong.
 */
export const credentialsText = (
  loaded: LoadedPlugin,
  level: CredentialLevel,
  json: Redacted.Redacted<string>
): Effect.Effect<string, AdminError> =>
  Effect.gen(function* () {
    const provider = loaded.manifest.id
    const schema = level === "outlet" ? loaded.plugin.credentials.outlet : loaded.plugin.credentials.account
    if (schema === null) {
      return yield* new AdminError({
        message: `the ${provider} plugin has no account-level credentials: set them per outlet (store set-credentials)`
      })
    }
    const raw = yield* Effect.try({
      try: () => JSON.parse(Redacted.value(json)) as unknown,
      catch: () => new AdminError({ message: "--json is not valid JSON" })
    })
    const credentials = yield* Schema.decodeUnknownEffect(schema)(raw, { errors: "all" }).pipe(
      Effect.mapError(
        (error) =>
          new AdminError({
            message: `these are not ${provider} ${level} credentials; check: ${
              [...new Set(issuesOf(error).map((issue) => issue.path))].join(", ") || "(the whole value)"
            }`
          })
      )
    )
    const encoded = yield* Schema.encodeUnknownEffect(schema)(credentials).pipe(
      Effect.mapError(() => new AdminError({ message: "the credentials could not be stored" }))
    )
    return JSON.stringify(encoded)
  })

/**
 * `credentials reseal`: seals every tenant's POS credentials under the current key (the first of
 * CREDENTIALS_KEYS, or the data directory's key) and reports what could not be: run it after adding
 * a new first key, and remove an older key only once it reports nothing left. Loyalty credentials
 * (control database) are resealed when any process starts, this one included; one that cannot be
 * opened is logged as a warning.
 */
const reseal = (handle: Handle) =>
  Command.make("reseal", {}, () =>
    handle(
      Effect.gen(function* () {
        const directory = yield* TenantDirectory
        const tenants = yield* directory.list
        let problems = 0
        for (const tenant of tenants) {
          const { repositories } = yield* tenantRepositories(tenant.id)
          const report = yield* Context.get(repositories, PosCredentialStore).reseal
          problems += report.problems.length
          const under = report.keyId === null ? "" : ` under key '${report.keyId}'`
          yield* Console.log(
            `${tenant.id}: ${report.current} sealed${under}${report.resealed > 0 ? ` (${report.resealed} just now)` : ""}` +
              (report.problems.length > 0 ? `; ${report.problems.length} left as they are:` : "")
          )
          for (const problem of report.problems) yield* Console.log(`  ${problem}`)
        }
        const loyalty = tenants.filter((tenant) => tenant.loyaltyCredential !== null).length
        yield* Console.log(`loyalty credentials: ${loyalty} usable (resealed when a process starts)`)
        if (problems > 0) {
          return yield* new AdminError({ message: `${problems} credentials could not be resealed (see above)` })
        }
      })
    )
  ).pipe(Command.withDescription("Seal every stored credential under the current key, and report any that cannot be"))

export const credentialsCommands = (handle: Handle) =>
  Command.make("credentials").pipe(
    Command.withDescription("Manage the encryption of stored credentials"),
    Command.withSubcommands([reseal(handle)])
  )
