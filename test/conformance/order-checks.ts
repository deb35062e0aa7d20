/**
 * The order checks (plugins declaring `orders`, and `cancel`): each call runs once against a fresh
 * fake of the vendor's order API answering one way (`FakeOrderAnswer`), and must end in the typed
 * outcome that answer means, after exactly one order request: the runtime retries a delivery and
 * bounds every POS call with its own deadline, so a plugin never retries or times out by itself.
 * No string of the credentials may show in the failure or in anything logged.
 */
import type { PosCredentials, PosPlugin } from "@pos-integration/sdk"
import { Effect, Fiber, Option } from "effect"
import { expect } from "vitest"
import { testCallContext } from "./call-context.ts"
import { credentialStrings } from "./canary.ts"
import type { ConformanceFixtures, FakeOrderAnswer, FakeOrderServer, OrderFixture } from "./fixtures.ts"
import { expectNoLeak } from "./leak-checks.ts"
import { classify, describeOutcome, expectFailure, expectSuccess, type Observed, type Outcome, observe } from "./run.ts"

/** How long a call against a fake that never answers runs before the kit interrupts it, as the runtime's deadline would. */
export const hangDeadlineMs = 1_500

/** Calls against fakes that answer at once are bounded too, so that a call that never ends fails saying so. */
const answerDeadlineMs = 10_000

/** How long an interrupted call may take to stop. */
const stopWithinMs = 1_000

/** Credential strings this long or longer are looked for in output. */
const minCredentialLength = 6

/** What the fake's answers look like, for test names and messages. */
export const answerText: Readonly<Record<FakeOrderAnswer, string>> = {
  accept: "a POS taking it",
  duplicate: "a POS that already has it (its duplicate answer)",
  reject: "a POS refusing it",
  unavailable: "a POS answering 5xx",
  hang: "a POS that never answers",
  reset: "a POS resetting the connection"
}

export const submitAnswers: ReadonlyArray<FakeOrderAnswer> = [
  "accept",
  "duplicate",
  "reject",
  "unavailable",
  "hang",
  "reset"
]
/** The answers a cancellation is tried against. */
export type CancelAnswer = Extract<FakeOrderAnswer, "accept" | "reject" | "unavailable">
export const cancelAnswers: ReadonlyArray<CancelAnswer> = ["accept", "reject", "unavailable"]

/** What a call ended in: its outcome, or the kit's deadline (and whether the call then stopped when interrupted). */
type Bounded<A, E> =
  | { readonly _tag: "ended"; readonly outcome: Outcome<A, E> }
  | { readonly _tag: "deadline"; readonly stopped: boolean }

interface BoundedCall<A, E> {
  readonly result: Bounded<A, E>
  /** For the leak check: what the call showed (its failure or value) and everything it logged. */
  readonly observed: Observed<unknown, unknown>
}

/**
 * Runs the call in a fiber of its own and waits for it up to `deadlineMs`; at the deadline it is
 * interrupted, as the runtime's deadline interrupts it, and given `stopWithinMs` to stop.
 */
const boundedCall = async <A, E>(make: () => Effect.Effect<A, E>, deadlineMs: number): Promise<BoundedCall<A, E>> => {
  const observed = await observe(() =>
    Effect.gen(function* () {
      const fiber = yield* Effect.forkDetach(Effect.suspend(make))
      const joined = yield* Effect.timeoutOption(Effect.exit(Fiber.join(fiber)), deadlineMs)
      if (Option.isSome(joined)) return { _tag: "joined" as const, exit: joined.value }
      const stopped = yield* Effect.timeoutOption(Fiber.interrupt(fiber), stopWithinMs)
      return { _tag: "deadline" as const, stopped: Option.isSome(stopped) }
    })
  )
  const ran = expectSuccess(observed.outcome, "the kit's bounded call")
  if (ran._tag === "deadline") return { result: ran, observed }
  const outcome = classify(ran.exit)
  return { result: { _tag: "ended", outcome }, observed: { outcome, output: observed.output } }
}

/** The outcome of a call that must end before the deadline. */
const ended = <A, E>(call: BoundedCall<A, E>, what: string): Outcome<A, E> => {
  if (call.result._tag === "deadline") {
    return expect.fail(
      `${what}: no outcome within ${answerDeadlineMs} ms, against a fake that answers at once${
        call.result.stopped ? "" : " (and it did not stop when interrupted)"
      }`
    )
  }
  return call.result.outcome
}

