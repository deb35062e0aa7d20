import { Clock, Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { issueAdminKey } from "../../application/admin/admin-keys.ts"
import { audit } from "../../application/admin/audit.ts"
import { AdminKeys } from "../../application/ports/admin.ts"
import { type AdminKeyRecord, adminKeyState } from "../../domain/admin.ts"
import { AdminError } from "./admin-errors.ts"
import { cliCaller, type Handle } from "./admin-services.ts"
import { cell, renderTable, timestamp } from "./output.ts"
import { expiresAtFlag } from "./parsers.ts"

const rows = (keys: ReadonlyArray<AdminKeyRecord>, now: Date) =>
  renderTable(
    ["ID", "NAME", "STATE", "CREATED", "BY", "EXPIRES", "REVOKED", "LAST USED"],
    keys.map((k) => [
      String(k.id),
      k.name,
      adminKeyState(k, now),
      timestamp(k.createdAt, "-"),
      k.createdBy,
      timestamp(k.expiresAt, "never"),
      timestamp(k.revokedAt, "no"),
      timestamp(k.lastUsedAt, "never")
    ])
  )

const issue = (handle: Handle) =>
  Command.make(
    "issue",
    {
      name: Flag.String("name").pipe(
        Flag.withDescription("Whose key it is, as the audit log names it (default: 'operator')"),
        Flag.withDefault("operator")
      ),
      expiresAt: expiresAtFlag()
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const name = input.name.trim()
          if (name === "") return yield* new AdminError({ message: "--name must not be empty" })
          const expiresAt = Option.getOrNull(input.expiresAt)
          const now = yield* Clock.currentTimeMillis
          if (expiresAt !== null && expiresAt.getTime() <= now) {
            return yield* new AdminError({ message: `--expires-at ${expiresAt.toISOString()} is not in the future` })
          }
          const issued = yield* issueAdminKey({ name, expiresAt, createdBy: cliCaller.actor.name })
          const { record } = issued
          yield* audit(cliCaller, {
            action: "admin-key.issue",
            target: `admin key ${record.id}`,
            summary: `issued admin key ${record.id} '${record.name}' (expires ${record.expiresAt?.toISOString() ?? "never"})`
          })
          // Standard output carries the key alone, so `KEY=$(npm run -s admin -- admin-key issue)` works.
          yield* Console.log(issued.plaintext)
          yield* Console.error(
            `issued admin key ${record.id} ('${cell(record.name)}'); expires ${timestamp(record.expiresAt, "never")}. ` +
              "Send it as X-Api-Key to /admin/api/v1 or sign in to the console with it. It is shown once: only its hash is stored."
          )
        })
      )
  ).pipe(Command.withDescription("Issue an operator's admin key; prints the key alone on standard output, once"))

const list = (handle: Handle) =>
  Command.make("list", {}, () =>
    handle(
      Effect.gen(function* () {
        const keys = yield* (yield* AdminKeys).list
        const now = new Date(yield* Clock.currentTimeMillis)
        yield* Console.log(keys.length === 0 ? "no admin keys" : rows(keys, now))
      })
    )
  ).pipe(Command.withDescription("List the admin keys (never secrets or hashes)"))

const revoke = (handle: Handle) =>
  Command.make(
    "revoke",
    { keyId: Argument.Int("key-id").pipe(Argument.withDescription("The admin key's numeric id (see admin-key list)")) },
    (input) =>
      handle(
        Effect.gen(function* () {
          const keys = yield* AdminKeys
          const key = yield* keys.findById(input.keyId)
          if (key === undefined) return yield* new AdminError({ message: `no admin key ${input.keyId}` })
          if (key.revokedAt !== null) {
            return yield* Console.log(`admin key ${key.id} was already revoked at ${timestamp(key.revokedAt, "")}`)
          }
          const revoked = yield* keys.revoke(key.id, new Date(yield* Clock.currentTimeMillis))
          yield* audit(cliCaller, {
            action: "admin-key.revoke",
            target: `admin key ${key.id}`,
            summary: `revoked admin key ${key.id} '${key.name}'`
          })
          yield* Console.log(
            `revoked admin key ${key.id} ('${cell(key.name)}') at ${timestamp(revoked?.revokedAt ?? null, "-")}`
          )
        })
      )
  ).pipe(Command.withDescription("Revoke an admin key: refused from the next request on"))

export const adminKeyCommands = (handle: Handle) =>
  Command.make("admin-key").pipe(
    Command.withDescription("Manage operators' admin keys (for the admin API and the console)"),
    Command.withSubcommands([issue(handle), list(handle), revoke(handle)])
  )
