import { PayloadRejected } from "@pos-integration/sdk"
import { Effect } from "effect"

/** The raw webhook body as JSON. Invalid UTF-8 or JSON is a typed PayloadRejected, never a throw. */
export const parseJsonBody = (body: Uint8Array): Effect.Effect<unknown, PayloadRejected> =>
  Effect.try({
    try: () => JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body)) as unknown,
    catch: (error) =>
      PayloadRejected.one("(root)", `the body is not JSON: ${error instanceof Error ? error.message : String(error)}`)
  })
