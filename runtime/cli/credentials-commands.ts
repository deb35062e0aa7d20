import { Console, Context, Effect, Redacted } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { audit } from "../../application/admin/audit.ts"
import type { InvalidCredentials, NoAccountLevel } from "../../application/admin/pos-credentials-admin.ts"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { TenantDirectory } from "../../application/ports/tenant-directory.ts"
import { PluginRegistry } from "../plugins/plugin-registry.ts"
import { AdminError } from "./admin-errors.ts"
import { cliCaller, type Handle, tenantRepositories } from "./admin-services.ts"

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
 * The operator's `--json` as a value: the JSON parser's message would quote the text around the
 * fault (a secret), so a refusal says only that it is not JSON.
 */
export const credentialsJson = (json: Redacted.Redacted<string>): Effect.Effect<unknown, AdminError> =>
  Effect.try({
    try: () => JSON.parse(Redacted.value(json)) as unknown,
    catch: () => new AdminError({ message: "--json is not valid JSON" })
  })

/** A refusal of the credentials in the operator's terms: the paths of what is wrong, never a value. */
export const credentialsRefusal = {
  InvalidCredentials: (error: InvalidCredentials) =>
    new AdminError({
      message: `these are not ${error.provider} ${error.level} credentials; check: ${
        error.paths.map((path) => (path === "" ? "(the whole value)" : path)).join(", ") || "(the whole value)"
      }`
    }),
  NoAccountLevel: (error: NoAccountLevel) =>
    new AdminError({
      message: `the ${error.provider} plugin has no account-level credentials: set them per outlet (store set-credentials)`
    })
}

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
        let current = 0
        let resealed = 0
        const keys = new Set<string>()
        for (const tenant of tenants) {
          const { repositories } = yield* tenantRepositories(tenant.id)
          const report = yield* Context.get(repositories, PosCredentialStore).reseal
          problems += report.problems.length
          current += report.current
          resealed += report.resealed
          if (report.keyId !== null) keys.add(report.keyId)
          const under = report.keyId === null ? "" : ` under key '${report.keyId}'`
          yield* Console.log(
            `${tenant.id}: ${report.current} sealed${under}${report.resealed > 0 ? ` (${report.resealed} just now)` : ""}` +
              (report.problems.length > 0 ? `; ${report.problems.length} left as they are:` : "")
          )
          for (const problem of report.problems) yield* Console.log(`  ${problem}`)
        }
        const loyalty = tenants.filter((tenant) => tenant.loyaltyCredential !== null).length
        yield* Console.log(`loyalty credentials: ${loyalty} usable (resealed when a process starts)`)
        // Recorded even when nothing was rewritten: that a reseal found nothing left is what an
        // operator checks before removing an older key.
        yield* audit(cliCaller, {
          action: "credentials.reseal",
          summary: `resealed the POS credentials of ${tenants.length} tenants${
            keys.size === 0 ? "" : ` under key ${[...keys].map((k) => `'${k}'`).join(", ")}`
          }: ${current} sealed, ${resealed} just now, ${problems} left as they are`
        })
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
