/** What this plugin's tests share: running an Effect to tell success, typed failure and defect apart; a vault; an HTTP client. */
import { type CredentialVault, MissingCredentials, PayloadRejected } from "@pos-integration/sdk"
import { Cause, Effect, Exit, Option, Semaphore } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"

export type Outcome<A, E> =
  | { readonly _tag: "success"; readonly value: A }
  | { readonly _tag: "failure"; readonly error: E }
  | { readonly _tag: "defect"; readonly cause: string }

/** Runs `make` (which itself may throw) and classifies what happened; a throw counts as a defect. */
export const outcome = async <A, E>(make: () => Effect.Effect<A, E>): Promise<Outcome<A, E>> => {
  let exit: Exit.Exit<A, E>
  try {
    exit = await Effect.runPromise(Effect.exit(Effect.suspend(make)))
  } catch (thrown) {
    return { _tag: "defect", cause: String(thrown) }
  }
  if (Exit.isSuccess(exit)) return { _tag: "success", value: exit.value }
  const error = Cause.findErrorOption(exit.cause)
  return Exit.hasDies(exit) || Option.isNone(error)
    ? { _tag: "defect", cause: Cause.pretty(exit.cause) }
    : { _tag: "failure", error: error.value }
}

export const succeed = async <A, E>(effect: Effect.Effect<A, E>): Promise<A> => {
  const result = await outcome(() => effect)
  if (result._tag === "success") return result.value
  throw new Error(`expected a success, got ${JSON.stringify(result)}`)
}

export const fail = async <A, E>(effect: Effect.Effect<A, E>): Promise<E> => {
  const result = await outcome(() => effect)
  if (result._tag === "failure") return result.error
  throw new Error(`expected a typed failure, got ${JSON.stringify(result)}`)
}

/** The failure must be a PayloadRejected; returns its issues' paths and messages. */
export const rejected = async <A, E>(effect: Effect.Effect<A, E>): Promise<PayloadRejected> => {
  const error = await fail(effect)
  if (error instanceof PayloadRejected) return error
  throw new Error(`expected PayloadRejected, got ${JSON.stringify(error)}`)
}

/** Deep-copies a JSON fixture so a test can alter it. */
export const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T

/** A small seeded PRNG (mulberry32): junk generation is random but every run is the same. */
export const prng = (seed: number) => {
  let state = seed >>> 0
  return (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * An in-memory credential vault for one level, as the core's behaves: `rotate` runs under a lock (a
 * one-permit semaphore, as the core's lock across instances), reads the stored credentials afresh
 * and stores what `use` answers before releasing it. Counts what it did.
 */
export const memoryVault = <C>(initial: C | null, level: "outlet" | "account" = "account") => {
  const lock = Semaphore.makeUnsafe(1)
  let stored = initial
  let saves = 0
  let rotations = 0
  const vault: CredentialVault<C> = {
    save: (credentials) =>
      Effect.sync(() => {
        stored = credentials
        saves += 1
      }),
    rotate: (use) =>
      lock.withPermit(
        Effect.gen(function* () {
          if (stored === null) {
            return yield* new MissingCredentials({ level, reason: "nothing is stored to rotate" })
          }
          rotations += 1
          const rotated = yield* use(stored)
          stored = rotated.credentials
          return rotated.value
        })
      )
  }
  return { vault, current: () => stored, saves: () => saves, rotations: () => rotations }
}

/** The platform's fetch as an Effect HttpClient: requests really cross the loopback interface. */
export const fetchHttp: HttpClient.HttpClient = Effect.runSync(
  Effect.provide(
    Effect.gen(function* () {
      return yield* HttpClient.HttpClient
    }),
    FetchHttpClient.layer
  )
)
