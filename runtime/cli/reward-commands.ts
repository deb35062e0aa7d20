import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { type InvalidReward, removeReward, rewardRules, setReward } from "../../application/admin/rewards-admin.ts"
import { LoyaltyLedger } from "../../application/ports/loyalty-ledger.ts"
import { AdminError } from "./admin-errors.ts"
import { cliCaller, type Handle, tenantArgument, tenantLedger } from "./admin-services.ts"
import { cell, renderTable } from "./output.ts"

const rewardId = Argument.String("reward-id").pipe(
  Argument.withDescription(`The reward's id, as partners redeem it (${rewardRules.rewardId})`)
)

/** Each refused field as the flag or argument that gave it. */
const refusal = (error: InvalidReward) =>
  new AdminError({
    message: error.fields
      .map((field) => `${field === "rewardId" ? "the reward id" : `--${field}`} must be ${rewardRules[field]}`)
      .join("; ")
  })

const set = (handle: Handle) =>
  Command.make(
    "set",
    {
      tenant: tenantArgument,
      rewardId,
      name: Flag.String("name").pipe(Flag.withDescription("The reward's name, as partners show it")),
      points: Flag.Int("points").pipe(Flag.withDescription("What redeeming it costs, in points (at least 1)"))
    },
    (input) =>
      handle(
        Effect.gen(function* () {
          const { tenant, ledger } = yield* tenantLedger(input.tenant)
          const reward = yield* setReward(cliCaller, {
            tenantId: tenant.id,
            rewardId: input.rewardId,
            name: input.name,
            points: input.points
          }).pipe(Effect.provideService(LoyaltyLedger, ledger), Effect.catchTag("InvalidReward", refusal))
          const where =
            tenant.loyaltyUrl !== null ? " (note: this tenant uses a loyalty-service, which keeps its own rewards)" : ""
          yield* Console.log(
            `reward '${reward.rewardId}' set for tenant '${tenant.id}': ${cell(reward.name)}, ${reward.points} points${where}`
          )
        })
      )
  ).pipe(Command.withDescription("Add or change a reward of the embedded loyalty ledger"))

const list = (handle: Handle) =>
  Command.make("list", { tenant: tenantArgument }, (input) =>
    handle(
      Effect.gen(function* () {
        const { tenant, ledger } = yield* tenantLedger(input.tenant)
        const rewards = yield* ledger.rewards
        yield* Console.log(
          rewards.length === 0
            ? `no rewards for tenant '${tenant.id}'`
            : renderTable(
                ["REWARD", "NAME", "POINTS"],
                rewards.map((r) => [r.rewardId, cell(r.name), String(r.points)])
              )
        )
      })
    )
  ).pipe(Command.withDescription("List the rewards of a tenant's embedded loyalty ledger"))

const remove = (handle: Handle) =>
  Command.make("remove", { tenant: tenantArgument, rewardId }, (input) =>
    handle(
      Effect.gen(function* () {
        const { tenant, ledger } = yield* tenantLedger(input.tenant)
        yield* removeReward(cliCaller, { tenantId: tenant.id, rewardId: input.rewardId }).pipe(
          Effect.provideService(LoyaltyLedger, ledger),
          Effect.catchTag(
            "NotFound",
            () => new AdminError({ message: `tenant '${tenant.id}' has no reward '${input.rewardId}'` })
          )
        )
        yield* Console.log(`reward '${input.rewardId}' removed from tenant '${tenant.id}'`)
      })
    )
  ).pipe(Command.withDescription("Remove a reward (transactions that redeemed it keep their history)"))

export const rewardCommands = (handle: Handle) =>
  Command.make("reward").pipe(
    Command.withDescription("Manage the rewards of a tenant's embedded loyalty ledger"),
    Command.withSubcommands([set(handle), list(handle), remove(handle)])
  )
