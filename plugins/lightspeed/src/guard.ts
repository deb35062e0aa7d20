import { PayloadRejected } from "@pos-integration/sdk"
import { Effect } from "effect"

/**
 * Decoders must never die: any exception thrown while mapping (a bug, or a pathological input such
 * as a getter that throws) becomes a typed PayloadRejected instead of a defect.
 */
export const guardDecoder = <A>(effect: Effect.Effect<A, PayloadRejected>): Effect.Effect<A, PayloadRejected> =>
  Effect.suspend(() => effect).pipe(
    Effect.catchDefect((defect) =>
      Effect.fail(
        PayloadRejected.one(
          "(root)",
          `the payload could not be decoded: ${defect instanceof Error ? defect.message : String(defect)}`
        )
      )
    )
  )
