import {
  type CredentialVault,
  issuesOf,
  MissingCredentials,
  type PosCallContext,
  type PosCredentials,
  PosUnavailable
} from "@pos-integration/sdk"
import { Effect, Schema } from "effect"
import type { HttpClient } from "effect/http"
import type { StoreRow } from "../../application/ports/catalog.ts"
import {
  type CredentialLevel,
  PosCredentialStore,
  UnreadableCredentials
} from "../../application/ports/pos-credentials.ts"
import { type NotFound, StorageError } from "../../domain/errors.ts"
import type { LoadedPlugin } from "./plugin-registry.ts"

/** Whom a plugin call is about: an outlet (and the POS account it belongs to), or a POS account alone. */
export type CallSubject = { readonly store: StoreRow } | { readonly accountId: string }

type Codec = Schema.Codec<unknown, unknown>

const accountIdOf = (subject: CallSubject): string | null =>
  "store" in subject ? (subject.store.accountId ?? null) : subject.accountId

const pathsOf = (error: Schema.SchemaError) =>
  [...new Set(issuesOf(error).map((issue) => issue.path))].join(", ") || "(the whole value)"

/**
 * Stored text decoded with the plugin's Schema of its level. A value that no longer decodes (the
 * plugin's Schema changed) is named by its level and the paths at fault, never quoted: set again.
 */
const decodeStored = (
  loaded: LoadedPlugin,
  level: CredentialLevel,
  schema: Codec,
  text: string | undefined
): Effect.Effect<unknown, UnreadableCredentials> => {
  if (text === undefined) return Effect.succeed(null)
  const provider = loaded.manifest.id
  const unreadable = (why: string) =>
    new UnreadableCredentials({
      level,
      reason: `the stored ${level} credentials ${why}: set them again (npm run admin -- ${
        level === "outlet" ? "store" : "account"
      } set-credentials)`
    })
  return Effect.try({ try: () => JSON.parse(text) as unknown, catch: () => unreadable("are not JSON") }).pipe(
    Effect.flatMap((raw) =>
      Schema.decodeUnknownEffect(schema)(raw, { errors: "all" }).pipe(
        Effect.mapError((error) =>
          unreadable(`no longer match the ${provider} plugin's ${level} schema (check: ${pathsOf(error)})`)
        )
      )
    )
  )
}

/** Where one level of a subject's credentials is kept, or why the subject has none of that level. */
interface Slot {
  readonly lockKey: string
  readonly read: Effect.Effect<string | undefined, UnreadableCredentials | StorageError>
  readonly write: (text: string) => Effect.Effect<void, NotFound | StorageError>
  readonly schema: Codec
}

const slotOf = (
  store: typeof PosCredentialStore.Service,
  loaded: LoadedPlugin,
  subject: CallSubject,
  level: CredentialLevel
): Slot | string => {
  const provider = loaded.manifest.id
  if (level === "outlet") {
    if (!("store" in subject)) return "this call concerns a POS account, not an outlet"
    const storeId = subject.store.id
    return {
      lockKey: `pos-credentials:${provider}:outlet:${storeId}`,
      read: store.getOutlet(storeId),
      write: (text) => store.setOutlet(storeId, text),
      schema: loaded.plugin.credentials.outlet
    }
  }
  const schema = loaded.plugin.credentials.account
  if (schema === null) return `the ${provider} plugin has no account-level credentials`
  const accountId = accountIdOf(subject)
  if (accountId === null) return "the outlet names no POS account"
  return {
    lockKey: `pos-credentials:${provider}:account:${accountId}`,
    read: store.getAccount(provider, accountId),
    write: (text) => store.setAccount(provider, accountId, text),
    schema
  }
}

/**
 * The credentials of both levels for a subject, decoded with the plugin's Schemas: the outlet's
 * (when the subject is an outlet) and its POS account's (when the plugin has that level and the
 * account is known). A level that was not set is null.
 */
export const loadPosCredentials = (
  loaded: LoadedPlugin,
  subject: CallSubject
): Effect.Effect<PosCredentials<unknown, unknown>, UnreadableCredentials | StorageError, PosCredentialStore> =>
  Effect.gen(function* () {
    const store = yield* PosCredentialStore
    const level = (which: CredentialLevel) => {
      const slot = slotOf(store, loaded, subject, which)
      return typeof slot === "string"
        ? Effect.succeed(null)
        : Effect.flatMap(slot.read, (text) => decodeStored(loaded, which, slot.schema, text))
    }
    return { outlet: yield* level("outlet"), account: yield* level("account") }
  })

