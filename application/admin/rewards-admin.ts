/**
 * The rewards of a tenant's embedded loyalty ledger, as operators set and remove them through the
 * CLI or the admin API alike; each change is recorded in the audit log.
 */
import { Clock, Effect, Schema } from "effect"
import { NotFound } from "../../domain/errors.ts"
import type { Reward } from "../../domain/loyalty.ts"
import { LoyaltyLedger } from "../ports/loyalty-ledger.ts"
import { type AdminCaller, audit } from "./audit.ts"

/** What each field of a reward must be, in words both the CLI and the API quote. */
export const rewardRules = {
  rewardId: "1 to 128 characters of A-Z a-z 0-9 . _ : -",
  name: "1 to 200 characters (not only spaces)",
  points: "a whole number of at least 1"
} as const

export type RewardField = keyof typeof rewardRules

/** A reward id as partners redeem it: safe in a path and a log line. */
export const isRewardId = (raw: string): boolean => /^[A-Za-z0-9._:-]{1,128}$/.test(raw)

/** The fields that break their rule (see `rewardRules`); each surface words them its own way. */
export class InvalidReward extends Schema.TaggedError<InvalidReward>()("InvalidReward", {
  fields: Schema.Array(Schema.Literals(["rewardId", "name", "points"]))
}) {}

const describe = (reward: Reward) => `'${reward.name}', ${reward.points} points`

/** Adds or changes a reward (its name is trimmed); setting it as it is changes and records nothing. */
export const setReward = Effect.fnUntraced(function* (
  caller: AdminCaller,
  input: { readonly tenantId: string; readonly rewardId: string; readonly name: string; readonly points: number }
) {
  const name = input.name.trim()
  const fields: Array<RewardField> = [
    ...(isRewardId(input.rewardId) ? [] : ["rewardId" as const]),
    ...(name !== "" && name.length <= 200 ? [] : ["name" as const]),
    ...(Number.isSafeInteger(input.points) && input.points >= 1 ? [] : ["points" as const])
  ]
  if (fields.length > 0) return yield* new InvalidReward({ fields })
  const ledger = yield* LoyaltyLedger
  const reward: Reward = { rewardId: input.rewardId, name, points: input.points }
  const before = yield* ledger.reward(reward.rewardId)
  if (before !== undefined && before.name === reward.name && before.points === reward.points) return reward
  yield* ledger.setReward(reward, new Date(yield* Clock.currentTimeMillis))
  yield* audit(caller, {
    action: "reward.set",
    tenantId: input.tenantId,
    target: `reward ${reward.rewardId}`,
    summary:
      before === undefined
        ? `added reward '${reward.rewardId}' (${describe(reward)})`
        : `changed reward '${reward.rewardId}' from (${describe(before)}) to (${describe(reward)})`
  })
  return reward
})

/** Removes a reward (transactions that redeemed it keep their history); NotFound when there is none. */
export const removeReward = Effect.fnUntraced(function* (
  caller: AdminCaller,
  input: { readonly tenantId: string; readonly rewardId: string }
) {
  const ledger = yield* LoyaltyLedger
  const before = isRewardId(input.rewardId) ? yield* ledger.reward(input.rewardId) : undefined
  if (before === undefined || !(yield* ledger.removeReward(before.rewardId))) {
    return yield* new NotFound({ resource: "reward", id: input.rewardId })
  }
  yield* audit(caller, {
    action: "reward.remove",
    tenantId: input.tenantId,
    target: `reward ${before.rewardId}`,
    summary: `removed reward '${before.rewardId}' (${describe(before)})`
  })
  return before
})
