import { Console, Effect } from "effect"
import { Command } from "effect/cli"
import { audit } from "../../application/admin/audit.ts"
import type { StorageError } from "../../domain/errors.ts"
import { OAuthTokens, type SigningKeyView } from "../oauth/token-service.ts"
import { AdminError } from "./admin-errors.ts"
import { cliCaller, type Handle } from "./admin-services.ts"
import { renderTable, timestamp } from "./output.ts"

/** A key that cannot be sealed is a configuration to fix, said as the admin API says it. */
const unsealable = (error: StorageError): Effect.Effect<never, AdminError | StorageError> =>
  /seal/i.test(error.operation)
    ? Effect.fail(
        new AdminError({
          message: `signing keys cannot be sealed: set CREDENTIALS_KEYS (see README.md, Credentials); ${error.operation} failed`
        })
      )
    : Effect.fail(error)

const keyRows = (keys: ReadonlyArray<SigningKeyView>) =>
  renderTable(
    ["KID", "STATUS", "CREATED", "SIGNS FROM", "REMOVABLE AT", "PROBLEM"],
    keys.map((k) => [
      k.kid,
      k.status,
      timestamp(k.createdAt, "-"),
      timestamp(k.activatesAt, "-"),
      timestamp(k.removableAt, "-"),
      k.problem ?? "-"
    ])
  )

const listKeys = (handle: Handle) =>
  Command.make("list", {}, () =>
    handle(
      Effect.gen(function* () {
        const keys = yield* (yield* OAuthTokens).keys
        yield* Console.log(
          keys.length === 0
            ? "no signing keys: the service publishes the first when it starts (or run signing-keys rotate)"
            : keyRows(keys)
        )
      })
    )
  ).pipe(Command.withDescription("List the keys that sign every tenant's access tokens (never key material)"))

const rotateKeys = (handle: Handle) =>
  Command.make("rotate", {}, () =>
    handle(
      Effect.gen(function* () {
        const published = yield* (yield* OAuthTokens).publishNext.pipe(Effect.catchTag("StorageError", unsealable))
        const { key } = published
        if (!published.created) {
          return yield* Console.log(
            `signing key ${key.kid} is already waiting: it signs from ${timestamp(key.activatesAt, "-")}; nothing published`
          )
        }
        yield* audit(cliCaller, {
          action: "signing-key.publish",
          target: `key ${key.kid}`,
          summary: `published token signing key ${key.kid}, signing from ${key.activatesAt.toISOString()}`
        })
        yield* Console.log(
          key.status === "pending"
            ? `published signing key ${key.kid}: it signs from ${timestamp(key.activatesAt, "-")}; the current key then only checks its tokens until they expire`
            : `published signing key ${key.kid}: it signs now (no key signed before)`
        )
      })
    )
  ).pipe(
    Command.withDescription(
      "Publish the next token signing key now, to sign after OAUTH_KEY_LEAD_S (a key already waiting is shown instead)"
    )
  )

export const signingKeyCommands = (handle: Handle) =>
  Command.make("signing-keys").pipe(
    Command.withDescription(
      "The keys that sign every tenant's OAuth access tokens (the service also rotates them itself)"
    ),
    Command.withSubcommands([listKeys(handle), rotateKeys(handle)])
  )
