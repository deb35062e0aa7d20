import type { LookupAddress, LookupOptions } from "node:dns"
import { type ClientRequest, request as httpRequest, type IncomingMessage } from "node:http"
import { request as httpsRequest } from "node:https"
import { isIP } from "node:net"
import { Effect, Option, Result } from "effect"
import { type Destination, type Resolver, resolveDestination } from "./destination.ts"

/**
 * One delivery attempt of a webhook over HTTP. The partner's server is a stranger to us: it may be
 * slow, never answer, answer forever or reset the connection, so every way it can go is an outcome
 * to record, never a failure of ours, and nothing it does can hold the sender longer than the time
 * limit or fill its memory.
 */

/** What one attempt came to. Exactly one of `status` and `error` is set. */
export interface WebhookOutcome {
  /** The answer's status, whatever it is: success is a 2xx, a redirect is not followed. */
  readonly status: number | null
  /** From the start (resolution included) to the answer's status line, or to the failure. */
  readonly latencyMs: number
  /** Why no answer came, in words: `timeout after 10000 ms`, `connection reset`, a refused destination. */
  readonly error: string | null
  /** The first `maxResponseBytes` of the answer's body as UTF-8 (a character cut in two is left out). */
  readonly responseBody: string
}

export const defaultTimeoutMs = 10_000
export const defaultMaxResponseBytes = 4096

export interface WebhookRequest {
  readonly url: string
  /** The Standard Webhooks headers and any others; Content-Type and Content-Length are the sender's. */
  readonly headers: Readonly<Record<string, string>>
  /** The bytes that were signed, sent as they are. */
  readonly body: string | Uint8Array
  readonly resolver: Resolver
  readonly allowLoopback: boolean
  /** The whole attempt, resolution included. */
  readonly timeoutMs?: number
  readonly maxResponseBytes?: number
}

/** Network failures in words; the codes are Node's (libuv's and OpenSSL's). */
const describeFailure = (error: Error & { readonly code?: string }): string => {
  const code = error.code ?? ""
  switch (code) {
    case "ECONNRESET":
    case "EPIPE":
      return "connection reset"
    case "ECONNREFUSED":
      return "connection refused"
    case "EHOSTUNREACH":
      return "host unreachable"
    case "ENETUNREACH":
      return "network unreachable"
    case "ETIMEDOUT":
      return "connection timed out"
  }
  if (/CERT|TLS|SSL|UNABLE_TO_|SELF_SIGNED/.test(code)) return `TLS: ${error.message}`
  if (code.startsWith("HPE_")) return `invalid HTTP answer: ${error.message}`
  return error.message.slice(0, 200) || code || "request failed"
}

/**
 * Node's `lookup` for the connection: always the checked address, so the socket cannot go anywhere a
 * fresh resolution would send it. Node asks for every address (`all`) when it may try several
 * families, and for one otherwise.
 */
const pinnedLookup =
  ({ address, family }: Destination) =>
  (
    _host: string,
    options: LookupOptions,
    callback: (error: NodeJS.ErrnoException | null, address: string | Array<LookupAddress>, family?: number) => void
  ) => {
    if (options.all === true) callback(null, [{ address, family }])
    else callback(null, address, family)
  }

const exchange = (
  destination: Destination,
  request: WebhookRequest,
  limits: { readonly timeoutMs: number; readonly maxResponseBytes: number; readonly remainingMs: number },
  elapsed: () => number
) =>
  Effect.callback<WebhookOutcome>((resume) => {
    const { url, host } = destination
    const body = typeof request.body === "string" ? Buffer.from(request.body, "utf8") : request.body
    const chunks: Array<Buffer> = []
    let received = 0
    let answer: { readonly status: number; readonly latencyMs: number } | undefined
    let settled = false
    let timer: ReturnType<typeof setTimeout> | undefined
    let outgoing: ClientRequest | undefined

    const settle = (error: string | null) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      // Whatever is still coming is not read: the socket goes with the request.
      outgoing?.destroy()
      const text = new TextDecoder().decode(Buffer.concat(chunks).subarray(0, limits.maxResponseBytes), {
        stream: true
      })
      resume(
        Effect.succeed(
          answer === undefined
            ? { status: null, latencyMs: elapsed(), error: error ?? "no answer", responseBody: "" }
            : // Once the status has come, a body cut short by a reset or the time limit is only a shorter body.
              { status: answer.status, latencyMs: answer.latencyMs, error: null, responseBody: text }
        )
      )
    }

    const onResponse = (response: IncomingMessage) => {
      answer = { status: response.statusCode ?? 0, latencyMs: elapsed() }
      response.on("data", (chunk: Buffer) => {
        chunks.push(chunk)
        received += chunk.length
        if (received >= limits.maxResponseBytes) settle(null)
      })
      response.on("end", () => settle(null))
      response.on("error", () => settle(null))
      response.on("close", () => settle(null))
    }

    const send = url.protocol === "https:" ? httpsRequest : httpRequest
    outgoing = send(
      {
        method: "POST",
        host,
        ...(url.port === "" ? {} : { port: Number(url.port) }),
        path: `${url.pathname}${url.search}`,
        headers: { ...request.headers, "content-type": "application/json", "content-length": body.byteLength },
        // A connection of its own, closed after the answer: never one pooled for another destination.
        agent: false,
        lookup: pinnedLookup(destination),
        // TLS checks the certificate against the URL's name, not the address connected to.
        ...(url.protocol === "https:" && isIP(host) === 0 ? { servername: host } : {})
      },
      onResponse
    )
    outgoing.on("error", (error) => settle(describeFailure(error)))
    timer = setTimeout(() => settle(`timeout after ${limits.timeoutMs} ms`), limits.remainingMs)
    outgoing.end(body)
    return Effect.sync(() => {
      settled = true
      clearTimeout(timer)
      outgoing?.destroy()
    })
  })

/**
 * POSTs the body to the URL: resolves it once with `resolveDestination` (a refused destination is an
 * outcome naming the range, and no connection is made), connects to the address that check answered
 * with the URL's name as Host and TLS server name, and reads at most `maxResponseBytes` of the answer.
 * Never fails: the time limit, resets, refusals and unknown hosts are outcomes.
 */
export const sendWebhook = Effect.fnUntraced(function* (request: WebhookRequest): Effect.fn.Return<WebhookOutcome> {
  const timeoutMs = request.timeoutMs ?? defaultTimeoutMs
  const maxResponseBytes = request.maxResponseBytes ?? defaultMaxResponseBytes
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  const failed = (error: string): WebhookOutcome => ({ status: null, latencyMs: elapsed(), error, responseBody: "" })
  const resolved = yield* resolveDestination(request.url, request).pipe(Effect.result, Effect.timeoutOption(timeoutMs))
  if (Option.isNone(resolved)) return failed(`timeout after ${timeoutMs} ms`)
  if (Result.isFailure(resolved.value)) {
    const failure = resolved.value.failure
    return failed(failure._tag === "DestinationRefused" ? `refused: ${failure.reason}` : failure.reason)
  }
  const remainingMs = Math.max(0, timeoutMs - (performance.now() - started))
  return yield* exchange(resolved.value.success, request, { timeoutMs, maxResponseBytes, remainingMs }, elapsed)
})
