import { createServer, type Server } from "node:http"
import { connect } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { answerClientErrors } from "./client-errors.ts"

let server: Server
let port: number
beforeAll(async () => {
  server = answerClientErrors(createServer((_req, res) => res.end("ok")))
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  port = (server.address() as { port: number }).port
})
afterAll(() => new Promise<void>((done) => server.close(() => done())))

/** Sends raw bytes and collects everything the server answers until it closes. */
const raw = (request: string) =>
  new Promise<string>((done, fail) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(request))
    let answer = ""
    socket.setEncoding("utf8")
    socket.on("data", (chunk: string) => {
      answer += chunk
    })
    socket.on("close", () => done(answer))
    socket.on("error", fail)
  })

const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)) as unknown

describe("requests the HTTP parser refuses", () => {
  it("a header block over the limit gets a 431 envelope with a request id", async () => {
    const answer = await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`)
    expect(answer).toMatch(/^HTTP\/1\.1 431 /)
    expect(answer).toMatch(/x-request-id: [0-9a-f-]{36}\r\n/)
    expect(bodyOf(answer)).toEqual({
      error: {
        code: 431,
        message: "request header fields too large",
        details: "the request headers exceed the server's limit"
      }
    })
  })

  it("a malformed Content-Length gets a 400 envelope", async () => {
    const answer = await raw("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
    expect(answer).toContain("content-type: application/json")
    expect(bodyOf(answer)).toEqual({
      error: { code: 400, message: "invalid request", details: "the HTTP request could not be parsed" }
    })
  })

  it("a well-formed request is untouched", async () => {
    const answer = await raw("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    expect(answer).toMatch(/^HTTP\/1\.1 200 /)
  })
})
