import { Clock, Effect, Random } from "effect"

/** A sync's id: time-ordered (base-36 milliseconds) with random bits, so ids sort by start time. */
export const newSyncId = Effect.gen(function* () {
  const millis = yield* Clock.currentTimeMillis
  const random = yield* Random.nextIntBetween(0, 2 ** 31)
  const more = yield* Random.nextIntBetween(0, 2 ** 31)
  return `syn_${millis.toString(36).padStart(9, "0")}${random.toString(36).padStart(6, "0")}${more.toString(36).padStart(6, "0")}`
})
