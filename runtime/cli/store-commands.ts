import { Console, Context, Effect } from "effect"
import { Argument, Command } from "effect/cli"
import { deleteOutletCredentials, setOutletCredentials } from "../../application/admin/pos-credentials-admin.ts"
import { Outlets } from "../../application/ports/catalog.ts"
import { AdminError } from "./admin-errors.ts"
import { cliCaller, type Handle, tenantArgument, tenantRepositories } from "./admin-services.ts"
import {
  credentialsFlag,
  credentialsJson,
  credentialsRefusal,
  providerArgument,
  requirePlugin
} from "./credentials-commands.ts"
import { cell } from "./output.ts"

const setCredentials = (handle: Handle) =>
  Command.make(
    "set-credentials",
    {
      tenant: tenantArgument,
      provider: providerArgument,
      externalOutletId: Argument.String("external-outlet-id").pipe(
        Argument.withDescription("The POS's own id of an outlet synced before (e.g. Deliverect channelLinkId)")
      ),
      json: credentialsFlag("outlet's")
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const loaded = yield* requirePlugin(input.provider)
          const value = yield* credentialsJson(input.json)
          const { tenant, repositories } = yield* tenantRepositories(input.tenant)
          const [store] = yield* Context.get(repositories, Outlets).findByExternalIds(input.provider, [
            input.externalOutletId
          ])
          if (store === undefined) {
            return yield* new AdminError({
              message: `tenant '${tenant.id}' has no ${input.provider} outlet '${input.externalOutletId}' (sync its outlets first)`
            })
          }
          yield* setOutletCredentials(cliCaller, { tenantId: tenant.id, plugin: loaded.plugin, store, value }).pipe(
            Effect.provideContext(repositories),
            Effect.catchTags(credentialsRefusal)
          )
          yield* Console.log(
            `credentials set for outlet ${store.id} (${input.provider} ${store.externalId}, '${cell(store.name)}')`
          )
        })
      )
  ).pipe(Command.withDescription("Set an outlet's POS credentials (stored encrypted, never shown or logged)"))

const deleteCredentials = (handle: Handle) =>
  Command.make(
    "delete-credentials",
    {
      tenant: tenantArgument,
      provider: providerArgument,
      externalOutletId: Argument.String("external-outlet-id").pipe(
        Argument.withDescription("The POS's own id of the outlet (e.g. Deliverect channelLinkId)")
      )
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const { tenant, repositories } = yield* tenantRepositories(input.tenant)
          const [store] = yield* Context.get(repositories, Outlets).findByExternalIds(input.provider, [
            input.externalOutletId
          ])
          if (store === undefined) {
            return yield* new AdminError({
              message: `tenant '${tenant.id}' has no ${input.provider} outlet '${input.externalOutletId}'`
            })
          }
          const deleted = yield* deleteOutletCredentials(cliCaller, { tenantId: tenant.id, store }).pipe(
            Effect.provideContext(repositories)
          )
          const which = `outlet ${store.id} (${input.provider} ${store.externalId}, '${cell(store.name)}')`
          yield* Console.log(
            deleted ? `credentials deleted for ${which}` : `${which} had no credentials: nothing to delete`
          )
        })
      )
  ).pipe(
    Command.withDescription("Delete an outlet's POS credentials (its POS calls and webhooks then fail until set again)")
  )

export const storeCommands = (handle: Handle) =>
  Command.make("store").pipe(
    Command.withDescription("Manage outlets' POS credentials"),
    Command.withSubcommands([setCredentials(handle), deleteCredentials(handle)])
  )
