import { Console, Context, Effect } from "effect"
import { Argument, Command } from "effect/cli"
import { Outlets } from "../../application/ports/catalog.ts"
import { PosCredentialStore } from "../../application/ports/pos-credentials.ts"
import { AdminError } from "./admin-errors.ts"
import { type Handle, tenantArgument, tenantRepositories } from "./admin-services.ts"
import { credentialsFlag, credentialsText, providerArgument, requirePlugin } from "./credentials-commands.ts"
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
          const text = yield* credentialsText(loaded, "outlet", input.json)
          const { tenant, repositories } = yield* tenantRepositories(input.tenant)
          const [store] = yield* Context.get(repositories, Outlets).findByExternalIds(input.provider, [
            input.externalOutletId
          ])
          if (store === undefined) {
            return yield* new AdminError({
              message: `tenant '${tenant.id}' has no ${input.provider} outlet '${input.externalOutletId}' (sync its outlets first)`
            })
          }
          yield* Context.get(repositories, PosCredentialStore).setOutlet(store.id, text)
          yield* Console.log(
            `credentials set for outlet ${store.id} (${input.provider} ${store.externalId}, '${cell(store.name)}')`
          )
        })
      )
  ).pipe(Command.withDescription("Set an outlet's POS credentials (stored encrypted, never shown or logged)"))

export const storeCommands = (handle: Handle) =>
  Command.make("store").pipe(
    Command.withDescription("Manage outlets' POS credentials"),
    Command.withSubcommands([setCredentials(handle)])
  )
