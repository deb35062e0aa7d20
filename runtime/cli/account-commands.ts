import { Console, Effect } from "effect"
import { Argument, Command } from "effect/cli"
import { deleteAccountCredentials, setAccountCredentials } from "../../application/admin/pos-credentials-admin.ts"
import { cliCaller, type Handle, tenantArgument, tenantRepositories } from "./admin-services.ts"
import {
  credentialsFlag,
  credentialsJson,
  credentialsRefusal,
  providerArgument,
  requirePlugin
} from "./credentials-commands.ts"
import { cell } from "./output.ts"

/**
 * `account set-credentials`: the credentials of a POS account (a Lightspeed business, an Atlas
 * merchant), which reach every outlet of the account and the calls and webhooks that name no
 * outlet. The account need not be synced yet: a pull of its outlets needs them first.
 */
const setCredentials = (handle: Handle) =>
  Command.make(
    "set-credentials",
    {
      tenant: tenantArgument,
      provider: providerArgument,
      accountId: Argument.String("account-id").pipe(
        Argument.withDescription("The POS's own id of the account (e.g. Lightspeed businessId, Atlas merchant id)")
      ),
      json: credentialsFlag("account's")
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const loaded = yield* requirePlugin(input.provider)
          const value = yield* credentialsJson(input.json)
          const { tenant, repositories } = yield* tenantRepositories(input.tenant)
          yield* setAccountCredentials(cliCaller, {
            tenantId: tenant.id,
            plugin: loaded.plugin,
            accountId: input.accountId,
            value
          }).pipe(Effect.provideContext(repositories), Effect.catchTags(credentialsRefusal))
          yield* Console.log(
            `credentials set for ${input.provider} account '${cell(input.accountId)}' of tenant '${tenant.id}'`
          )
        })
      )
  ).pipe(Command.withDescription("Set a POS account's credentials (stored encrypted, never shown or logged)"))

const deleteCredentials = (handle: Handle) =>
  Command.make(
    "delete-credentials",
    {
      tenant: tenantArgument,
      provider: providerArgument,
      accountId: Argument.String("account-id").pipe(Argument.withDescription("The POS's own id of the account"))
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const { tenant, repositories } = yield* tenantRepositories(input.tenant)
          const deleted = yield* deleteAccountCredentials(cliCaller, {
            tenantId: tenant.id,
            provider: input.provider,
            accountId: input.accountId
          }).pipe(Effect.provideContext(repositories))
          const which = `${input.provider} account '${cell(input.accountId)}' of tenant '${tenant.id}'`
          yield* Console.log(
            deleted ? `credentials deleted for ${which}` : `${which} had no credentials: nothing to delete`
          )
        })
      )
  ).pipe(Command.withDescription("Delete a POS account's credentials"))

export const accountCommands = (handle: Handle) =>
  Command.make("account").pipe(
    Command.withDescription("Manage POS accounts' credentials"),
    Command.withSubcommands([setCredentials(handle), deleteCredentials(handle)])
  )
