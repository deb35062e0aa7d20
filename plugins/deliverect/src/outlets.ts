import { decodePayload, type OutletSnapshot, PayloadRejected } from "@pos-integration/sdk"
import { Effect, Schema } from "effect"
import { Problems } from "./problems.ts"
import { ChannelRegistration } from "./registration-schema.ts"

const Registrations = Schema.Array(ChannelRegistration)

const nonEmpty = (value: string | null | undefined): value is string =>
  value !== undefined && value !== null && value !== ""

/**
 * The registration names no store: its channelLinkName is the channel link's display name, the
 * best name there is (the channelLinkId when absent). Only "inactive" deactivates.
 */
const toOutlet = (registration: ChannelRegistration): OutletSnapshot => {
  const identifiers: Record<string, string> = { channelLinkId: registration.channelLinkId }
  if (nonEmpty(registration.locationId)) identifiers["locationId"] = registration.locationId
  if (nonEmpty(registration.channelLocationId)) identifiers["channelLocationId"] = registration.channelLocationId
  return {
    externalId: registration.channelLinkId,
    name: nonEmpty(registration.channelLinkName) ? registration.channelLinkName : registration.channelLinkId,
    active: registration.status !== "inactive",
    currency: null,
    timezone: null,
    country: null,
    address: null,
    postalCode: null,
    phone: null,
    taxInclusive: null,
    serviceHours: [],
    identifiers,
    accountId: nonEmpty(registration.accountId) ? registration.accountId : null
  }
}

/** One registration or a list of them; a store listed twice must be listed the same way. */
export const decodeOutlets = (payload: unknown): Effect.Effect<ReadonlyArray<OutletSnapshot>, PayloadRejected> =>
  Effect.gen(function* () {
    if (!Array.isArray(payload)) return [toOutlet(yield* decodePayload(ChannelRegistration)(payload))]
    if (payload.length === 0) return yield* PayloadRejected.one("(root)", "an empty list names no channel link")
    const registrations = yield* decodePayload(Registrations)(payload)
    const problems = new Problems()
    const seen = new Map<string, { readonly json: string; readonly index: number }>()
    const outlets: Array<OutletSnapshot> = []
    registrations.forEach((registration, index) => {
      const outlet = toOutlet(registration)
      const json = JSON.stringify(outlet)
      const first = seen.get(outlet.externalId)
      if (first === undefined) {
        seen.set(outlet.externalId, { json, index })
        outlets.push(outlet)
      } else if (first.json !== json) {
        problems.add(
          `[${index}].channelLinkId`,
          `channel link ${outlet.externalId} is also described at [${first.index}], differently: one id, two stores`
        )
      }
    })
    if (!problems.isEmpty) return yield* problems.rejection()
    return outlets
  })
