import { randomUUID } from "node:crypto"
import type { Server } from "node:http"
import type { Duplex } from "node:stream"
import { envelopeJson } from "./errors.ts"

/**
 * Requests Node's HTTP parser refuses before any route sees them (a header block over 16 KB, a
 * malformed request line or Content-Length) still get the envelope and a request id, not Node's
 * bare `400 Bad Request`.
 */
export const answerClientErrors = (server: Server): Server =>
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || (error.code === "ECONNRESET" && socket.destroyed)) {
      socket.destroy()
      return
    }
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW"
    const status = tooLarge ? 431 : 400
    const body = tooLarge
      ? envelopeJson(431, "request header fields too large", "the request headers exceed the server's limit")
      : envelopeJson(400, "invalid request", "the HTTP request could not be parsed")
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? "Request Header Fields Too Large" : "Bad Request"}\r\n` +
        "content-type: application/json\r\n" +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${randomUUID()}\r\n` +
        "connection: close\r\n\r\n" +
        body
    )
  })
