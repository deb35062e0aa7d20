import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Logger } from "effect"
import { TestClock } from "effect/testing"
import { StorageError } from "../../domain/errors.ts"
import { makeRefreshingSet } from "./refreshing-set.ts"

const ttlMs = 5000

/** A store whose contents, failures and read count the test controls; a read may be held open. */
const fakeStore = (initial: ReadonlyArray<string>) => {
  const store = {
    values: [...initial],
    failing: false,
    reads: 0,
    gate: undefined as Deferred.Deferred<void> | undefined
  }
  const load = Effect.gen(function* () {
    store.reads++
    const snapshot = [...store.values]
    if (store.gate !== undefined) yield* Deferred.await(store.gate)
    if (store.failing) return yield* new StorageError({ operation: "read set", cause: "store down" })
    return snapshot
  })
  return { store, load }
}

/** Lets every forked fiber run until it blocks. */
const settle = Effect.gen(function* () {
  for (let i = 0; i < 50; i++) yield* Effect.yieldNow
})

const sorted = (set: ReadonlySet<string>) => [...set].sort()

/** Captures log lines written while the effect runs. */
const capturingLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make<unknown, void>(({ message }) => {
    lines.push(JSON.stringify(message))
  })
  return { lines, layer: Logger.layer([logger]) }
}

/** A set read once, now stale, whose store gained "b" and holds its next read open (`store.gate`). */
const staleWithHangingRead = Effect.gen(function* () {
  const { store, load } = fakeStore(["a"])
  const set = yield* makeRefreshingSet({ name: "test", load, ttlMs, maxWaitMs: 1000 })
  yield* set.current
  store.values.push("b")
  const gate = yield* Deferred.make<void>()
  store.gate = gate
  yield* TestClock.adjust(ttlMs)
  return { store, set, gate }
})

