import { Schema } from "effect"
import { AtlasId, Name, OptionalText, SecondsOfDay } from "./vendor-values.ts"

/**
 * The Storefront API's `GET /channel` answer (connect.atlas.kitchen, "Get channel"): the channel's
 * config and its outlets with their weekly service hours per fulfilment type.
 */

export const ServiceHour = Schema.Struct({
  name: OptionalText,
  service_start: SecondsOfDay,
  service_end: SecondsOfDay
})
export type ServiceHour = typeof ServiceHour.Type

export const DayServiceHours = Schema.Struct({
  day_of_week: Schema.Int.pipe(
    Schema.check(Schema.isBetween({ minimum: 0, maximum: 7 }, { message: "must be a day of the week (0-7)" }))
  ),
  closed: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
  service_hours: Schema.optionalKey(Schema.NullOr(Schema.Array(ServiceHour)))
})
export type DayServiceHours = typeof DayServiceHours.Type

const Week = Schema.optionalKey(Schema.NullOr(Schema.Array(DayServiceHours)))

/** The docs list delivery and pickup; the merchant portal also offers dine-in hours. */
export const GeneralServiceHours = Schema.Struct({
  delivery: Week,
  pickup: Week,
  dine_in: Week
})

export const Outlet = Schema.Struct({
  id: AtlasId,
  name: Name,
  description: OptionalText,
  uen: OptionalText,
  address: OptionalText,
  postal_code: OptionalText,
  contact_number: OptionalText,
  general_service_hours: Schema.optionalKey(Schema.NullOr(GeneralServiceHours))
})
export type Outlet = typeof Outlet.Type

export const ChannelConfig = Schema.Struct({
  country: Schema.optionalKey(Schema.NullOr(Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Z]{2}$/))))),
  currency: Schema.optionalKey(Schema.NullOr(Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Z]{3}$/))))),
  time_zone: OptionalText,
  tax_inclusive_prices: Schema.optionalKey(Schema.NullOr(Schema.Boolean))
})
export type ChannelConfig = typeof ChannelConfig.Type

export const Channel = Schema.Struct({
  config: ChannelConfig,
  outlets: Schema.Array(Outlet)
})
export type Channel = typeof Channel.Type
