import type { OrderStatus } from "@pos-integration/sdk"

/** Deliverect's order status codes by name (Channel API "Order Status Update"). */
const codeByName = new Map<string, number>([
  ["PARSED", 1],
  ["RECEIVED", 2],
  ["NEW", 10],
  ["ACCEPTED", 20],
  ["DUPLICATE", 30],
  ["PRINTED", 40],
  ["PREPARING", 50],
  ["PREPARED", 60],
  ["READY_FOR_PICKUP", 70],
  ["IN_DELIVERY", 80],
  ["FINALIZED", 90],
  ["AUTO_FINALIZED", 95],
  ["CANCEL", 100],
  ["CANCELED", 110],
  ["CANCELLED", 110],
  ["FAILED", 120],
  ["POS_RECEIVED_FAILED", 121],
  ["PARSE_FAILED", 124]
])

/**
 * The codes with a canonical meaning. The rest (parsed, new, printed, prepared, duplicate, ...) say
 * nothing a partner acts on; Deliverect itself says an undocumented status can safely be ignored.
 */
const statusByCode = new Map<number, OrderStatus>([
  [20, "ACCEPTED"],
  [50, "PREPARING"],
  [70, "READY"],
  [80, "IN_DELIVERY"],
  [90, "COMPLETED"],
  [95, "COMPLETED"],
  [100, "CANCELLED"],
  [110, "CANCELLED"],
  // The restaurant's POS could not take the order (it failed, or could not read it): the order will
  // not be made, whatever it reached before, so the partner hears REJECTED (FAILED is ours: only an
  // order we could not deliver to Deliverect is FAILED).
  [120, "REJECTED"],
  [121, "REJECTED"],
  [124, "REJECTED"]
])

/** A numeric code, a code as a string ("20") or a name ("READY_FOR_PICKUP"); null when it means nothing to us. */
export const canonicalStatus = (status: number | string): OrderStatus | null => {
  const code =
    typeof status === "number"
      ? status
      : /^\s*\d+\s*$/.test(status)
        ? Number(status)
        : codeByName.get(status.trim().toUpperCase())
  return code === undefined ? null : (statusByCode.get(code) ?? null)
}
