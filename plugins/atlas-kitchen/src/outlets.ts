import {
  decodePayload,
  type FulfilmentType,
  type OutletSnapshot,
  type PayloadRejected,
  type ServiceHours
} from "@pos-integration/sdk"
import { Effect } from "effect"
import { ById, mapWith, type Problems, text } from "./mapping.ts"
import { clockTime, dayOfWeek } from "./time.ts"
import { Channel, type ChannelConfig, type Outlet } from "./vendor-channel.ts"

/** The fulfilment types of `general_service_hours`, in the order their windows are listed. */
const fulfilments = [
  ["delivery", "DELIVERY"],
  ["pickup", "PICKUP"],
  ["dine_in", "DINE_IN"]
] as const satisfies ReadonlyArray<readonly [string, FulfilmentType]>

const fulfilmentRank = (fulfilment: FulfilmentType): number => fulfilments.findIndex(([, f]) => f === fulfilment)

/**
 * Weekly service hours. A day marked `closed` has none, whatever its `service_hours` say.
 * `special_hours` are dated exceptions, which weekly windows cannot express: they are not mapped.
 */
const serviceHoursOf = (outlet: Outlet, path: string, problems: Problems): ReadonlyArray<ServiceHours> => {
  const windows: Array<ServiceHours> = []
  for (const [key, fulfilment] of fulfilments) {
    const days = outlet.general_service_hours?.[key] ?? []
    for (const [d, day] of days.entries()) {
      if (day.closed === true) continue
      const dayPath = `${path}.general_service_hours.${key}[${d}]`
      const dow = dayOfWeek(day.day_of_week)
      if (dow === undefined) {
        problems.add(`${dayPath}.day_of_week`, `not a day of the week: ${day.day_of_week}`)
        continue
      }
      for (const [h, hours] of (day.service_hours ?? []).entries()) {
        const opens = clockTime(hours.service_start)
        const closes = clockTime(hours.service_end)
        const hoursPath = `${dayPath}.service_hours[${h}]`
        if (opens === undefined) problems.add(`${hoursPath}.service_start`, "not a whole minute from midnight")
        if (closes === undefined) problems.add(`${hoursPath}.service_end`, "not a whole minute from midnight")
        if (opens !== undefined && closes !== undefined) windows.push({ dayOfWeek: dow, opens, closes, fulfilment })
      }
    }
  }
  // One order whatever order the days came in: by fulfilment, day, then opening time.
  const sorted = windows.toSorted(
    (a, b) =>
      fulfilmentRank(a.fulfilment) - fulfilmentRank(b.fulfilment) ||
      a.dayOfWeek - b.dayOfWeek ||
      a.opens.localeCompare(b.opens) ||
      a.closes.localeCompare(b.closes)
  )
  return sorted.filter((w, i) => i === 0 || JSON.stringify(w) !== JSON.stringify(sorted[i - 1]))
}

/** Currency, country, time zone and tax mode are the channel's (`config`), shared by its outlets. */
const outletSnapshot = (
  outlet: Outlet,
  config: ChannelConfig,
  accountId: string | null,
  path: string,
  problems: Problems
): OutletSnapshot => ({
  externalId: String(outlet.id),
  name: outlet.name.trim(),
  // The channel answer has no active flag: an outlet it lists is one the channel serves.
  active: true,
  currency: config.currency ?? null,
  timezone: text(config.time_zone),
  country: config.country ?? null,
  address: text(outlet.address),
  postalCode: text(outlet.postal_code),
  phone: text(outlet.contact_number),
  taxInclusive: config.tax_inclusive_prices ?? null,
  serviceHours: serviceHoursOf(outlet, path, problems),
  // Orders go to /outlets/{outlet_id}/channels/{channel_id}/orders: the outlet id is what the POS needs.
  identifiers: { outletId: String(outlet.id) },
  accountId
})

/**
 * The storefront `GET /channel` answer as outlet snapshots: one per listed outlet, keyed by
 * `String(id)`. The answer does not name the merchant: `accountId` is the one the caller knows (the
 * merchant whose credentials fetched it), null for a pushed payload.
 */
export const decodeChannel = (
  payload: unknown,
  accountId: string | null
): Effect.Effect<ReadonlyArray<OutletSnapshot>, PayloadRejected> =>
  decodePayload(Channel)(payload).pipe(
    Effect.flatMap((channel) =>
      mapWith((problems) => {
        const outlets = new ById<OutletSnapshot>("outlet", problems)
        channel.outlets.forEach((outlet, i) => {
          const path = `outlets[${i}]`
          outlets.add(String(outlet.id), outletSnapshot(outlet, channel.config, accountId, path, problems), path)
        })
        return outlets.values()
      })
    )
  )

/** A pushed `GET /channel` answer: nothing in it names the merchant, so `accountId` is null. */
export const decodeOutlets = (payload: unknown): Effect.Effect<ReadonlyArray<OutletSnapshot>, PayloadRejected> =>
  decodeChannel(payload, null)
