import { Schema } from "effect"
import { VendorId } from "./vendor-id.ts"

/** Optional text that Lightspeed's Java backend may also send as an explicit null. */
const OptionalText = Schema.optionalKey(Schema.NullOr(Schema.String))

/** One business location (a restaurant): the unit that POS orders and menus are scoped to. */
export const BusinessLocation = Schema.Struct({
  blName: Schema.String,
  blID: VendorId,
  /** ISO 3166 country code. */
  country: OptionalText,
  /** IANA (the docs say "ICANN") time zone, e.g. "Europe/London". */
  timezone: OptionalText
})
export type BusinessLocation = typeof BusinessLocation.Type

export const Business = Schema.Struct({
  businessName: OptionalText,
  businessId: VendorId,
  /** ISO 4217: the currency of every location of the business. */
  currencyCode: OptionalText,
  businessLocations: Schema.Array(BusinessLocation)
})
export type Business = typeof Business.Type

/** The list of businesses, as the brief and research notes write it (without the HAL envelope). */
export const BusinessList = Schema.Struct({ businessList: Schema.Array(Business) })
export type BusinessList = typeof BusinessList.Type

/**
 * `GET /f/data/businesses` as the API really answers: a HAL document
 * `{"_embedded":{"businessList":[...]},"_links":{...}}`.
 */
export const BusinessesHal = Schema.Struct({ _embedded: BusinessList })
