import { Clock, Console, Context, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { audit } from "../../application/admin/audit.ts"
import { clientOrNotFound, createClient, revokeClient, rotateClientSecret } from "../../application/oauth/clients.ts"
import { OAuthClients } from "../../application/ports/oauth.ts"
import { allScopes } from "../../domain/api-key.ts"
import {
  clientState,
  expandScopes,
  formatClientId,
  type OAuthClientRecord,
  scopeWildcards
} from "../../domain/oauth.ts"
import { overlapUntil } from "../../domain/secret-rotation.ts"
import { AppConfig, oauthUrls } from "../config.ts"
import { tokenPath } from "../oauth/oauth-routes.ts"
import { AdminError } from "./admin-errors.ts"
import { cliCaller, type Handle, tenantArgument, tenantRepositories } from "./admin-services.ts"
import { parseOverlap } from "./key-commands.ts"
import { cell, renderTable, timestamp } from "./output.ts"
import { expiresAtFlag } from "./parsers.ts"

/** The longest client name the admin API takes; the CLI holds to the same. */
const maxNameLength = 200
const defaultOverlapSeconds = 86_400

const scopeWords = (raw: string) =>
  raw
    .split(",")
    .map((word) => word.trim())
    .filter((word) => word !== "")

const knownScopeWords = [...allScopes, ...Object.keys(scopeWildcards)]

/** The words of `--scopes` when every one is known and there is one at least: refused before storage opens. */
const parseClientScopes = (raw: string): Option.Option<ReadonlyArray<string>> => {
  const words = scopeWords(raw)
  const { scopes, unknown } = expandScopes(words)
  return unknown.length === 0 && scopes.length > 0 ? Option.some(words) : Option.none()
}

const clientScopesRule = (raw: string): string => {
  const unknown = expandScopes(scopeWords(raw)).unknown[0]
  const valid = `valid scopes: ${knownScopeWords.join(", ")}`
  return unknown === undefined ? `at least one scope; ${valid}` : `known scopes ('${unknown}' is not one); ${valid}`
}

/** The tenant and its OAuth clients, open for the rest of the command's scope. */
const tenantClients = Effect.fnUntraced(function* (raw: string) {
  const { tenant, repositories } = yield* tenantRepositories(raw)
  return { tenant, clients: Context.get(repositories, OAuthClients) }
})

/**
 * Where a partner asks for tokens: the tenant's issuer (OAUTH_ISSUER, else its host) and the token
 * path, as the authorization server metadata names it.
 */
const tokenEndpoint = (tenantId: string) =>
  Effect.map(AppConfig, (settings) => `POST ${oauthUrls(settings, tenantId).issuer}${tokenPath}`)

const clientRows = (clients: ReadonlyArray<OAuthClientRecord>, now: Date) =>
  renderTable(
    ["CLIENT ID", "NAME", "SCOPES", "STATE", "CREATED", "EXPIRES", "LAST USED", "OLD SECRET UNTIL"],
    clients.map((c) => [
      formatClientId(c.id),
      c.name,
      c.scopes.join(","),
      clientState(c, now),
      timestamp(c.createdAt, "-"),
      timestamp(c.expiresAt, "never"),
      timestamp(c.lastUsedAt, "never"),
      timestamp(overlapUntil(c, now), "-")
    ])
  )

const notFoundIn = (tenantId: string, clientId: string) => () =>
  new AdminError({ message: `tenant '${tenantId}' has no OAuth client '${clientId}'` })

const clientIdArgument = Argument.String("client-id").pipe(
  Argument.withDescription("The client's id, posc_<n> (see oauth-clients list)")
)

const create = (handle: Handle) =>
  Command.make(
    "create",
    {
      tenant: tenantArgument,
      name: Flag.String("name").pipe(Flag.withDescription("Whose client it is (a partner, an app), for operators")),
      scopes: Flag.String("scopes").pipe(
        Flag.withDescription(
          `Comma-separated scopes the client may ask for: ${allScopes.join(", ")}; loyalty:* is both loyalty scopes`
        ),
        Flag.filterMap(parseClientScopes, clientScopesRule)
      ),
      expiresAt: expiresAtFlag()
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const name = input.name.trim()
          if (name === "") return yield* new AdminError({ message: "--name must not be empty" })
          if (name.length > maxNameLength) {
            return yield* new AdminError({ message: `--name must be at most ${maxNameLength} characters` })
          }
          const expiresAt = Option.getOrNull(input.expiresAt)
          if (expiresAt !== null && expiresAt.getTime() <= (yield* Clock.currentTimeMillis)) {
            return yield* new AdminError({ message: `--expires-at ${expiresAt.toISOString()} is not in the future` })
          }
          const { tenant, clients } = yield* tenantClients(input.tenant)
          const issued = yield* createClient({ name, scopes: input.scopes, expiresAt }).pipe(
            Effect.provideService(OAuthClients, clients)
          )
          const { client } = issued
          const clientId = formatClientId(client.id)
          yield* audit(cliCaller, {
            action: "oauth-client.create",
            tenantId: tenant.id,
            target: `client ${clientId}`,
            summary: `created OAuth client ${clientId} '${client.name}' (scopes ${client.scopes.join(",")}; expires ${
              client.expiresAt?.toISOString() ?? "never"
            })`
          })
          // Standard output carries the client id and the secret alone, a line each, so a script can
          // read them (`{ read -r id; read -r secret; }`); the words go to standard error.
          yield* Console.log(`${clientId}\n${issued.secret}`)
          yield* Console.error(
            `created OAuth client ${clientId} ('${cell(client.name)}') for tenant '${tenant.id}'; ` +
              `scopes ${client.scopes.join(",")}; expires ${timestamp(client.expiresAt, "never")}. ` +
              "Line 1 is the client_id, line 2 the client_secret: the secret is shown once, only its hash is stored. " +
              `Tokens: ${yield* tokenEndpoint(tenant.id)} with grant_type=client_credentials.`
          )
        })
      )
  ).pipe(
    Command.withDescription(
      "Create an OAuth 2.0 client (client credentials grant); prints its id and its secret on standard output, once"
    )
  )

