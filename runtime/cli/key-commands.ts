import { Clock, Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { MAX_ROTATION_OVERLAP_SECONDS, rotateApiKey } from "../../application/admin/api-key-admin.ts"
import { audit } from "../../application/admin/audit.ts"
import { issueApiKey } from "../../application/auth/issue-key.ts"
import { ApiKeys } from "../../application/ports/api-keys.ts"
import { type ApiKeyRecord, allScopes, KeyKind } from "../../domain/api-key.ts"
import { AdminError } from "./admin-errors.ts"
import { cliCaller, type Handle, tenantArgument, tenantKeys, tenantRepositories } from "./admin-services.ts"
import { cell, renderTable, timestamp } from "./output.ts"
import { expiresAtFlag, parseScopes, scopesRule } from "./parsers.ts"

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
      expiresAt: expiresAtFlag(),
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
          const { record } = issued
          yield* audit(cliCaller, {
            action: "api-key.issue",
            tenantId: tenant.id,
            target: `key ${record.id}`,
            summary: `issued ${record.kind} key ${record.id} '${record.name}' (scopes ${record.scopes.join(",")}; expires ${
              record.expiresAt?.toISOString() ?? "never"
            })`
          })
          // Standard output carries the key alone, so `KEY=$(npm run -s admin -- key issue ...)` works.
          yield* Console.log(issued.plaintext)
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
          yield* audit(cliCaller, {
            action: "api-key.revoke",
            tenantId: tenant.id,
            target: `key ${key.id}`,
            summary: `revoked ${key.kind} key ${key.id} '${key.name}'`
          })
          yield* Console.log(
            `revoked key ${key.id} ('${cell(key.name)}') of tenant '${tenant.id}' at ${timestamp(revoked?.revokedAt ?? null, "-")}`
          )
        })
      )
  ).pipe(Command.withDescription("Revoke an API key (a running service refuses it within its key cache TTL)"))

/** `24h`, `90m`, `3600s`, `3600` (seconds), `0`: a rotation's overlap in seconds. */
export const parseOverlap = (raw: string): Option.Option<number> => {
  const match = /^(\d{1,7})([smhd]?)$/.exec(raw.trim())
  if (match === null) return Option.none()
  const seconds =
    Number(match[1]) * ({ "": 1, s: 1, m: 60, h: 3600, d: 86_400 } as const)[match[2] as "" | "s" | "m" | "h" | "d"]
  return seconds <= MAX_ROTATION_OVERLAP_SECONDS ? Option.some(seconds) : Option.none()
}

const rotate = (handle: Handle) =>
  Command.make(
    "rotate",
    {
      tenant: tenantArgument,
      keyId: Argument.Int("key-id").pipe(Argument.withDescription("The key's numeric id (see key list)")),
      overlap: Flag.String("overlap").pipe(
        Flag.withDescription(
          "How long the old key keeps working: 0, seconds, or 90m, 24h, 7d (default 24h; at most 30d)"
        ),
        Flag.filterMap(parseOverlap, () => "0, a number of seconds, or a number with s, m, h or d, at most 30d"),
        Flag.withDefault(86_400)
      ),
      expiresAt: expiresAtFlag("The new key's expiry, RFC 3339 with Z or an offset (default: never)")
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const { tenant, repositories } = yield* tenantRepositories(input.tenant)
          const expiresAt = Option.getOrNull(input.expiresAt)
          if (expiresAt !== null && expiresAt.getTime() <= (yield* Clock.currentTimeMillis)) {
            return yield* new AdminError({ message: `--expires-at ${expiresAt.toISOString()} is not in the future` })
          }
          const rotated = yield* rotateApiKey({ keyId: input.keyId, overlapSeconds: input.overlap, expiresAt }).pipe(
            Effect.provideContext(repositories),
            Effect.catchTags({
              NotFound: () => new AdminError({ message: `tenant '${tenant.id}' has no key ${input.keyId}` }),
              Rejected: (e) => new AdminError({ message: e.details }),
              InvalidInput: (e) => new AdminError({ message: e.details })
            })
          )
          const fresh = rotated.issued.record
          yield* audit(cliCaller, {
            action: "api-key.rotate",
            tenantId: tenant.id,
            target: `key ${input.keyId}`,
            summary: `rotated ${fresh.kind} key ${input.keyId} '${fresh.name}' to key ${fresh.id}; key ${input.keyId} expires ${
              rotated.old.expiresAt?.toISOString() ?? "never"
            } (overlap ${input.overlap} s)`
          })
          // Standard output carries the new key alone, as `key issue` does.
          yield* Console.log(rotated.issued.plaintext)
          yield* Console.error(
            `issued key ${fresh.id} ('${cell(fresh.name)}', ${fresh.kind}) for tenant '${tenant.id}' in place of key ${input.keyId}, ` +
              `which stops working at ${timestamp(rotated.old.expiresAt, "-")}. The new key is shown once: only its hash is stored.`
          )
        })
      )
  ).pipe(
    Command.withDescription(
      "Rotate an API key: a new key with the old one's kind, scopes and name (printed alone, once); the old one expires after the overlap"
    )
  )

export const keyCommands = (handle: Handle) =>
  Command.make("key").pipe(
    Command.withDescription("Manage a tenant's API keys"),
    Command.withSubcommands([issue(handle), list(handle), revoke(handle), rotate(handle)])
  )
