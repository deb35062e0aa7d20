import { Effect, Fiber, References, type Scope, type Semaphore } from "effect"
import type { StorageError } from "../../domain/errors.ts"
import type { TenantId } from "../../domain/tenant.ts"

/**
 * What the outbox dispatchers (orders to the POS, partner webhooks) share: call permits taken
 * before a claim, the calls under way by tenant, the claim-until-empty and drain loops, and a
 * per-tenant background look that a kick during it runs once more.
 */

/** An outbox dispatcher, as the service and the tests drive it. */
export interface TenantDispatcher {
  /** The tenant has new work due now: starts on it in the background; never fails, never waits. */
  readonly kick: (tenant: TenantId) => Effect.Effect<void>
  /** Does the tenant's due work in this fiber until none is due or under way: how many calls ended. */
  readonly drain: (tenant: TenantId) => Effect.Effect<number, StorageError>
  /** Looks at every active tenant's outbox for work a crash or another instance left. */
  readonly sweep: Effect.Effect<void, StorageError>
}

/** Runs `effect` with no log annotations of whoever started it (a request's id is not the background work's). */
export const detached = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.provideService(References.CurrentLogAnnotations, {}))

/**
 * Call permits for a batch: one, waiting for it, and as many more as are free now (up to `max`). A
 * row is claimed only with a permit in hand, so that its call starts at once and its lease is spent
 * on the call: a row claimed first and then left waiting for other calls could outlive its lease
 * before its call began, and be claimed and sent again by another instance.
 */
export const takePermits = (permits: Semaphore.Semaphore, max: number) =>
  Effect.gen(function* () {
    yield* permits.take(1)
    let held = 1
    while (held < max && (yield* permits.takeIfAvailable(1))) held++
    return { held }
  })

/** The calls under way in this process, by tenant. */
export const makeUnderWay = () => {
  const byTenant = new Map<TenantId, Set<Fiber.Fiber<void>>>()
  return {
    of: (tenant: TenantId) => {
      let fibers = byTenant.get(tenant)
      if (fibers === undefined) {
        fibers = new Set()
        byTenant.set(tenant, fibers)
      }
      return fibers
    }
  }
}

/** Claims batches until one claims nothing: how many rows were claimed. */
export const claimUntilEmpty = <E, R>(batch: Effect.Effect<number, E, R>) =>
  Effect.gen(function* () {
    let claimed = 0
    for (;;) {
      const rows = yield* batch
      if (rows === 0) return claimed
      claimed += rows
    }
  })

/** Claims until nothing is due, then waits for the calls under way and looks again, until none is left. */
export const drainLoop = <E, R>(
  claimAll: Effect.Effect<number, E, R>,
  underWay: () => ReadonlySet<Fiber.Fiber<void>>
) =>
  Effect.gen(function* () {
    let ran = 0
    for (;;) {
      ran += yield* claimAll
      const pending = [...underWay()]
      if (pending.length === 0) return ran
      yield* Fiber.awaitAll(pending)
    }
  })

/**
 * A per-tenant look in the background, in `scope`: one at a time per tenant, and a kick while one
 * runs makes it run once more when it ends (so no kick's work is missed, and kicks coalesce).
 * `look` never fails (it logs its own failures).
 */
export const coalescedLooks = (scope: Scope.Scope, look: (tenant: TenantId) => Effect.Effect<void>) => {
  const running = new Map<TenantId, { again: boolean }>()
  return (tenant: TenantId): Effect.Effect<void> =>
    Effect.suspend(() => {
      const current = running.get(tenant)
      if (current !== undefined) {
        current.again = true
        return Effect.void
      }
      const state = { again: false }
      running.set(tenant, state)
      const loop: Effect.Effect<void> = Effect.flatMap(look(tenant), () =>
        Effect.suspend(() => {
          if (state.again) {
            state.again = false
            return loop
          }
          running.delete(tenant)
          return Effect.void
        })
      )
      return Effect.asVoid(
        Effect.forkIn(
          detached(
            loop.pipe(Effect.onExit(() => Effect.sync(() => running.get(tenant) === state && running.delete(tenant))))
          ),
          scope
        )
      )
    })
}
