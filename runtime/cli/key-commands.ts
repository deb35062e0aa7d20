import { Clock, Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { issueApiKey } from "../../application/auth/issue-key.ts"
import { ApiKeys } from "../../application/ports/api-keys.ts"
import { type ApiKeyRecord, allScopes, KeyKind } from "../../domain/api-key.ts"
import { AdminError } from "./admin-errors.ts"
import { type Handle, tenantArgument, tenantKeys } from "./admin-services.ts"
import { cell, renderTable, timestamp } from "./output.ts"
import { parseRfc3339, parseScopes, scopesRule } from "./parsers.ts"

const keyRows = (keys: ReadonlyArray<ApiKeyRecord>) =>
  renderTable(
    ["ID", "NAME", "KIND", "SCOPES", "CREATED", "EXPIRES", "REVOKED", "LAST USED"],
    keys.map((k) => [
      String(k.id),
      k.name,
      k.kind,
      k.scopes.join(","),
      timestamp(k.createdAt, "-"),
      timestamp(k.expiresAt, "never"),
      timestamp(k.revokedAt, "no"),
      timestamp(k.lastUsedAt, "never")
    ])
  )

const issue = (handle: Handle) =>
  Command.make(
    "issue",
    {
      tenant: tenantArgument,
      kind: Flag.Literals("kind", KeyKind.literals).pipe(
        Flag.withDescription("partner, pos or editor: presets the scopes")
      ),
      scopes: Flag.String("scopes").pipe(
        Flag.withDescription(`Comma-separated scopes instead of the kind's preset: ${allScopes.join(", ")}`),
        Flag.filterMap(parseScopes, scopesRule),
        Flag.optional
      ),
      expiresAt: Flag.String("expires-at").pipe(
        Flag.withDescription("Expiry, RFC 3339 with Z or an offset (default: never)"),
        Flag.filterMap(parseRfc3339, () => "an RFC 3339 time with Z or ±HH:MM, e.g. 2027-01-01T00:00:00Z"),
        Flag.optional
      ),
      name: Flag.String("name").pipe(Flag.withDescription("A name for the key (default: '<kind> key')"), Flag.optional)
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const { tenant, keys } = yield* tenantKeys(input.tenant)
          const expiresAt = Option.getOrUndefined(input.expiresAt)
          const now = yield* Clock.currentTimeMillis
          if (expiresAt !== undefined && expiresAt.getTime() <= now) {
            return yield* new AdminError({ message: `--expires-at ${expiresAt.toISOString()} is not in the future` })
          }
          const issued = yield* issueApiKey({
            kind: input.kind,
            scopes: Option.getOrUndefined(input.scopes),
            name: Option.getOrUndefined(input.name),
            expiresAt
          }).pipe(Effect.provideService(ApiKeys, keys))
          // Standard output carries the key alone, so `KEY=$(npm run -s admin -- key issue ...)` works.
          yield* Console.log(issued.plaintext)
          const { record } = issued
          yield* Console.error(
            `issued key ${record.id} ('${cell(record.name)}', ${record.kind}) for tenant '${tenant.id}'; ` +
              `scopes ${record.scopes.join(",")}; expires ${timestamp(record.expiresAt, "never")}. ` +
              "The key is shown once: only its hash is stored."
          )
        })
      )
  ).pipe(Command.withDescription("Issue an API key; prints the key alone on standard output, once"))

const list = (handle: Handle) =>
  Command.make("list", { tenant: tenantArgument }, (input) =>
    handle(
      Effect.gen(function* () {
        const { tenant, keys } = yield* tenantKeys(input.tenant)
        const all = yield* keys.list
        yield* Console.log(all.length === 0 ? `no keys for tenant '${tenant.id}'` : keyRows(all))
      })
    )
  ).pipe(Command.withDescription("List a tenant's API keys (never secrets or hashes)"))

const revoke = (handle: Handle) =>
  Command.make(
    "revoke",
    {
      tenant: tenantArgument,
      keyId: Argument.Int("key-id").pipe(Argument.withDescription("The key's numeric id (see key list)"))
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const { tenant, keys } = yield* tenantKeys(input.tenant)
          const key = yield* keys.findById(input.keyId)
          if (key === undefined) {
            return yield* new AdminError({ message: `tenant '${tenant.id}' has no key ${input.keyId}` })
          }
          if (key.revokedAt !== null) {
            return yield* Console.log(
              `key ${key.id} of tenant '${tenant.id}' was already revoked at ${timestamp(key.revokedAt, "")}`
            )
          }
          const revoked = yield* keys.revoke(key.id, new Date(yield* Clock.currentTimeMillis))
          yield* Console.log(
            `revoked key ${key.id} ('${cell(key.name)}') of tenant '${tenant.id}' at ${timestamp(revoked?.revokedAt ?? null, "-")}`
          )
        })
      )
  ).pipe(Command.withDescription("Revoke an API key (a running service refuses it within its key cache TTL)"))

export const keyCommands = (handle: Handle) =>
  Command.make("key").pipe(
    Command.withDescription("Manage a tenant's API keys"),
    Command.withSubcommands([issue(handle), list(handle), revoke(handle)])
  )
