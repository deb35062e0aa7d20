import { Cause, Clock, Deferred, Effect, Exit, type Scope } from "effect"
import { StorageError } from "../../domain/errors.ts"
import { storageReason } from "../failures.ts"

export interface RefreshingSetOptions<A> {
  /** Names the set in the log line of a failed read. */
  readonly name: string
  /** Reads the whole set from storage. */
  readonly load: Effect.Effect<Iterable<A>, StorageError>
  /** How long a read is trusted: a change made by another process is seen within it. */
  readonly ttlMs: number
  /**
   * How long a caller waits for a slow read (a database timing out) when a good set is at hand;
   * then the last good set answers while the read goes on. 1000 ms by default.
   */
  readonly maxWaitMs?: number | undefined
}

/**
 * A set held in memory and read again from storage once it is older than its TTL, so a membership
 * test costs no storage call: that is what keeps a flood of made-up tenant hosts or key ids away
 * from the database. Changes made by this process are applied at once with `add` and `delete`.
 */
export interface RefreshingSet<A> {
  /**
   * The set, read first when stale. One read at a time: concurrent callers wait for the same one
   * (at most `maxWaitMs` when a good set is at hand). A failed read keeps the last good set for
   * another TTL (and is logged) rather than failing every request; only when no read has ever
   * succeeded does the failure reach the caller.
   */
  readonly current: Effect.Effect<ReadonlySet<A>, StorageError>
  /**
   * The set read again now, whatever its age (a read under way is joined rather than doubled), with
   * `current`'s answers to a slow or failed read: for a caller that knows the store has changed.
   */
  readonly refresh: Effect.Effect<ReadonlySet<A>, StorageError>
  readonly add: (value: A) => void
  readonly delete: (value: A) => void
}

type Change<A> = readonly [kind: "add" | "delete", value: A]

/** Reads run in `scope` (the owning layer's), so a caller interrupted mid-read never strands the others. */
export const makeRefreshingSet = <A>(
  options: RefreshingSetOptions<A>
): Effect.Effect<RefreshingSet<A>, never, Scope.Scope> =>
  Effect.map(Effect.scope, (scope) => {
    let values: Set<A> | undefined
    let freshUntil = Number.NEGATIVE_INFINITY
    let reading: Deferred.Deferred<ReadonlySet<A>, StorageError> | undefined
    // A read may have seen the store before this process's latest changes: they are applied on top.
    let changesDuringRead: Array<Change<A>> | undefined

    // A read that hangs counts as failed after one TTL (never less than the wait for a slow read, so a
    // TTL of 0, every request reading, still gives a database time to answer): the last good set
    // answers meanwhile, and what another process created is then missed for at most two TTLs.
    const deadlineMs = Math.max(options.ttlMs, options.maxWaitMs ?? 1000)
    const loadWithDeadline = options.load.pipe(
      Effect.timeoutOrElse({
        duration: deadlineMs,
        orElse: () =>
          Effect.fail(
            new StorageError({ operation: `read ${options.name}`, cause: `no answer within ${deadlineMs} ms` })
          )
      })
    )

    const read = (done: Deferred.Deferred<ReadonlySet<A>, StorageError>, startedAt: number) =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(loadWithDeadline)
        const changes = changesDuringRead ?? []
        changesDuringRead = undefined
        reading = undefined
        // Counted from the start of the read: the store may have changed while it ran.
        freshUntil = startedAt + options.ttlMs
        if (Exit.isSuccess(exit)) {
          const next = new Set(exit.value)
          for (const [kind, value] of changes) {
            if (kind === "add") next.add(value)
            else next.delete(value)
          }
          values = next
          Deferred.doneUnsafe(done, Effect.succeed(next))
          return
        }
        if (values === undefined) {
          Deferred.doneUnsafe(done, Effect.failCause(exit.cause))
          return
        }
        const last = values
        for (const [kind, value] of changes) {
          if (kind === "add") last.add(value)
          else last.delete(value)
        }
        const failure = exit.cause.reasons.find(Cause.isFailReason)
        yield* Effect.logError(
          `reading ${options.name} failed; the last good set is kept`,
          failure === undefined ? Cause.pretty(exit.cause) : storageReason(failure.error)
        )
        Deferred.doneUnsafe(done, Effect.succeed(last))
      }).pipe(
        // The owning layer is closing: waiters must not hang, and a later caller may read again.
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            reading = undefined
            changesDuringRead = undefined
            Deferred.doneUnsafe(done, Effect.interrupt)
          })
        )
      )

    const maxWait = options.maxWaitMs ?? 1000
    const wait = (done: Deferred.Deferred<ReadonlySet<A>, StorageError>) => {
      const last = values
      if (last === undefined) return Deferred.await(done)
      return Deferred.await(done).pipe(Effect.timeoutOrElse({ duration: maxWait, orElse: () => Effect.succeed(last) }))
    }

    const current: Effect.Effect<ReadonlySet<A>, StorageError> = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      if (values !== undefined && now < freshUntil) return Effect.succeed(values)
      if (reading !== undefined) return wait(reading)
      const done = Deferred.makeUnsafe<ReadonlySet<A>, StorageError>()
      reading = done
      changesDuringRead = []
      return Effect.andThen(Effect.forkIn(read(done, now), scope), wait(done))
    })

    const change = (kind: "add" | "delete", value: A) => {
      if (kind === "add") values?.add(value)
      else values?.delete(value)
      changesDuringRead?.push([kind, value])
    }

    return {
      current,
      refresh: Effect.suspend(() => {
        freshUntil = Number.NEGATIVE_INFINITY
        return current
      }),
      add: (value) => change("add", value),
      delete: (value) => change("delete", value)
    } satisfies RefreshingSet<A>
  })
