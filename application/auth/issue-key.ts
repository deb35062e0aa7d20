import { Clock, Effect } from "effect"
import { type ApiKeyRecord, formatApiKey, type KeyKind, presetScopes, type Scope } from "../../domain/api-key.ts"
import { InvalidInput } from "../../domain/errors.ts"
import { ApiKeys } from "../ports/api-keys.ts"
import { KeySecrets } from "../ports/key-secrets.ts"

export interface IssueKeyInput {
  readonly kind: KeyKind
  readonly scopes?: ReadonlyArray<Scope> | undefined
  readonly name?: string | undefined
  readonly expiresAt?: Date | undefined
}

export interface IssuedKey {
  readonly record: ApiKeyRecord
  /** The whole key, shown once: only its hash is stored. */
  readonly plaintext: string
}

export const issueApiKey = Effect.fnUntraced(function* (input: IssueKeyInput) {
  const keys = yield* ApiKeys
  const secrets = yield* KeySecrets
  const now = new Date(yield* Clock.currentTimeMillis)
  if (input.expiresAt !== undefined && input.expiresAt.getTime() <= now.getTime()) {
    return yield* new InvalidInput({ details: "expiresAt must be in the future" })
  }
  const scopes = input.scopes ?? presetScopes[input.kind]
  if (scopes.length === 0) return yield* new InvalidInput({ details: "a key needs at least one scope" })
  const secret = secrets.generate()
  const record = yield* keys.insert({
    name: input.name ?? `${input.kind} key`,
    kind: input.kind,
    scopes: [...new Set(scopes)],
    secretHash: secrets.hash(secret),
    expiresAt: input.expiresAt ?? null,
    createdAt: now
  })
  return { record, plaintext: formatApiKey(record.id, secret) } satisfies IssuedKey
})
