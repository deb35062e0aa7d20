/**
 * POS credentials as operators set them, through the CLI or the admin API alike: checked against
 * the plugin's Schema of the level, stored in its encoded form (its defaults filled in), sealed by
 * the store, and recorded in the audit log by what they belong to, never by value.
 */
import { Effect, Schema } from "effect"
import type { StoreRow } from "../ports/catalog.ts"
import { type CredentialLevel, PosCredentialStore, type UnreadableCredentials } from "../ports/pos-credentials.ts"
import type { StorageError } from "../../domain/errors.ts"
import { issueProblems, pathText } from "../pos-sdk/issue-text.ts"
import type { PosPlugin } from "../pos-sdk/plugin.ts"
import { type AdminCaller, audit } from "./audit.ts"

/**
 * A value that is not the plugin's credentials of the level: the paths of what is wrong (`""` for
 * the whole value), never a value. The Schema's own problems quote the values they refuse, and a
 * credential given in the wrong field is still a secret, so they are left out.
 */
export class InvalidCredentials extends Schema.TaggedError<InvalidCredentials>()("InvalidCredentials", {
  provider: Schema.String,
  level: Schema.Literals(["outlet", "account"]),
  paths: Schema.Array(Schema.String)
}) {}

/** Account credentials for a plugin whose POS has no account level (they are set per outlet). */
export class NoAccountLevel extends Schema.TaggedError<NoAccountLevel>()("NoAccountLevel", {
  provider: Schema.String
}) {}

/** A plugin's credentials of a level checked and encoded as the text to store. */
export const credentialsText = (
  plugin: PosPlugin,
  level: CredentialLevel,
  value: unknown
): Effect.Effect<string, InvalidCredentials | NoAccountLevel> =>
  Effect.gen(function* () {
    const provider = plugin.manifest.id
    const schema = level === "outlet" ? plugin.credentials.outlet : plugin.credentials.account
    if (schema === null) return yield* new NoAccountLevel({ provider })
    const credentials = yield* Schema.decodeUnknownEffect(schema)(value, { errors: "all" }).pipe(
      Effect.mapError(
        (error) =>
          new InvalidCredentials({
            provider,
            level,
            paths: [...new Set(issueProblems(error.issue).map((problem) => pathText(problem.path)))]
          })
      )
    )
    // A Schema that cannot encode what it decoded is the plugin's defect; its error may quote the value.
    const encoded = yield* Schema.encodeUnknownEffect(schema)(credentials).pipe(
      Effect.catch(() => Effect.die(new Error(`the ${provider} plugin's ${level} credentials do not encode`)))
    )
    return JSON.stringify(encoded)
  })

/** Whether credentials of a level are stored: `unreadable` ones are, but cannot be used (set them again). */
export type CredentialsState = "set" | "missing" | "unreadable"

const stateOf = (read: Effect.Effect<string | undefined, UnreadableCredentials | StorageError>) =>
  read.pipe(
    Effect.map((text): CredentialsState => (text === undefined ? "missing" : "set")),
    Effect.catchTag("UnreadableCredentials", () => Effect.succeed<CredentialsState>("unreadable"))
  )

/**
 * What an operator needs to know of an outlet's credentials: its own, and its POS account's (null
 * when it names no account or its plugin has no account level). The values are opened to tell
 * usable from unreadable, and go no further.
 */
export const outletCredentialsState = (store: StoreRow, plugin: PosPlugin | undefined) =>
  Effect.gen(function* () {
    const credentials = yield* PosCredentialStore
    const outlet = yield* stateOf(credentials.getOutlet(store.id))
    const account =
      store.accountId === null || plugin?.credentials.account === null
        ? null
        : yield* stateOf(credentials.getAccount(store.provider, store.accountId))
    return { outlet, account }
  })

export const accountCredentialsState = (provider: string, accountId: string) =>
  Effect.flatMap(PosCredentialStore, (credentials) => stateOf(credentials.getAccount(provider, accountId)))

const outletTarget = (store: StoreRow) => `outlet ${store.id}`
const outletWords = (store: StoreRow) => `outlet ${store.id} (${store.provider} ${store.externalId}, '${store.name}')`

/** Sets (or replaces) an outlet's credentials, checked against its plugin's Schema, and records it. */
export const setOutletCredentials = Effect.fnUntraced(function* (
  caller: AdminCaller,
  input: { readonly tenantId: string; readonly plugin: PosPlugin; readonly store: StoreRow; readonly value: unknown }
) {
  const text = yield* credentialsText(input.plugin, "outlet", input.value)
  yield* (yield* PosCredentialStore).setOutlet(input.store.id, text)
  yield* audit(caller, {
    action: "credentials.set",
    tenantId: input.tenantId,
    target: outletTarget(input.store),
    summary: `set the credentials of ${outletWords(input.store)}; the values are not recorded`
  })
})

/**
 * Sets (or replaces) a POS account's credentials (a Lightspeed business, an Atlas merchant): they
 * reach every outlet of the account and the calls and webhooks that name no outlet. The account
 * need not be synced yet: a pull of its outlets needs them first.
 */
export const setAccountCredentials = Effect.fnUntraced(function* (
  caller: AdminCaller,
  input: { readonly tenantId: string; readonly plugin: PosPlugin; readonly accountId: string; readonly value: unknown }
) {
  const provider = input.plugin.manifest.id
  const text = yield* credentialsText(input.plugin, "account", input.value)
  yield* (yield* PosCredentialStore).setAccount(provider, input.accountId, text)
  yield* audit(caller, {
    action: "credentials.set",
    tenantId: input.tenantId,
    target: `${provider} account ${input.accountId}`,
    summary: `set the credentials of ${provider} account '${input.accountId}'; the values are not recorded`
  })
})

/**
 * Removes an outlet's credentials (its identifiers stay): calls to its POS and its webhooks then
 * fail as for an outlet never given any. True when there were some; only then is it recorded.
 */
export const deleteOutletCredentials = Effect.fnUntraced(function* (
  caller: AdminCaller,
  input: { readonly tenantId: string; readonly store: StoreRow }
) {
  const deleted = yield* (yield* PosCredentialStore).deleteOutlet(input.store.id)
  if (deleted) {
    yield* audit(caller, {
      action: "credentials.delete",
      tenantId: input.tenantId,
      target: outletTarget(input.store),
      summary: `deleted the credentials of ${outletWords(input.store)}`
    })
  }
  return deleted
})

/** Removes a POS account's credentials: true when there were some; only then is it recorded. */
export const deleteAccountCredentials = Effect.fnUntraced(function* (
  caller: AdminCaller,
  input: { readonly tenantId: string; readonly provider: string; readonly accountId: string }
) {
  const deleted = yield* (yield* PosCredentialStore).deleteAccount(input.provider, input.accountId)
  if (deleted) {
    yield* audit(caller, {
      action: "credentials.delete",
      tenantId: input.tenantId,
      target: `${input.provider} account ${input.accountId}`,
      summary: `deleted the credentials of ${input.provider} account '${input.accountId}'`
    })
  }
  return deleted
})
