import { Schema } from "effect"

/**
 * Value shapes shared by Atlas Kitchen's payloads. Atlas ids are integers (`"id": 8921`); money is
 * an integer in cents (`price_cents`); times of day are seconds from midnight; instants are unix
 * seconds (docs.atlas.kitchen, "Date and Time").
 */
export const AtlasId = Schema.Int

export const Cents = Schema.Int.pipe(
  Schema.check(Schema.isGreaterThanOrEqualTo(0, { message: "must be a non-negative amount in cents" }))
)

export const Count = Schema.Int.pipe(
  Schema.check(Schema.isGreaterThanOrEqualTo(0, { message: "must be a non-negative whole number" }))
)

/** A display name: a string with something in it, since the canonical snapshots need one. */
export const Name = Schema.String.pipe(Schema.check(Schema.isPattern(/\S/, { message: "must not be blank" })))

/** Optional text the docs mark as nullable (`description`, `uen`, ...). */
export const OptionalText = Schema.optionalKey(Schema.NullOr(Schema.String))

/** Seconds from midnight of the serving date (`service_start`, `timeslot_start`); up to a day past it. */
export const SecondsOfDay = Schema.Int.pipe(
  Schema.check(Schema.isBetween({ minimum: 0, maximum: 172_800 }, { message: "must be seconds from midnight" }))
)

/** Unix time in seconds (`event_at`, `created_at`). */
export const UnixSeconds = Schema.Int