/**
 * The credentials a webhook is verified with (receiveWebhook's loader). Stored credentials that
 * cannot be used are a failure of ours (a 500, logged with the level and the key id): the vendor
 * retries, where a 401 could make it give up on the endpoint.
 */
export const webhookCredentials = (
  loaded: LoadedPlugin,
  subject: CallSubject
): Effect.Effect<PosCredentials<unknown, unknown>, StorageError, PosCredentialStore> =>
  loadPosCredentials(loaded, subject).pipe(
    Effect.catchTag("UnreadableCredentials", (error) =>
      Effect.fail(
        new StorageError({ operation: `read the ${loaded.manifest.id} ${error.level} credentials`, cause: error })
      )
    )
  )

const unavailable = (level: CredentialLevel, what: string, error: { readonly message: string }) =>
  new PosUnavailable({ reason: `the ${level} credentials ${what}: ${error.message}` })

/**
 * The SDK 2 context of one outbound call: whom it is about, the credentials of both levels, a
 * vault per level for credentials the plugin must write back, and the HTTP client.
 *
 * `save` encodes with the plugin's Schema and stores (sealed). `rotate` takes the level's lock
 * (held across every instance sharing the tenant's database), reads the stored credentials afresh
 * inside it, runs `use`, stores what it answers and only then releases: two rotations of one
 * account, in two processes, run one after the other and the second sees the first's new refresh
 * token. Both keep `context.credentials` up to date for the rest of the call. No failure quotes a
 * credential.
 */
export const makePosCallContext = (
  loaded: LoadedPlugin,
  subject: CallSubject,
  http: HttpClient.HttpClient
): Effect.Effect<PosCallContext<unknown, unknown>, UnreadableCredentials | StorageError, PosCredentialStore> =>
  Effect.gen(function* () {
    const store = yield* PosCredentialStore
    const provider = loaded.manifest.id
    const loadedCredentials = yield* loadPosCredentials(loaded, subject)
    const credentials: { outlet: unknown; account: unknown } = { ...loadedCredentials }

    const vault = (level: CredentialLevel): CredentialVault<unknown> => {
      const slot = slotOf(store, loaded, subject, level)
      const encode = (value: unknown) =>
        typeof slot === "string"
          ? Effect.fail(new PosUnavailable({ reason: `no ${level} credentials can be stored: ${slot}` }))
          : Schema.encodeUnknownEffect(slot.schema)(value, { errors: "all" }).pipe(
              Effect.mapError(
                (error) =>
                  new PosUnavailable({
                    reason: `the ${level} credentials to store do not match the ${provider} plugin's ${level} schema (check: ${pathsOf(error)}): not stored`
                  })
              ),
              Effect.map((encoded) => ({ slot, text: JSON.stringify(encoded) }))
            )
      const persist = (value: unknown) =>
        Effect.gen(function* () {
          const { slot, text } = yield* encode(value)
          yield* slot.write(text).pipe(Effect.mapError((error) => unavailable(level, "could not be stored", error)))
          credentials[level] = value
        })
      return {
        save: (value) => persist(value),
        rotate: <A, E>(
          use: (current: unknown) => Effect.Effect<{ readonly value: A; readonly credentials: unknown }, E>
        ): Effect.Effect<A, E | PosUnavailable | MissingCredentials> => {
          if (typeof slot === "string") {
            return Effect.fail(new MissingCredentials({ level, reason: `no ${level} credentials to rotate: ${slot}` }))
          }
          const rotation = Effect.gen(function* () {
            const text = yield* slot.read.pipe(Effect.mapError((error) => unavailable(level, "cannot be read", error)))
            const current = yield* decodeStored(loaded, level, slot.schema, text).pipe(
              Effect.mapError((error) => unavailable(level, "cannot be used", error))
            )
            if (current === null) {
              return yield* new MissingCredentials({
                level,
                reason: `no ${level} credentials are set: nothing to rotate`
              })
            }
            const rotated = yield* use(current)
            yield* persist(rotated.credentials)
            return rotated.value
          })
          return store
            .withLock(slot.lockKey)(rotation)
            .pipe(
              Effect.mapError((error) =>
                error instanceof StorageError
                  ? unavailable(level, "could not be locked", error)
                  : (error as E | PosUnavailable | MissingCredentials)
              )
            )
        }
      }
    }

    return {
      outlet:
        "store" in subject ? { externalId: subject.store.externalId, identifiers: subject.store.identifiers } : null,
      accountId: accountIdOf(subject),
      credentials,
      vault: { outlet: vault("outlet"), account: vault("account") },
      http
    }
  })
