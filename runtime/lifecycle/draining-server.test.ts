import { Agent, request } from "node:http"
import { connect } from "node:net"
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { type DrainingServer, makeDrainingServer } from "./draining-server.ts"

const servers: Array<DrainingServer> = []
afterEach(() => {
  for (const { server } of servers.splice(0)) server.closeAllConnections()
})

/** A draining server whose handler answers `/slow` after `slowMs` and anything else at once. */
const listening = async (slowMs: number) => {
  const drainable = makeDrainingServer()
  servers.push(drainable)
  drainable.server.on("request", (req, res) => {
    setTimeout(() => res.end(`answered ${req.url}`), req.url === "/slow" ? slowMs : 0)
  })
  await new Promise<void>((done) => drainable.server.listen(0, "127.0.0.1", done))
  return { ...drainable, port: (drainable.server.address() as { port: number }).port }
}

const get = (port: number, path: string, agent: Agent | false = false) =>
  new Promise<{ status: number; connection: string | undefined; body: string }>((done, fail) => {
    request({ host: "127.0.0.1", port, path, agent }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => {
        body += chunk
      })
      res.on("end", () => done({ status: res.statusCode ?? 0, connection: res.headers.connection, body }))
    })
      .on("error", fail)
      .end()
  })

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

describe("draining the HTTP server", () => {
  it("answers the request in flight on a keep-alive connection with Connection: close, and closes at once", async () => {
    const { server, drain, port } = await listening(400)
    const agent = new Agent({ keepAlive: true })
    // One connection left idle by an earlier request, one busy with a slow one.
    expect((await get(port, "/fast", agent)).connection).toBe("keep-alive")
    const slow = get(port, "/slow", new Agent({ keepAlive: true }))
    await sleep(100)
    const outcome = await Effect.runPromise(drain(5000))
    expect(await slow).toEqual({ status: 200, connection: "close", body: "answered /slow" })
    // Node's keepAliveTimeout (5 s) would otherwise have held the close open.
    expect(outcome.cut).toBe(0)
    expect(outcome.elapsedMs).toBeLessThan(2000)
    expect(server.listening).toBe(false)
    agent.destroy()
  })

  it("refuses new connections from the start of the drain", async () => {
    const { drain, port } = await listening(400)
    const slow = get(port, "/slow")
    await sleep(100)
    const drained = Effect.runPromise(drain(5000))
    await expect(get(port, "/fast")).rejects.toThrow(/ECONNREFUSED/)
    await slow
    await drained
  })

  it("cuts what is still running when the grace runs out, and says how many", async () => {
    const { drain, port } = await listening(60_000)
    const slow = get(port, "/slow")
    await sleep(100)
    const outcome = await Effect.runPromise(drain(300))
    expect(outcome.cut).toBe(1)
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(290)
    expect(outcome.elapsedMs).toBeLessThan(2000)
    await expect(slow).rejects.toThrow(/socket hang up|ECONNRESET/)
  })

  it("finishes at once when the server never listened", async () => {
    const { drain } = makeDrainingServer()
    expect(await Effect.runPromise(drain(5000))).toMatchObject({ cut: 0 })
  })

  it("lets an HTTP/1.1 request without a Host header through to the handler", async () => {
    const { port } = await listening(0)
    const answer = await new Promise<string>((done, fail) => {
      const socket = connect(port, "127.0.0.1", () =>
        socket.write("GET /no-host HTTP/1.1\r\nConnection: close\r\n\r\n")
      )
      let text = ""
      socket.setEncoding("utf8")
      socket.on("data", (chunk: string) => {
        text += chunk
      })
      socket.on("close", () => done(text))
      socket.on("error", fail)
    })
    expect(answer).toMatch(/^HTTP\/1\.1 200 /)
    expect(answer).toContain("answered /no-host")
  })
})
