import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Cause, Effect, Exit, Option, Schema, type Scope } from "effect"
import type { Loyalty, LoyaltyError } from "../../application/ports/loyalty.ts"
import type { LoyaltyMember, LoyaltyTransaction, Reward } from "../../domain/loyalty.ts"

/**
 * The loyalty-service of SPEC section 11 as a real HTTP server on loopback, answering from any `Loyalty`
 * backend (given the embedded ledger it behaves like the real thing), with faults injected on demand
 * and every call recorded, so that clients are tested over real sockets.
 */

export type Fault =
  | { readonly _tag: "None" }
  | { readonly _tag: "Delay"; readonly ms: number }
  | { readonly _tag: "Reset" }
  | { readonly _tag: "Status"; readonly status: 500 | 503 }
  | { readonly _tag: "Garbage" }
  | { readonly _tag: "Unauthorized" }
  /** Any status and body, for answers the contract does not foresee. */
  | { readonly _tag: "Raw"; readonly status: number; readonly body: string }

/** `path` as received (URL-encoded, prefix included); `body` parsed if JSON, undefined if empty. */
export interface RecordedCall {
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
  readonly idempotencyKey: string | undefined
  /** The W3C trace context the caller sent on (our trace continued). */
  readonly traceparent: string | undefined
  readonly body: unknown
}

export interface LoyaltySimulator {
  /** Base URL to give the client: origin plus the prefix. */
  readonly url: string
  readonly calls: ReadonlyArray<RecordedCall>
  /** Requests received whose connection is still open: a client that gave up leaves none. */
  readonly inFlight: () => number
  /** Applies to every call from now on, or to the next `calls` calls only. */
  readonly setFault: (fault: Fault, options?: { readonly calls?: number }) => void
  readonly clearCalls: () => void
  readonly stop: () => Promise<void>
}

export interface LoyaltySimulatorOptions {
  readonly backend: Loyalty
  readonly credential: string
  /** A path prefix the service is mounted under, such as "/loyalty". */
  readonly prefix?: string
}

const EarnBody = Schema.Struct({
  customerId: Schema.NonEmptyString,
  amount: Schema.Int,
  currency: Schema.String,
  orderId: Schema.optionalKey(Schema.NullOr(Schema.String))
})
const RedeemBody = Schema.Union([
  Schema.Struct({ customerId: Schema.NonEmptyString, rewardId: Schema.NonEmptyString }),
  Schema.Struct({ customerId: Schema.NonEmptyString, points: Schema.Int })
])

type Answer = { readonly status: number; readonly body: unknown }

const envelope = (code: number, message: string, details: string): Answer => ({
  status: code,
  body: { error: { code, message, details } }
})

const errorAnswer = (error: LoyaltyError): Answer => {
  switch (error._tag) {
    case "NotFound":
      return envelope(404, `${error.resource} not found`, `no ${error.resource} with id '${error.id}'`)
    case "InsufficientPoints":
      return envelope(409, "insufficient points", `balance ${error.balance}, required ${error.required}`)
    case "Rejected":
      return envelope(error.status, error.message, error.details)
    case "RefCodeConflict":
      return envelope(409, "refcode conflict", `Idempotency-Key '${error.refCode}' was used for another request`)
    default:
      return envelope(500, "internal error", error._tag)
  }
}

const run = async <A>(effect: Effect.Effect<A, LoyaltyError>, encode: (a: A) => unknown): Promise<Answer> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return { status: 200, body: encode(exit.value) }
  return Option.match(Cause.findErrorOption(exit.cause), {
    onNone: () => envelope(500, "internal error", "defect"),
    onSome: errorAnswer
  })
}

const statusMessages = { 500: "internal error", 503: "temporarily unavailable" } as const
const invalid = (details: string): Answer => envelope(400, "invalid request", details)
const memberBody = ({ customerId, points, tier }: LoyaltyMember) => ({ customerId, points, tier })
const transactionsBody = (ts: ReadonlyArray<LoyaltyTransaction>) => ({
  data: ts.map((t) => ({ ...t, createdAt: t.createdAt.toISOString() }))
})
const rewardsBody = (rs: ReadonlyArray<Reward>) => ({
  data: rs.map(({ rewardId, name, points }) => ({ rewardId, name, points }))
})

