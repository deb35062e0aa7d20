import { issuesOf } from "@pos-integration/sdk"
import { Console, Context, Effect, Redacted, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { Outlets } from "../../application/ports/catalog.ts"
import { PluginRegistry } from "../plugins/plugin-registry.ts"
import { AdminError } from "./admin-errors.ts"
import { type Handle, tenantArgument, tenantRepositories } from "./admin-services.ts"
import { cell } from "./output.ts"

const setCredentials = (handle: Handle) =>
  Command.make(
    "set-credentials",
    {
      tenant: tenantArgument,
      provider: Argument.String("provider").pipe(
        Argument.withDescription("The POS plugin's id (see GET /api/v1/providers)")
      ),
      externalOutletId: Argument.String("external-outlet-id").pipe(
        Argument.withDescription("The POS's own id of an outlet synced before (e.g. Deliverect channelLinkId)")
      ),
      // Redacted, and never decoded by effect/cli: no error of it can quote a secret.
      json: Flag.Redacted("json").pipe(Flag.withDescription("The credentials as JSON, in the plugin's schema"))
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const registry = yield* PluginRegistry
          const loaded = registry.get(input.provider)
          if (loaded === undefined) {
            const names = registry.all.map((p) => p.manifest.id).join(", ")
            return yield* new AdminError({ message: `no POS plugin '${input.provider}' is loaded (loaded: ${names})` })
          }
          // The parser's message quotes the text around the fault, which may be the secret itself.
          const raw = yield* Effect.try({
            try: () => JSON.parse(Redacted.value(input.json)) as unknown,
            catch: () => new AdminError({ message: "--json is not valid JSON" })
          })
          // Only the paths of what is wrong: a schema message could quote the secret itself.
          const credentials = yield* Schema.decodeUnknownEffect(loaded.plugin.credentials)(raw, { errors: "all" }).pipe(
            Effect.mapError(
              (error) =>
                new AdminError({
                  message: `these are not ${input.provider} credentials; check: ${
                    [...new Set(issuesOf(error).map((issue) => issue.path))].join(", ") || "(the whole value)"
                  }`
                })
            )
          )
          const { tenant, repositories } = yield* tenantRepositories(input.tenant)
          const outlets = Context.get(repositories, Outlets)
          const [store] = yield* outlets.findByExternalIds(input.provider, [input.externalOutletId])
          if (store === undefined) {
            return yield* new AdminError({
              message: `tenant '${tenant.id}' has no ${input.provider} outlet '${input.externalOutletId}' (sync its outlets first)`
            })
          }
          const encoded = yield* Schema.encodeUnknownEffect(loaded.plugin.credentials)(credentials).pipe(
            Effect.mapError(() => new AdminError({ message: "the credentials could not be stored" }))
          )
          yield* outlets.setSecrets(store.id, JSON.stringify(encoded))
          yield* Console.log(
            `credentials set for outlet ${store.id} (${input.provider} ${store.externalId}, '${cell(store.name)}')`
          )
        })
      )
  ).pipe(Command.withDescription("Set an outlet's POS credentials (stored, never shown or logged)"))

export const storeCommands = (handle: Handle) =>
  Command.make("store").pipe(
    Command.withDescription("Manage outlets' POS credentials"),
    Command.withSubcommands([setCredentials(handle)])
  )
