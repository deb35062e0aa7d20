import {
  type CatalogContext,
  type CatalogSnapshot,
  type CredentialVault,
  catalogIssues,
  type PayloadRejected,
  type PosCallContext,
  type PosCredentials,
  UNTIL_FURTHER_NOTICE
} from "@pos-integration/sdk"
import { Effect, Result } from "effect"
import type { HttpClient } from "effect/http"
import { credentials as fixtureCredentials, marinaBay, marinaBayAccount } from "./fixtures/index.ts"
import type { AccountCredentials, OutletCredentials } from "./src/credentials.ts"

export const noContext: CatalogContext = { externalOutletId: null, currency: null }

/**
 * Runs an effect to its typed outcome. A defect (or a thrown exception) rejects the promise, so a
 * test using this fails on one: decoders must fail with typed errors only.
 */
export const outcome = <A, E>(effect: Effect.Effect<A, E>): Promise<Result.Result<A, E>> =>
  Effect.runPromise(Effect.result(effect))

export const succeeded = async <A, E>(effect: Effect.Effect<A, E>): Promise<A> => {
  const result = await outcome(effect)
  if (Result.isFailure(result)) throw new Error(`expected success, got ${JSON.stringify(result.failure)}`)
  return result.success
}

export const failed = async <A, E>(effect: Effect.Effect<A, E>): Promise<E> => {
  const result = await outcome(effect)
  if (Result.isSuccess(result)) throw new Error(`expected failure, got ${JSON.stringify(result.success)}`)
  return result.failure
}

/** The issues of a PayloadRejected, for `toContainEqual` on a path and a message fragment. */
export const issuesOf = (error: unknown): ReadonlyArray<{ readonly path: string; readonly message: string }> => {
  const rejected = error as PayloadRejected
  if (rejected._tag !== "PayloadRejected") throw new Error(`expected PayloadRejected, got ${JSON.stringify(error)}`)
  return rejected.issues
}

/** A deep copy of a fixture whose value at `path` is replaced (or removed when `value` is undefined). */
export const edited = (payload: unknown, path: ReadonlyArray<string | number>, value?: unknown): unknown => {
  const copy = structuredClone(payload) as unknown
  let node = copy as Record<string | number, unknown>
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>
  const last = path[path.length - 1]!
  if (value === undefined) delete node[last]
  else node[last] = value
  return copy
}

const isoMillis = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const clock = /^(?:[01]\d|2[0-3]):[0-5]\d$/

/**
 * The canonical invariants (the SDK's catalogIssues, which the core checks on every sync) and what
 * this plugin promises beyond them: a snooze ends at an ISO UTC instant with milliseconds or lasts
 * until further notice, a tax rate is parts per million from 0 to 100% and a multiple of ten
 * (Deliverect's thousandths of a percent), a window never opens or closes at 24:00. The broken ones,
 * empty when none.
 */
export const brokenInvariants = (snapshot: CatalogSnapshot): Array<string> => {
  const broken = catalogIssues(snapshot).map((issue) => `${issue.path}: ${issue.message}`)
  const snooze = (what: string, value: string | null) => {
    if (value !== null && value !== UNTIL_FURTHER_NOTICE && !isoMillis.test(value))
      broken.push(`${what} snoozedUntil ${value} is neither ISO UTC with milliseconds nor until further notice`)
  }
  for (const product of snapshot.products) {
    snooze(`product ${product.externalId}`, product.snoozedUntil)
    const ppm = product.taxRatePpm
    if (ppm !== null && (!Number.isSafeInteger(ppm) || ppm < 0 || ppm > 1_000_000 || ppm % 10 !== 0)) {
      broken.push(`product ${product.externalId} tax rate ${ppm}`)
    }
  }
  for (const option of snapshot.modifierOptions) snooze(`option ${option.externalId}`, option.snoozedUntil)
  for (const menu of snapshot.menus) {
    for (const window of menu.availabilities) {
      if (!clock.test(window.opens) || !clock.test(window.closes)) {
        broken.push(`menu ${menu.externalId} window ${JSON.stringify(window)}`)
      }
    }
  }
  return broken
}

/** A vault this plugin must never touch: Deliverect rotates no secret. Using it is a defect. */
const untouchedVault = <C>(level: string): CredentialVault<C> => ({
  save: () => Effect.die(new Error(`the ${level} vault was used`)),
  rotate: () => Effect.die(new Error(`the ${level} vault was used`))
})

/** The context of an outbound call about the Marina Bay outlet, with this HTTP client and credentials. */
export const callContext = (
  http: HttpClient.HttpClient,
  credentials: PosCredentials<OutletCredentials, AccountCredentials> = fixtureCredentials
): PosCallContext<OutletCredentials, AccountCredentials> => ({
  outlet: { externalId: marinaBay, identifiers: { channelLinkId: marinaBay } },
  accountId: marinaBayAccount,
  credentials,
  vault: { outlet: untouchedVault("outlet"), account: untouchedVault("account") },
  http
})
