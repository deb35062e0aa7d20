import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { Effect } from "effect"
import { answerClientErrors } from "../http/client-errors.ts"

export interface DrainOutcome {
  /** Requests still unanswered when the grace ran out, whose connections were cut. */
  readonly cut: number
  readonly elapsedMs: number
}

export interface DrainingServer {
  readonly server: Server
  /**
   * Stops accepting connections, lets the requests in flight finish within `graceMs` (each
   * answered with `Connection: close`), closes keep-alive connections as soon as they are idle,
   * and when the grace runs out cuts whatever is left, so the process can close its storage.
   */
  readonly drain: (graceMs: number) => Effect.Effect<DrainOutcome>
}

/**
 * The service's Node HTTP server, with what `NodeHttpServer` leaves out of a clean stop.
 *
 * `server.close()` stops accepting and closes the keep-alive connections idle at that moment, but
 * a connection whose request is still running answers `Connection: keep-alive` and then sits idle
 * until `keepAliveTimeout`, holding the close open for seconds. So the server tracks responses in
 * flight: from the drain on they are sent with `Connection: close`, and a connection that goes idle
 * anyway (its response had started before) is closed at once.
 *
 * `requireHostHeader: false`: Node would otherwise answer an HTTP/1.1 request without `Host` with
 * its own bare 400 before any handler; our pipeline answers it instead (the envelope, a request id,
 * and for a tenant route the same 401 as an unknown tenant).
 */
export const makeDrainingServer = (): DrainingServer => {
  const server = answerClientErrors(createServer({ requireHostHeader: false }))
  const inFlight = new Set<ServerResponse>()
  let draining = false

  const closeIdleSoon = () => setImmediate(() => server.closeIdleConnections())

  // Prepended, so the bookkeeping happens before the Effect handler sees the request.
  const track = (_request: IncomingMessage, response: ServerResponse) => {
    inFlight.add(response)
    if (draining) response.shouldKeepAlive = false
    response.once("close", () => inFlight.delete(response))
    response.once("finish", () => {
      if (draining) closeIdleSoon()
    })
  }
  server.prependListener("request", track)
  server.prependListener("checkContinue", track)

  const drain = (graceMs: number): Effect.Effect<DrainOutcome> =>
    Effect.callback<DrainOutcome>((resume) => {
      const started = Date.now()
      let settled = false
      const settle = (cut: number) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resume(Effect.succeed({ cut, elapsedMs: Date.now() - started }))
      }
      draining = true
      for (const response of inFlight) {
        if (!response.headersSent) response.shouldKeepAlive = false
      }
      const timer = setTimeout(() => {
        const cut = inFlight.size
        server.closeAllConnections()
        settle(cut)
      }, graceMs)
      if (server.listening) {
        server.close(() => settle(0))
      } else {
        // Start-up stopped before the port opened, or the server is already closed.
        server.closeAllConnections()
        settle(0)
      }
    })

  return { server, drain }
}