const list = (handle: Handle) =>
  Command.make("list", { tenant: tenantArgument }, (input) =>
    handle(
      Effect.gen(function* () {
        const { tenant, clients } = yield* tenantClients(input.tenant)
        const all = yield* clients.list
        const now = new Date(yield* Clock.currentTimeMillis)
        yield* Console.log(all.length === 0 ? `no OAuth clients for tenant '${tenant.id}'` : clientRows(all, now))
      })
    )
  ).pipe(Command.withDescription("List a tenant's OAuth clients (never secrets or hashes)"))

const show = (handle: Handle) =>
  Command.make("show", { tenant: tenantArgument, clientId: clientIdArgument }, (input) =>
    handle(
      Effect.gen(function* () {
        const { tenant, clients } = yield* tenantClients(input.tenant)
        const client = yield* clientOrNotFound(input.clientId).pipe(
          Effect.provideService(OAuthClients, clients),
          Effect.catchTag("NotFound", notFoundIn(tenant.id, input.clientId))
        )
        const now = new Date(yield* Clock.currentTimeMillis)
        yield* Console.log(
          renderTable(
            ["FIELD", "VALUE"],
            [
              ["client id", formatClientId(client.id)],
              ["tenant", tenant.id],
              ["name", client.name],
              ["scopes", client.scopes.join(",")],
              ["state", clientState(client, now)],
              ["created", timestamp(client.createdAt, "-")],
              ["expires", timestamp(client.expiresAt, "never")],
              ["revoked", timestamp(client.revokedAt, "no")],
              ["last used", timestamp(client.lastUsedAt, "never")],
              ["old secret until", timestamp(overlapUntil(client, now), "-")]
            ]
          )
        )
      })
    )
  ).pipe(Command.withDescription("Show one OAuth client (never its secret or hash)"))

