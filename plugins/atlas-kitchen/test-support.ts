import {
  type CallOutlet,
  type CatalogContext,
  type CredentialVault,
  type PayloadRejected,
  type PosCallContext,
  type PosCredentials,
  PosUnavailable
} from "@pos-integration/sdk"
import { Cause, Effect, Exit } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import type { AccountCredentials, OutletCredentials } from "./src/credentials.ts"

/** Helpers for this plugin's tests (no test-runner imports here: see test/architecture). */

export const noContext: CatalogContext = { externalOutletId: null, currency: null }

export const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect)

/** The typed failure of an effect expected to fail; a success or a defect rejects the promise. */
export const failure = <A, E>(effect: Effect.Effect<A, E>): Promise<E> => Effect.runPromise(Effect.flip(effect))

export const pathsOf = (rejected: PayloadRejected): ReadonlyArray<string> => rejected.issues.map((issue) => issue.path)

/**
 * How an effect ended, for junk inputs: "success", the typed error's tag, or "defect" (a throw or a
 * die), which a decoder must never produce.
 */
export const outcome = async <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E>): Promise<string> => {
  const exit = await Effect.runPromiseExit(Effect.suspend(() => effect)).catch(() => undefined)
  if (exit === undefined) return "defect"
  if (Exit.isSuccess(exit)) return "success"
  if (Cause.hasDies(exit.cause)) return "defect"
  const error = Cause.findErrorOption(exit.cause)
  return error._tag === "Some" ? error.value._tag : "defect"
}

/** A deep copy of a JSON fixture, to edit into a variant. */
export const copy = <T>(value: T): T => structuredClone(value)

/** The service's HTTP client: fetch, as the runtime provides it. */
export const fetchClient: HttpClient.HttpClient = Effect.runSync(
  Effect.gen(function* () {
    return yield* HttpClient.HttpClient
  }).pipe(Effect.provide(FetchHttpClient.layer))
)

/** A vault this plugin never writes to: Atlas keys do not rotate. Any write fails loudly. */
const readOnlyVault = <C>(): CredentialVault<C> => ({
  save: () => Effect.fail(new PosUnavailable({ reason: "the test vault is read-only" })),
  rotate: () => Effect.fail(new PosUnavailable({ reason: "the test vault is read-only" }))
})

/** A call context as the core builds one: whom it is about, the credentials set for them, fetch. */
export const callContext = (input: {
  readonly outlet?: CallOutlet | null
  readonly accountId?: string | null
  readonly credentials: PosCredentials<OutletCredentials, AccountCredentials>
  readonly http?: HttpClient.HttpClient
}): PosCallContext<OutletCredentials, AccountCredentials> => ({
  outlet: input.outlet ?? null,
  accountId: input.accountId ?? null,
  credentials: input.credentials,
  vault: { outlet: readOnlyVault(), account: readOnlyVault() },
  http: input.http ?? fetchClient
})
