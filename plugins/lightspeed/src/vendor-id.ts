import { Schema } from "effect"

/**
 * A Lightspeed int64 identifier (blID, businessId, ikentooMenuId, ikentooModifierId,
 * productionIntructionGroupId, businessLocationId).
 *
 * The service receives parsed JSON: an id above 2^53 - 1 sent as a JSON number has already been
 * rounded by JSON.parse before any plugin sees it (9007199254740993 arrives as 9007199254740992).
 * Such a number would silently name another object, so it is refused; the same id sent as a
 * string of digits is kept exactly. Today's Lightspeed ids (15 digits) are well below 2^53.
 */
export const VendorId = Schema.Union([
  Schema.Number.check(
    Schema.makeFilter(
      (n: number) =>
        (Number.isSafeInteger(n) && n >= 0) ||
        `${String(n)} is not an exact id: numbers above 2^53 - 1 lose precision in JSON, send such ids as strings`
    )
  ),
  Schema.String.check(Schema.isPattern(/^\d{1,19}$/, { expected: "a string of 1 to 19 digits" }))
]).annotate({ expected: "an integer id (a safe JSON integer or a string of digits)" })
export type VendorId = typeof VendorId.Type

/** The canonical text of an id: the decimal digits, exactly as the vendor meant them. */
export const idText = (id: VendorId): string => (typeof id === "number" ? String(id) : id)