describe("RefreshingSet", () => {
  it.effect("reads once, answers from memory within the TTL, reads again after it", () =>
    Effect.gen(function* () {
      const { store, load } = fakeStore(["a"])
      const set = yield* makeRefreshingSet({ name: "test", load, ttlMs })
      expect(sorted(yield* set.current)).toEqual(["a"])
      store.values.push("b")
      yield* TestClock.adjust(ttlMs - 1)
      expect(sorted(yield* set.current)).toEqual(["a"])
      expect(store.reads).toBe(1)
      yield* TestClock.adjust(1)
      expect(sorted(yield* set.current)).toEqual(["a", "b"])
      expect(store.reads).toBe(2)
    })
  )

  it.effect("refresh reads again within the TTL, joins a read under way, and keeps the last good set on failure", () =>
    Effect.gen(function* () {
      const { store, load } = fakeStore(["a"])
      const set = yield* makeRefreshingSet({ name: "test", load, ttlMs })
      yield* set.current
      store.values.push("b")
      expect(sorted(yield* set.refresh)).toEqual(["a", "b"])
      expect(store.reads).toBe(2)
      // Fresh again for a whole TTL from that read.
      yield* TestClock.adjust(ttlMs - 1)
      yield* set.current
      expect(store.reads).toBe(2)
      store.gate = yield* Deferred.make<void>()
      const both = yield* Effect.forkChild(Effect.all([set.refresh, set.refresh], { concurrency: "unbounded" }))
      yield* settle
      expect(store.reads).toBe(3)
      yield* Deferred.succeed(store.gate, undefined)
      yield* Fiber.join(both)
      store.gate = undefined
      store.failing = true
      expect(sorted(yield* set.refresh)).toEqual(["a", "b"])
    })
  )

  it.effect("a TTL of 0 reads on every call and still waits for a read that takes time", () =>
    Effect.gen(function* () {
      const { store, load } = fakeStore(["a"])
      store.gate = yield* Deferred.make<void>()
      const set = yield* makeRefreshingSet({ name: "test", load, ttlMs: 0 })
      const first = yield* Effect.forkChild(set.current)
      yield* settle
      yield* TestClock.adjust(500)
      yield* Deferred.succeed(store.gate, undefined)
      expect(sorted(yield* Fiber.join(first))).toEqual(["a"])
      store.gate = undefined
      store.values.push("b")
      expect(sorted(yield* set.current)).toEqual(["a", "b"])
      expect(store.reads).toBe(2)
    })
  )

  it.effect("concurrent callers of a stale set share one read", () =>
    Effect.gen(function* () {
      const { store, load } = fakeStore(["a"])
      store.gate = yield* Deferred.make<void>()
      const set = yield* makeRefreshingSet({ name: "test", load, ttlMs })
      const callers = yield* Effect.forkChild(
        Effect.all(
          Array.from({ length: 20 }, () => set.current),
          { concurrency: "unbounded" }
        )
      )
      yield* settle
      expect(store.reads).toBe(1)
      yield* Deferred.succeed(store.gate, undefined)
      const answers = yield* Fiber.join(callers)
      expect(answers.map(sorted)).toEqual(Array.from({ length: 20 }, () => ["a"]))
      expect(store.reads).toBe(1)
    })
  )

  it.effect("a failed read keeps the last good set for another TTL, logs it, and recovers", () =>
    Effect.gen(function* () {
      const logs = capturingLogs()
      const { store, load } = fakeStore(["a"])
      const set = yield* makeRefreshingSet({ name: "tenant ids", load, ttlMs })
      expect(sorted(yield* set.current)).toEqual(["a"])
      store.failing = true
      store.values.push("b")
      yield* TestClock.adjust(ttlMs)
      expect(sorted(yield* set.current.pipe(Effect.provide(logs.layer)))).toEqual(["a"])
      expect(logs.lines.join("\n")).toContain("reading tenant ids failed; the last good set is kept")
      // No read per request while the store is down: the next try waits a TTL.
      yield* set.current
      yield* TestClock.adjust(ttlMs - 1)
      yield* set.current
      expect(store.reads).toBe(2)
      store.failing = false
      yield* TestClock.adjust(1)
      expect(sorted(yield* set.current)).toEqual(["a", "b"])
      expect(store.reads).toBe(3)
    })
  )

  it.effect("a read that hangs holds callers at most maxWaitMs, then the last good set answers", () =>
    Effect.gen(function* () {
      const { store, set, gate } = yield* staleWithHangingRead
      const first = yield* Effect.forkChild(set.current)
      yield* settle
      const second = yield* Effect.forkChild(set.current)
      yield* settle
      yield* TestClock.adjust(999)
      expect(first.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust(1)
      expect(sorted(yield* Fiber.join(first))).toEqual(["a"])
      expect(sorted(yield* Fiber.join(second))).toEqual(["a"])
      expect(store.reads).toBe(2)
      // The read went on: once it ends, its set is the one served.
      yield* Deferred.succeed(gate, undefined)
      yield* settle
      expect(sorted(yield* set.current)).toEqual(["a", "b"])
      expect(store.reads).toBe(2)
    })
  )

  it.effect("a read that never answers is given up after one TTL, and the next caller reads again", () =>
    Effect.gen(function* () {
      const { store, set } = yield* staleWithHangingRead
      const waiting = yield* Effect.forkChild(set.current)
      yield* settle
      yield* TestClock.adjust(1000)
      expect(sorted(yield* Fiber.join(waiting))).toEqual(["a"])
      // Still hanging one TTL after it began: counted as failed, so the next call starts a fresh read.
      yield* TestClock.adjust(ttlMs - 1000)
      yield* settle
      store.gate = undefined
      expect(sorted(yield* set.current)).toEqual(["a", "b"])
      expect(store.reads).toBe(3)
    })
  )

  it.effect("with no good read yet, the failure reaches the caller and the next call reads again", () =>
    Effect.gen(function* () {
      const { store, load } = fakeStore(["a"])
      store.failing = true
      const set = yield* makeRefreshingSet({ name: "test", load, ttlMs })
      const error = yield* Effect.flip(set.current)
      expect(error._tag).toBe("StorageError")
      store.failing = false
      expect(sorted(yield* set.current)).toEqual(["a"])
      expect(store.reads).toBe(2)
    })
  )

  it.effect("this process's changes count at once, even against a read already under way", () =>
    Effect.gen(function* () {
      const { store, load } = fakeStore(["a", "gone"])
      const set = yield* makeRefreshingSet({ name: "test", load, ttlMs })
      yield* set.current
      set.add("b")
      set.delete("a")
      expect(sorted(yield* set.current)).toEqual(["b", "gone"])
      // A read that saw the store before the next two changes must not undo them.
      store.values = ["a", "b", "gone"]
      store.gate = yield* Deferred.make<void>()
      yield* TestClock.adjust(ttlMs)
      const reading = yield* Effect.forkChild(set.current)
      yield* settle
      set.add("c")
      set.delete("gone")
      yield* Deferred.succeed(store.gate, undefined)
      expect(sorted(yield* Fiber.join(reading))).toEqual(["a", "b", "c"])
      expect(sorted(yield* set.current)).toEqual(["a", "b", "c"])
    })
  )
})
