import type { OutletSnapshot } from "@pos-integration/sdk"
import { decodePayload, PayloadRejected } from "@pos-integration/sdk"
import { Effect } from "effect"
import {
  type Business,
  BusinessesHal,
  type BusinessList,
  BusinessList as BusinessListSchema
} from "./businesses-schema.ts"
import { guardDecoder } from "./guard.ts"
import { sameSnapshot } from "./same-snapshot.ts"
import { idText } from "./vendor-id.ts"

/** An ISO 4217 code, upper-cased, or null when the value is not one (the tenant default then applies). */
const isoCurrency = (value: string | null | undefined): string | null => {
  const code = value?.trim().toUpperCase()
  return code !== undefined && /^[A-Z]{3}$/.test(code) ? code : null
}

const isoCountry = (value: string | null | undefined): string | null => {
  const code = value?.trim().toUpperCase()
  return code !== undefined && /^[A-Z]{2}$/.test(code) ? code : null
}

const blank = (value: string | null | undefined): string | null =>
  value === undefined || value === null || value.trim() === "" ? null : value.trim()

/**
 * The HAL envelope is what the API sends; the bare `{"businessList":[...]}` is accepted too. The
 * envelope is chosen by its key rather than by a Schema union, so that a broken location is reported
 * once at its real path instead of once per union member.
 */
const decodeList = (
  payload: unknown
): Effect.Effect<{ readonly list: BusinessList; readonly root: string }, PayloadRejected> =>
  typeof payload === "object" && payload !== null && !Array.isArray(payload) && "_embedded" in payload
    ? Effect.map(decodePayload(BusinessesHal)(payload), (hal) => ({
        list: hal._embedded,
        root: "_embedded.businessList"
      }))
    : Effect.map(decodePayload(BusinessListSchema)(payload), (list) => ({ list, root: "businessList" }))

const outletOf = (business: Business, location: Business["businessLocations"][number]): OutletSnapshot => ({
  externalId: idText(location.blID),
  name: location.blName,
  // The businesses answer has no notion of a closed location: an outlet is deactivated only when a payload says so.
  active: true,
  currency: isoCurrency(business.currencyCode),
  timezone: blank(location.timezone),
  country: isoCountry(location.country),
  address: null,
  postalCode: null,
  phone: null,
  taxInclusive: null,
  serviceHours: [],
  identifiers: { blID: idText(location.blID), businessId: idText(business.businessId) },
  // The business is the POS account: its credentials reach every one of its locations.
  accountId: idText(business.businessId)
})

/** The businesses of a businesses answer, and each of their locations as an outlet (once each). */
export interface Businesses {
  /** Every business listed, by its businessId, with or without locations. */
  readonly businessIds: ReadonlyArray<string>
  readonly outlets: ReadonlyArray<OutletSnapshot>
}

/** Each business location of each business is one outlet, keyed by its blID. */
export const decodeBusinesses = (payload: unknown): Effect.Effect<Businesses, PayloadRejected> =>
  guardDecoder(
    Effect.gen(function* () {
      const { list, root } = yield* decodeList(payload)
      const outlets = new Map<string, { readonly outlet: OutletSnapshot; readonly path: string }>()
      for (const [b, business] of list.businessList.entries()) {
        for (const [l, location] of business.businessLocations.entries()) {
          const path = `${root}[${b}].businessLocations[${l}].blID`
          const outlet = outletOf(business, location)
          const seen = outlets.get(outlet.externalId)
          if (seen === undefined) outlets.set(outlet.externalId, { outlet, path })
          else if (!sameSnapshot(seen.outlet, outlet)) {
            return yield* PayloadRejected.one(
              path,
              `blID ${outlet.externalId} describes two different business locations (also at ${seen.path})`
            )
          }
        }
      }
      return {
        businessIds: [...new Set(list.businessList.map((business) => idText(business.businessId)))],
        outlets: [...outlets.values()].map((entry) => entry.outlet)
      }
    })
  )

/** The outlets of a pushed (or pulled) businesses answer. */
export const decodeOutlets = (payload: unknown): Effect.Effect<ReadonlyArray<OutletSnapshot>, PayloadRejected> =>
  Effect.map(decodeBusinesses(payload), (businesses) => businesses.outlets)
