import { Schema } from "effect"

/**
 * Deliverect's channel registration webhook (Channel API "Channel Registration"), sent when a
 * location registers, activates or deactivates the channel: one store per call.
 */
export const ChannelRegistration = Schema.Struct({
  status: Schema.Literals(["register", "active", "inactive"]),
  /** The store's id on the channel platform (the "External location ID" set in Deliverect). */
  channelLocationId: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** The store as Deliverect routes to it: orders and menus name it. */
  channelLinkId: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  locationId: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** The Deliverect account (the restaurant group) the location belongs to, when the payload names it. */
  accountId: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** The channel's name as displayed in Deliverect. */
  channelLinkName: Schema.optionalKey(Schema.NullOr(Schema.String))
})
export type ChannelRegistration = typeof ChannelRegistration.Type
