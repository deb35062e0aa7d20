import { Effect, type Layer } from "effect"
import { Command } from "effect/cli"
import { accountCommands } from "./account-commands.ts"
import { reportFailures } from "./admin-errors.ts"
import { adminKeyCommands } from "./admin-key-commands.ts"
import type { AdminServices, Handle } from "./admin-services.ts"
import { credentialsCommands } from "./credentials-commands.ts"
import { keyCommands } from "./key-commands.ts"
import { oauthClientCommands } from "./oauth-commands.ts"
import { pullCommands } from "./pull-commands.ts"
import { rewardCommands } from "./reward-commands.ts"
import { signingKeyCommands } from "./signing-key-commands.ts"
import { storeCommands } from "./store-commands.ts"
import { tenantCommands } from "./tenant-commands.ts"

/**
 * The admin command tree over the given services. Each leaf opens the services only when its
 * handler runs, so `--help` and argument errors never open (or lock) the storage, and failures of
 * the services themselves (configuration, a locked data directory, an unreachable database) are
 * reported like any other.
 */
export const makeCli = <E>(services: Layer.Layer<AdminServices, E>) => {
  const handle: Handle = (body) => body.pipe(Effect.scoped, Effect.provide(services), reportFailures)
  return Command.make("admin").pipe(
    Command.withDescription(
      "Administer pos-integration: tenants, API keys, OAuth clients and signing keys, outlets' POS credentials, rewards and admin keys"
    ),
    Command.withSubcommands([
      tenantCommands(handle),
      keyCommands(handle),
      oauthClientCommands(handle),
      storeCommands(handle),
      accountCommands(handle),
      credentialsCommands(handle),
      rewardCommands(handle),
      pullCommands(handle),
      adminKeyCommands(handle),
      signingKeyCommands(handle)
    ])
  )
}
