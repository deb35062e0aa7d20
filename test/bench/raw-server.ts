import { randomUUID } from "node:crypto"
import { createServer } from "node:http"

/**
 * Baseline for the benchmarks: a bare node:http server answering every request with the same JSON
 * body and about the same headers as the service (content-type, content-length, x-request-id; Node
 * adds Date, Connection and Keep-Alive to both). No routing, no tenant, no key check.
 *
 * Env: PORT, BENCH_RAW_BODY (the body to send).
 */

const port = Number(process.env["PORT"] ?? "0")
const body = Buffer.from(process.env["BENCH_RAW_BODY"] ?? "{}", "utf8")
const contentLength = String(body.length)

const server = createServer((req, res) => {
  req.resume()
  res.writeHead(200, {
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