const rotate = (handle: Handle) =>
  Command.make(
    "rotate",
    {
      tenant: tenantArgument,
      clientId: clientIdArgument,
      overlapSeconds: Flag.String("overlap").pipe(
        Flag.withDescription(
          "How long the old secret keeps working: 0, seconds, or 90m, 24h, 7d (default 24h; at most 30d)"
        ),
        Flag.filterMap(parseOverlap, () => "0, a number of seconds, or a number with s, m, h or d, at most 30d"),
        Flag.withDefault(defaultOverlapSeconds)
      )
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const { tenant, clients } = yield* tenantClients(input.tenant)
          const rotated = yield* rotateClientSecret(input.clientId, input.overlapSeconds).pipe(
            Effect.provideService(OAuthClients, clients),
            Effect.catchTags({
              NotFound: notFoundIn(tenant.id, input.clientId),
              Rejected: (e) => new AdminError({ message: e.details }),
              InvalidInput: (e) => new AdminError({ message: e.details })
            })
          )
          const { client } = rotated
          const clientId = formatClientId(client.id)
          yield* audit(cliCaller, {
            action: "oauth-client.rotate",
            tenantId: tenant.id,
            target: `client ${clientId}`,
            summary: `rotated the secret of OAuth client ${clientId} '${client.name}' (the old secret works for ${input.overlapSeconds} s)`
          })
          // Standard output carries the new secret alone, as `create` prints it.
          yield* Console.log(rotated.secret)
          const now = new Date(yield* Clock.currentTimeMillis)
          const until = overlapUntil(client, now)
          yield* Console.error(
            `rotated the secret of OAuth client ${clientId} ('${cell(client.name)}') of tenant '${tenant.id}'; ` +
              (until === null
                ? "the old secret stops working now. "
                : `the old secret works until ${timestamp(until, "-")}. `) +
              "The new secret is shown once: only its hash is stored."
          )
        })
      )
  ).pipe(
    Command.withDescription(
      "Rotate an OAuth client's secret: a new one (printed alone, once); the old one works for the overlap"
    )
  )

const revoke = (handle: Handle) =>
  Command.make("revoke", { tenant: tenantArgument, clientId: clientIdArgument }, (input) =>
    handle(
      Effect.gen(function* () {
        const { tenant, clients } = yield* tenantClients(input.tenant)
        const revoked = yield* revokeClient(input.clientId).pipe(
          Effect.provideService(OAuthClients, clients),
          Effect.catchTag("NotFound", notFoundIn(tenant.id, input.clientId))
        )
        const { client } = revoked
        const clientId = formatClientId(client.id)
        if (revoked.already) {
          return yield* Console.log(
            `OAuth client ${clientId} of tenant '${tenant.id}' was already revoked at ${timestamp(client.revokedAt, "")}`
          )
        }
        yield* audit(cliCaller, {
          action: "oauth-client.revoke",
          tenantId: tenant.id,
          target: `client ${clientId}`,
          summary: `revoked OAuth client ${clientId} '${client.name}'`
        })
        yield* Console.log(
          `revoked OAuth client ${clientId} ('${cell(client.name)}') of tenant '${tenant.id}' at ${timestamp(client.revokedAt, "-")}`
        )
      })
    )
  ).pipe(
    Command.withDescription(
      "Revoke an OAuth client: no token is issued to it, and its tokens are refused (by a running service within its key cache TTL)"
    )
  )

export const oauthClientCommands = (handle: Handle) =>
  Command.make("oauth-clients").pipe(
    Command.withDescription("Manage a tenant's OAuth 2.0 clients (client credentials grant)"),
    Command.withSubcommands([create(handle), list(handle), show(handle), rotate(handle), revoke(handle)])
  )
