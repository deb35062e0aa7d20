import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { AdminError } from "./admin-errors.ts"
import { type Handle, tenantArgument, tenantLedger } from "./admin-services.ts"
import { cell, renderTable } from "./output.ts"

const rewardId = Argument.String("reward-id").pipe(
  Argument.withDescription("The reward's id, as partners redeem it (1 to 128 characters of A-Z a-z 0-9 . _ : -)")
)

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
          if (!/^[A-Za-z0-9._:-]{1,128}$/.test(input.rewardId)) {
            return yield* new AdminError({ message: "a reward id is 1 to 128 characters of A-Z a-z 0-9 . _ : -" })
          }
          const name = input.name.trim()
          if (name === "" || name.length > 200) {
            return yield* new AdminError({ message: "--name must be 1 to 200 characters" })
          }
          if (!Number.isSafeInteger(input.points) || input.points < 1) {
            return yield* new AdminError({ message: "--points must be a whole number of at least 1" })
          }
          const { tenant, ledger } = yield* tenantLedger(input.tenant)
          yield* ledger.setReward({ rewardId: input.rewardId, name, points: input.points }, new Date())
          const where =
            tenant.loyaltyUrl !== null ? " (note: this tenant uses a loyalty-service, which keeps its own rewards)" : ""
          yield* Console.log(
            `reward '${input.rewardId}' set for tenant '${tenant.id}': ${cell(name)}, ${input.points} points${where}`
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
        if (!(yield* ledger.removeReward(input.rewardId))) {
          return yield* new AdminError({ message: `tenant '${tenant.id}' has no reward '${input.rewardId}'` })
        }
        yield* Console.log(`reward '${input.rewardId}' removed from tenant '${tenant.id}'`)
      })
    )
  ).pipe(Command.withDescription("Remove a reward (transactions that redeemed it keep their history)"))

export const rewardCommands = (handle: Handle) =>
  Command.make("reward").pipe(
    Command.withDescription("Manage the rewards of a tenant's embedded loyalty ledger"),
    Command.withSubcommands([set(handle), list(handle), remove(handle)])
  )