/** Starts the fixture's fake for one answer, runs `use`, and closes it whatever happens. */
const withOrderServer = async <A>(
  fixture: OrderFixture<unknown, unknown>,
  answer: FakeOrderAnswer,
  use: (server: FakeOrderServer) => Promise<A>
): Promise<A> => {
  const server = await fixture.start(answer)
  try {
    return await use(server)
  } finally {
    await server.close()
  }
}

const expectOneRequest = (server: FakeOrderServer, what: string) => {
  const count = server.orderRequests()
  if (count === 1) return
  expect.fail(
    count === 0
      ? `${what}: the fake received no order request: the plugin must send the call once`
      : `${what}: the fake received ${count} order requests, expected exactly one: the runtime retries a delivery (and bounds it with its deadline), a plugin never retries by itself`
  )
}

/**
 * No string of the credentials (at least 6 characters, ids and names too; base URLs aside, their
 * password included), those given and those the vault holds after the call (a fresh access token),
 * shows in the call's failure or value or in anything it logged. A value the outlet, the account
 * id or the order also carries is data, not a secret, and may show (a channel link id in a path).
 */
const expectNoCredential = <Outlet, Account>(
  observed: Observed<unknown, unknown>,
  fixture: OrderFixture<Outlet, Account>,
  credentials: ReadonlyArray<PosCredentials<Outlet, Account>>,
  what: string
) => {
  const data = JSON.stringify([fixture.outlet, fixture.accountId, fixture.order])
  const strings = credentials
    .flatMap((c) => credentialStrings(c, minCredentialLength))
    .filter(({ value }) => !data.includes(value))
  const unique = strings.filter((s, i) => strings.findIndex((t) => t.value === s.value) === i)
  expectNoLeak(
    observed,
    unique.map((s) => s.value),
    unique.map((s) => s.path),
    what
  )
}

const contextFor = <Outlet, Account>(fixture: OrderFixture<Outlet, Account>, server: FakeOrderServer) =>
  testCallContext({
    credentials: fixture.credentials(server.url),
    outlet: fixture.outlet,
    accountId: fixture.accountId
  })

const checkSubmitted = (
  result: Outcome<unknown, unknown>,
  answer: "accept" | "duplicate",
  expectedId: string | null,
  what: string,
  duplicateLikeSuccess = false
) => {
  const submitted = expectSuccess(result, what) as { posOrderId: unknown; duplicate: unknown }
  // A vendor whose duplicate answer is its success answer leaves the plugin nothing to tell them apart by.
  const expectDuplicate = answer === "duplicate" && !duplicateLikeSuccess
  if (submitted.duplicate !== expectDuplicate) {
    expect.fail(
      expectDuplicate
        ? `${what}: answered duplicate: ${String(submitted.duplicate)}; the vendor's duplicate answer means an earlier attempt delivered the order: answer duplicate: true`
        : `${what}: answered duplicate: ${String(submitted.duplicate)}; a new order taken is duplicate: false`
    )
  }
  const id = submitted.posOrderId
  expect(id === null || typeof id === "string", `${what}: posOrderId is a string or null`).toBe(true)
  // A vendor's duplicate answer may not carry its id; when the plugin answers one, it is the fake's.
  if (expectedId !== null && (answer === "accept" || id !== null)) {
    expect(id, `${what}: the POS order id the fake answered`).toBe(expectedId)
  }
}

/**
 * submitOrder, once, against a fresh fake answering `answer`: accept is a success (not a
 * duplicate, the fake's order id), duplicate a success marked `duplicate: true`, reject a
 * PosRejected with a reason, unavailable and reset a PosUnavailable; against a fake that never
 * answers, the call runs until the kit's deadline interrupts it (or ends in a PosUnavailable). Never
 * a defect; exactly one order request, the order's refCode (the vendor's idempotency key) in its
 * body; no credential in the failure or the logs.
 */
