import { Console, Context, Effect } from "effect"
import { Argument, Command } from "effect/cli"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { type Handle, tenantArgument, tenantRepositories } from "./admin-services.ts"
import { credentialsFlag, credentialsText, providerArgument, requirePlugin } from "./credentials-commands.ts"
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
          const text = yield* credentialsText(loaded, "account", input.json)
          const { tenant, repositories } = yield* tenantRepositories(input.tenant)
          yield* Context.get(repositories, PosCredentialStore).setAccount(input.provider, input.accountId, text)
          yield* Console.log(
            `credentials set for ${input.provider} account '${cell(input.accountId)}' of tenant '${tenant.id}'`
          )
        })
      )
  ).pipe(Command.withDescription("Set a POS account's credentials (stored encrypted, never shown or logged)"))

export const accountCommands = (handle: Handle) =>
  Command.make("account").pipe(
    Command.withDescription("Manage POS accounts' credentials"),
    Command.withSubcommands([setCredentials(handle)])
  )
