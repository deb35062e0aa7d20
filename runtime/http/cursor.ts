import { Effect } from "effect"
import { InvalidInput } from "../../domain/errors.ts"
import { unstorableText } from "./unstorable-text.ts"
import { showValue } from "./validation-details.ts"

/**
 * Opaque page cursors. A cursor names its listing and the filters it was issued under beside the
 * last id of its page, so that a cursor that does not decode, or one from another listing or other
 * filters, is a 400 rather than a silent first page. Partners treat it as an opaque string; the
 * encoding is ours to change.
 */
export interface PageCursor {
  /** The cursor for the page after the one ending at this id, or null when there is none. */
  readonly encode: (lastId: string | null) => string | null
  /** The last id of the previous page, or null without a cursor. */
  readonly decode: (raw: string | undefined) => Effect.Effect<string | null, InvalidInput>
}

const version = 1

export const pageCursor = (listing: string, filters: ReadonlyArray<string | boolean | null>): PageCursor => {
  const scope = JSON.stringify(filters)
  return {
    encode: (lastId) =>
      lastId === null ? null : Buffer.from(JSON.stringify([version, listing, scope, lastId])).toString("base64url"),
    decode: (raw) => {
      if (raw === undefined) return Effect.succeed(null)
      const refuse = (problem: string) =>
        Effect.fail(new InvalidInput({ details: `query.cursor: ${problem}, got ${showValue(raw)}` }))
      let decoded: unknown
      try {
        decoded = /^[A-Za-z0-9_-]{1,2048}$/.test(raw)
          ? JSON.parse(Buffer.from(raw, "base64url").toString("utf8"))
          : undefined
      } catch {
        decoded = undefined
      }
      if (
        !Array.isArray(decoded) ||
        decoded.length !== 4 ||
        decoded[0] !== version ||
        typeof decoded[1] !== "string" ||
        typeof decoded[2] !== "string" ||
        typeof decoded[3] !== "string"
      ) {
        return refuse("is not a cursor this API issued (pass nextCursor back unchanged)")
      }
      if (decoded[1] !== listing) return refuse(`belongs to another listing (${decoded[1]})`)
      if (decoded[2] !== scope) return refuse("was issued for other filters: repeat the first request's filters")
      // A hand-made cursor reaches the database only with text it can store.
      if (unstorableText(decoded[3]) !== undefined) return refuse("is not a cursor this API issued")
      return Effect.succeed(decoded[3])
    }
  }
}
