import {
  type CallOutlet,
  type CredentialVault,
  MissingCredentials,
  type PosCallContext,
  type PosCredentials,
  type PosUnavailable,
  type Rotated
} from "@pos-integration/sdk"
import { Effect, Semaphore } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"

/** The HTTP client the kit calls fake POS servers with: the platform's fetch, as the service uses. */
export const fetchHttpClient = (): HttpClient.HttpClient =>
  Effect.runSync(
    Effect.provide(
      Effect.gen(function* () {
        return yield* HttpClient.HttpClient
      }),
      FetchHttpClient.layer
    )
  )

/** What an in-memory vault did, for tests to assert on. */
export interface VaultRecord<C> {
  /** The credentials it holds now (after saves and rotations); null when none were set. */
  readonly current: () => C | null
  /** How many times `save` stored credentials, and `rotate` stored a rotation. */
  readonly saves: () => number
  readonly rotations: () => number
}

/**
 * A vault in memory: `save` replaces the credentials; `rotate` runs one rotation at a time (a
 * second one waits for the first and reads its replacement), as the service's vault does across
 * instances. With no credentials set, `rotate` fails with MissingCredentials.
 */
export const memoryVault = <C>(initial: C | null, level: "outlet" | "account"): CredentialVault<C> & VaultRecord<C> => {
  let stored = initial
  let saves = 0
  let rotations = 0
  const lock = Semaphore.makeUnsafe(1)
  return {
    current: () => stored,
    saves: () => saves,
    rotations: () => rotations,
    save: (credentials: C): Effect.Effect<void, PosUnavailable> =>
      Effect.sync(() => {
        stored = credentials
        saves++
      }),
    rotate: <A, E>(
      use: (current: C) => Effect.Effect<Rotated<A, C>, E>
    ): Effect.Effect<A, E | PosUnavailable | MissingCredentials> =>
      lock.withPermits(1)(
        Effect.suspend((): Effect.Effect<A, E | MissingCredentials> => {
          const current = stored
          if (current === null) {
            return Effect.fail(
              new MissingCredentials({ level, reason: `no ${level} credentials are set: a rotation needs them` })
            )
          }
          return Effect.map(use(current), (rotated) => {
            stored = rotated.credentials
            rotations++
            return rotated.value
          })
        })
      )
  }
}

export interface TestCallContext<Outlet, Account> extends PosCallContext<Outlet, Account> {
  readonly vault: {
    readonly outlet: CredentialVault<Outlet> & VaultRecord<Outlet>
    readonly account: CredentialVault<Account> & VaultRecord<Account>
  }
  /** The credentials of both levels the vault holds now: what a next call would be given. */
  readonly stored: () => PosCredentials<Outlet, Account>
}

/**
 * A PosCallContext for tests: the credentials given (both levels, either may be null), an
 * in-memory vault holding them, and an HTTP client (fetch by default, or a fake one).
 *
 *   const context = testCallContext({ credentials: { outlet: creds, account: null }, outlet: { externalId: "S1", identifiers: {} } })
 *   await Effect.runPromise(plugin.submitOrder(order, context))
 */
export const testCallContext = <Outlet, Account>(options: {
  readonly credentials: PosCredentials<Outlet, Account>
  readonly http?: HttpClient.HttpClient
  readonly outlet?: CallOutlet | null
  readonly accountId?: string | null
}): TestCallContext<Outlet, Account> => {
  const vault = {
    outlet: memoryVault(options.credentials.outlet, "outlet"),
    account: memoryVault(options.credentials.account, "account")
  }
  return {
    outlet: options.outlet ?? null,
    accountId: options.accountId ?? null,
    credentials: options.credentials,
    vault,
    http: options.http ?? fetchHttpClient(),
    stored: () => ({ outlet: vault.outlet.current(), account: vault.account.current() })
  }
}