const route = async (backend: Loyalty, method: string, path: string, body: unknown, refCode?: string) => {
  const member = /^\/v1\/members\/([^/]+)(\/transactions)?$/.exec(path)
  if (method === "GET" && member !== null) {
    const customerId = decodeURIComponent(member[1]!)
    return member[2]
      ? run(backend.transactions(customerId), transactionsBody)
      : run(backend.member(customerId), memberBody)
  }
  if (method === "GET" && path === "/v1/rewards") return run(backend.rewards, rewardsBody)
  if (method !== "POST" || (path !== "/v1/points/earn" && path !== "/v1/points/redeem"))
    return envelope(404, "not found", `no route ${method} ${path}`)
  if (refCode === undefined || refCode === "") return invalid("Idempotency-Key is required")
  if (path.endsWith("/earn")) {
    const earn = Schema.decodeUnknownOption(EarnBody)(body)
    if (Option.isNone(earn)) return invalid("invalid earn body")
    return run(backend.earn({ ...earn.value, orderId: earn.value.orderId ?? null, refCode }), (r) => r)
  }
  const redeem = Schema.decodeUnknownOption(RedeemBody)(body)
  if (Option.isNone(redeem)) return invalid("invalid redeem body")
  return run(backend.redeem({ ...redeem.value, refCode }), (r) => r)
}

const decodeJson = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Unknown))
const parse = (text: string): unknown => (text === "" ? undefined : Option.getOrElse(decodeJson(text), () => text))

const sendText = (res: ServerResponse, status: number, text: string) =>
  res.destroyed || res.writeHead(status, { "content-type": "application/json" }).end(text)
const send = (res: ServerResponse, answer: Answer) => sendText(res, answer.status, JSON.stringify(answer.body))

export const startLoyaltySimulator = async (options: LoyaltySimulatorOptions): Promise<LoyaltySimulator> => {
  const prefix = (options.prefix ?? "").replace(/\/+$/, "")
  const calls: Array<RecordedCall> = []
  let fault: Fault = { _tag: "None" }
  let remaining = Infinity
  let inFlight = 0

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? "GET"
    const path = (req.url ?? "/").split("?")[0]!
    let text = ""
    for await (const chunk of req) text += chunk
    const body = parse(text)
    const [authorization, refCode] = [req.headers.authorization, req.headers["idempotency-key"] as string | undefined]
    const traceparent = req.headers.traceparent as string | undefined
    calls.push({ method, path, authorization, idempotencyKey: refCode, traceparent, body })
    const current = fault
    if (--remaining <= 0) fault = { _tag: "None" }
    switch (current._tag) {
      case "Reset":
        return req.socket.destroy()
      case "Status":
        return send(res, envelope(current.status, statusMessages[current.status], "injected fault"))
      case "Unauthorized":
        return send(res, envelope(401, "invalid api key", "injected fault"))
      case "Garbage":
        return sendText(res, 200, "<html><body>502 Bad Gateway</body></html>")
      case "Raw":
        return sendText(res, current.status, current.body)
      case "Delay":
        // Unreferenced, so that a delay still pending never holds the process open after stop.
        await new Promise((resolve) => setTimeout(resolve, current.ms).unref())
    }
    if (authorization !== `Bearer ${options.credential}`)
      return send(res, envelope(401, "invalid api key", "missing or wrong bearer credential"))
    if (!path.startsWith(`${prefix}/`)) return send(res, envelope(404, "not found", `no route ${path}`))
    send(res, await route(options.backend, method, path.slice(prefix.length), body, refCode))
  }

  const server = createServer((req, res) => {
    inFlight++
    res.on("close", () => inFlight--)
    handle(req, res).catch(() => send(res, envelope(500, "internal error", "simulator failure")))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    calls,
    inFlight: () => inFlight,
    setFault: (next, opts) => {
      fault = next
      remaining = opts?.calls ?? Infinity
    },
    clearCalls: () => void calls.splice(0),
    stop: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    }
  }
}

/** The simulator as a scoped resource: stopped when the scope closes. */
export const loyaltySimulator = (
  options: LoyaltySimulatorOptions
): Effect.Effect<LoyaltySimulator, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startLoyaltySimulator(options)),
    (simulator) => Effect.promise(() => simulator.stop())
  )
