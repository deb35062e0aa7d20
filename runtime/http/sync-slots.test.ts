import { Deferred, Effect, Exit, Fiber } from "effect"
import { HttpServerResponse } from "effect/http"
import { describe, expect, it } from "vitest"
import { makeSyncSlots } from "./sync-slots.ts"

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

describe("catalog push turns", () => {
  it("runs at most `concurrency` pushes at once; the others wait for a turn and then run", () =>
    run(
      Effect.gen(function* () {
        const slots = makeSyncSlots({ concurrency: 2, waitMs: 60_000 })
        let running = 0
        let most = 0
        const gates = [0, 1, 2, 3, 4].map(() => Deferred.makeUnsafe<void>())
        const push = (i: number) =>
          slots.admit(
            Effect.gen(function* () {
              running++
              most = Math.max(most, running)
              yield* Deferred.await(gates[i]!)
              running--
              return i
            })
          )
        const fibers = yield* Effect.forEach([0, 1, 2, 3, 4], (i) => Effect.forkChild(push(i)))
        yield* Effect.sleep(20)
        expect(running).toBe(2)
        for (const gate of gates) {
          yield* Deferred.succeed(gate, undefined)
          yield* Effect.sleep(5)
        }
        const answers = yield* Effect.forEach(fibers, Fiber.join)
        expect(answers).toEqual([0, 1, 2, 3, 4])
        expect(most).toBe(2)
      })
    ))

  it("answers a push that waited longer than waitMs with a 503 and Retry-After, without running it", () =>
    run(
      Effect.gen(function* () {
        const slots = makeSyncSlots({ concurrency: 1, waitMs: 30 })
        const holding = Deferred.makeUnsafe<void>()
        const first = yield* Effect.forkChild(slots.admit(Deferred.await(holding)))
        yield* Effect.sleep(5)
        let ran = false
        const second = yield* slots.admit(Effect.sync(() => (ran = true)))
        expect(ran).toBe(false)
        expect(HttpServerResponse.isHttpServerResponse(second)).toBe(true)
        const response = second as HttpServerResponse.HttpServerResponse
        expect(response.status).toBe(503)
        expect(response.headers["retry-after"]).toBe("5")
        const body = response.body._tag === "Uint8Array" ? new TextDecoder().decode(response.body.body) : ""
        expect(JSON.parse(body)).toMatchObject({ error: { code: 503, message: "temporarily unavailable" } })
        yield* Deferred.succeed(holding, undefined)
        yield* Fiber.join(first)
        // The turn was given back: the next push runs at once.
        expect(yield* slots.admit(Effect.succeed("next"))).toBe("next")
      })
    ))

  it("gives the turn back when a push fails, dies or is interrupted", () =>
    run(
      Effect.gen(function* () {
        const slots = makeSyncSlots({ concurrency: 1, waitMs: 50 })
        expect(Exit.isFailure(yield* Effect.exit(slots.admit(Effect.fail("bad push"))))).toBe(true)
        expect(Exit.isFailure(yield* Effect.exit(slots.admit(Effect.die("defect"))))).toBe(true)
        const hanging = yield* Effect.forkChild(slots.admit(Effect.never))
        yield* Effect.sleep(5)
        yield* Fiber.interrupt(hanging)
        // A push interrupted while waiting for its turn takes none either.
        const blocker = Deferred.makeUnsafe<void>()
        const holder = yield* Effect.forkChild(slots.admit(Deferred.await(blocker)))
        yield* Effect.sleep(5)
        const waiter = yield* Effect.forkChild(slots.admit(Effect.succeed("never ran")))
        yield* Effect.sleep(5)
        yield* Fiber.interrupt(waiter)
        yield* Deferred.succeed(blocker, undefined)
        yield* Fiber.join(holder)
        expect(yield* slots.admit(Effect.succeed("ok"))).toBe("ok")
        expect(yield* slots.admit(Effect.succeed("ok again"))).toBe("ok again")
      })
    ))
})
