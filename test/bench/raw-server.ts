import { randomUUID } from "node:crypto"
import { readFileSync } from "node:fs"
import { createServer } from "node:http"

/**
 * Baseline for the benchmarks: a bare node:http server answering every request with the same JSON
 * body and about the same headers as the service (content-type, content-length, x-request-id; Node
 * adds Date, Connection and Keep-Alive to both). No routing, no tenant, no key check.
 *
 * Env: PORT, BENCH_RAW_BODY (the body to send) or BENCH_RAW_BODY_FILE (a file holding it); optionally BENCH_RAW_HEADERS (a JSON object of
 * more headers to send, e.g. the service's etag, vary and cache-control) and BENCH_RAW_ETAG (when a
 * request's If-None-Match is exactly this tag: 304 with the same headers and no body, as a
 * conditional answer of a body already hashed), and BENCH_RAW_STATUS (the status of the other answers,
 * 200 by default).
 */

const port = Number(process.env["PORT"] ?? "0")
const bodyFile = process.env["BENCH_RAW_BODY_FILE"]
const body =
  bodyFile === undefined ? Buffer.from(process.env["BENCH_RAW_BODY"] ?? "{}", "utf8") : readFileSync(bodyFile)
const contentLength = String(body.length)
const moreHeaders = JSON.parse(process.env["BENCH_RAW_HEADERS"] ?? "{}") as Record<string, string>
const etag = process.env["BENCH_RAW_ETAG"]
const status = Number(process.env["BENCH_RAW_STATUS"] ?? "200")

const server = createServer((req, res) => {
  req.resume()
  if (etag !== undefined && req.headers["if-none-match"] === etag) {
    res.writeHead(304, { ...moreHeaders, "x-request-id": randomUUID() })
    res.end()
    return
  }
  res.writeHead(status, {
    ...moreHeaders,
    "content-type": "application/json",
    "content-length": contentLength,
    "x-request-id": randomUUID()
  })
  res.end(body)
})

server.listen(port, "127.0.0.1")

const stop = () => {
  server.close(() => process.exit(0))
  server.closeAllConnections()
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