export const checkSubmit = async <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  fixture: OrderFixture<Outlet, Account>,
  answer: FakeOrderAnswer
) => {
  const what = `submitOrder against ${answerText[answer]}`
  await withOrderServer(fixture as OrderFixture<unknown, unknown>, answer, async (server) => {
    const context = contextFor(fixture, server)
    const deadline = answer === "hang" ? hangDeadlineMs : answerDeadlineMs
    const call = await boundedCall(() => plugin.submitOrder(fixture.order, context), deadline)
    if (answer === "hang") {
      if (call.result._tag === "deadline") {
        if (!call.result.stopped) {
          expect.fail(
            `${what}: interrupted at the deadline (${hangDeadlineMs} ms), the call did not stop within ${stopWithinMs} ms: the runtime's deadline interrupts every POS call, so none may run uninterruptibly`
          )
        }
      } else if (!isTagged(call.result.outcome, "PosUnavailable")) {
        expect.fail(
          `${what}: expected no outcome before the deadline (${hangDeadlineMs} ms) or a PosUnavailable, got ${describeOutcome(call.result.outcome)}`
        )
      }
    } else {
      const result = ended(call, what)
      if (answer === "accept" || answer === "duplicate")
        checkSubmitted(result, answer, fixture.posOrderId, what, fixture.duplicateAnswer === "like-success")
      else if (answer === "reject") expectReason(expectFailure(result, "PosRejected", what), what)
      else expectFailure(result, "PosUnavailable", what)
    }
    expectOneRequest(server, what)
    const body = server.orderBodies()[0] ?? ""
    expect(
      body.includes(fixture.order.refCode),
      `${what}: the order request's body carries the order's refCode (${fixture.order.refCode}), the vendor's idempotency key`
    ).toBe(true)
    expectNoCredential(call.observed, fixture, [context.credentials, context.stored()], what)
  })
}

/**
 * cancelOrder, once, with the order's refCode and the fake's order id, against a fresh fake
 * answering `answer`: accept is a success, reject a PosRejected with a reason, unavailable a
 * PosUnavailable. Never a defect; exactly one order request; no credential shown.
 */
export const checkCancel = async <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  fixture: OrderFixture<Outlet, Account>,
  answer: CancelAnswer
) => {
  const what = `cancelOrder against ${answerText[answer]}`
  await withOrderServer(fixture as OrderFixture<unknown, unknown>, answer, async (server) => {
    const context = contextFor(fixture, server)
    const cancellation = { refCode: fixture.order.refCode, posOrderId: fixture.posOrderId, reason: "customer request" }
    const call = await boundedCall(() => plugin.cancelOrder(cancellation, context), answerDeadlineMs)
    const result = ended(call, what)
    if (answer === "accept") expectSuccess(result, what)
    else if (answer === "reject") expectReason(expectFailure(result, "PosRejected", what), what)
    else expectFailure(result, "PosUnavailable", what)
    expectOneRequest(server, what)
    expectNoCredential(call.observed, fixture, [context.credentials, context.stored()], what)
  })
}

const isTagged = (result: Outcome<unknown, unknown>, tag: string): boolean =>
  result._tag === "failure" &&
  typeof result.error === "object" &&
  result.error !== null &&
  (result.error as { _tag?: unknown })._tag === tag

const expectReason = (error: unknown, what: string) => {
  const reason = (error as { reason?: unknown }).reason
  expect(typeof reason === "string" && reason.trim() !== "", `${what}: PosRejected says why (a non-empty reason)`).toBe(
    true
  )
}

/** The fixture's order section, or a failure saying what to add: required with `orders` or `cancel`. */
export const requireOrderFixture = <Outlet, Account>(
  plugin: PosPlugin<Outlet, Account>,
  fixtures: ConformanceFixtures<Outlet, Account>
): OrderFixture<Outlet, Account> => {
  if (fixtures.orders !== undefined) return fixtures.orders
  const declared = plugin.manifest.capabilities.filter((c) => c === "orders" || c === "cancel").join("` and `")
  return expect.fail(
    [
      `the manifest declares \`${declared}\`, but the fixtures have no \`orders\` section. Add`,
      "  orders: { start(answer), credentials(url), outlet, accountId, order, posOrderId }",
      "(OrderFixture): `start` runs a fake of your vendor's order API on loopback answering every order request",
      `as \`answer\` says (${submitAnswers.join(", ")}) and counting them (orderRequests, orderBodies);`,
      "`credentials(url)` reach it; `order` is a PosOrder whose lines carry POS codes your vendor knows;",
      "`posOrderId` is the id the fake answers, or null."
    ].join("\n")
  )
}
