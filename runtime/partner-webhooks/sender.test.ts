import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { createServer as createTlsServer } from "node:https"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { getCACertificates, setDefaultCACertificates, type TLSSocket } from "node:tls"
import { Effect } from "effect"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { newWebhookSecret } from "../../domain/webhook-endpoint.ts"
import type { Resolver } from "./destination.ts"
import { sendWebhook, type WebhookRequest } from "./sender.ts"
import { signatureHeaders } from "./signing.ts"

interface Seen {
  readonly method: string | undefined
  readonly url: string | undefined
  readonly headers: IncomingMessage["headers"]
  readonly body: string
  readonly servername: string | false | null | undefined
}

interface Listening {
  readonly server: Server
  readonly port: number
  readonly seen: Array<Seen>
  /** Connections accepted, requests or not. */
  readonly connections: () => number
}

const servers: Array<Server> = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((done) => server.close(done))
  }
})

/** A server on 127.0.0.1 that records each request (once its body has come) and hands it to `answer`. */
const listening = async (
  answer: (req: IncomingMessage, res: ServerResponse) => void,
  server: Server = createServer()
): Promise<Listening> => {
  const seen: Array<Seen> = []
  let connections = 0
  server.on("connection", () => {
    connections += 1
  })
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const servername = (req.socket as Partial<TLSSocket>).servername
      seen.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        servername
      })
      answer(req, res)
    })
  })
  servers.push(server)
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  return { server, port: (server.address() as { port: number }).port, seen, connections: () => connections }
}

/** Answers `address` for every name, counting the calls. */
const pointing = (address: string) => {
  const resolver = Object.assign(
    async () => {
      resolver.calls += 1
      return [{ address, family: 4 as const }]
    },
    { calls: 0 }
  )
  return resolver
}

const body = '{"type":"order.created","data":{"id":"ord_1"}}'
const secret = newWebhookSecret()
const headers = { ...signatureHeaders({ id: "msg_1", timestamp: new Date(), body, secrets: [secret] }) }

const send = (url: string, options: Partial<WebhookRequest> = {}) =>
  Effect.runPromise(
    sendWebhook({ url, headers, body, resolver: pointing("127.0.0.1"), allowLoopback: true, ...options })
  )

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

describe("sendWebhook", () => {
  it("POSTs the body as JSON with the headers given, to the URL's path and query, and reads the answer", async () => {
    const { port, seen } = await listening((_req, res) => res.writeHead(200).end('{"ok":true}'))
    const outcome = await send(`http://127.0.0.1:${port}/hooks/pos?tenant=acme`)
    expect(outcome).toEqual({ status: 200, latencyMs: expect.any(Number), error: null, responseBody: '{"ok":true}' })
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0)
    expect(seen).toHaveLength(1)
    const [request] = seen
    expect(request).toMatchObject({ method: "POST", url: "/hooks/pos?tenant=acme", body })
    expect(request!.headers).toMatchObject({
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(body)),
      "webhook-id": "msg_1",
      "webhook-timestamp": headers["webhook-timestamp"],
      "webhook-signature": headers["webhook-signature"],
      host: `127.0.0.1:${port}`
    })
  })

  it("sends a byte body as it is, and uses its own Content-Type whatever the caller's headers say", async () => {
    const { port, seen } = await listening((_req, res) => res.writeHead(204).end())
    const bytes = new TextEncoder().encode('{"name":"Café"}')
    const outcome = await send(`http://127.0.0.1:${port}/`, {
      body: bytes,
      headers: { ...headers, "Content-Type": "text/plain" }
    })
    expect(outcome).toMatchObject({ status: 204, error: null, responseBody: "" })
    expect(seen[0]).toMatchObject({ body: '{"name":"Café"}' })
    expect(seen[0]!.headers["content-type"]).toBe("application/json")
    expect(seen[0]!.headers["content-length"]).toBe(String(bytes.byteLength))
  })

  it("keeps at most maxResponseBytes of the answer, 4096 by default, never half a character", async () => {
    const { port } = await listening((req, res) =>
      res.writeHead(200).end(req.url === "/accents" ? "é".repeat(100) : "x".repeat(10_000))
    )
    expect(await send(`http://127.0.0.1:${port}/`, { maxResponseBytes: 100 })).toMatchObject({
      status: 200,
      error: null,
      responseBody: "x".repeat(100)
    })
    expect((await send(`http://127.0.0.1:${port}/`)).responseBody).toBe("x".repeat(4096))
    expect((await send(`http://127.0.0.1:${port}/accents`, { maxResponseBytes: 5 })).responseBody).toBe("éé")
  })

  it("records a 500 as the status it is, with its body", async () => {
    const { port } = await listening((_req, res) => res.writeHead(500).end("database down"))
    expect(await send(`http://127.0.0.1:${port}/`)).toMatchObject({
      status: 500,
      error: null,
      responseBody: "database down"
    })
  })

  it("does not follow a redirect: a 302 is an outcome like any other non-2xx", async () => {
    const { port, seen } = await listening((_req, res) => res.writeHead(302, { location: "/elsewhere" }).end())
    expect(await send(`http://127.0.0.1:${port}/hooks`)).toMatchObject({ status: 302, error: null })
    await sleep(100)
    expect(seen.map((request) => request.url)).toEqual(["/hooks"])
  })

  it("gives up on a server that never answers when the time limit ends, and closes the connection", async () => {
    let closed = false
    const { port } = await listening((req) => {
      req.socket.on("close", () => {
        closed = true
      })
    })
    const outcome = await send(`http://127.0.0.1:${port}/`, { timeoutMs: 300 })
    expect(outcome).toMatchObject({ status: null, error: "timeout after 300 ms", responseBody: "" })
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(290)
    expect(outcome.latencyMs).toBeLessThan(2000)
    await sleep(100)
    expect(closed).toBe(true)
  })

  it("keeps the status of an answer whose body stalls, with the body so far, at the time limit", async () => {
    const { port } = await listening((_req, res) => {
      res.writeHead(200, { "content-length": "1000" })
      res.write("partial")
    })
    const started = Date.now()
    const outcome = await send(`http://127.0.0.1:${port}/`, { timeoutMs: 300 })
    expect(outcome).toMatchObject({ status: 200, error: null, responseBody: "partial" })
    expect(outcome.latencyMs).toBeLessThan(250)
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
  })

  it("records a connection the server destroys, or resets, as connection reset", async () => {
    const destroying = await listening((req) => req.socket.destroy())
    expect(await send(`http://127.0.0.1:${destroying.port}/`)).toMatchObject({
      status: null,
      error: "connection reset",
      responseBody: ""
    })
    const resetting = await listening(() => undefined)
    resetting.server.on("request", (req: IncomingMessage) => req.socket.resetAndDestroy())
    expect(await send(`http://127.0.0.1:${resetting.port}/`)).toMatchObject({ status: null, error: "connection reset" })
  })

  it("records a closed port as connection refused", async () => {
    const { server, port } = await listening(() => undefined)
    server.close()
    await sleep(50)
    expect(await send(`http://127.0.0.1:${port}/`)).toMatchObject({ status: null, error: "connection refused" })
  })

  it("stops reading a huge answer at the limit and closes the connection, so the server stops sending", async () => {
    let written = 0
    let closed: () => void = () => undefined
    const closedNow = new Promise<void>((done) => {
      closed = done
    })
    const { port } = await listening((_req, res) => {
      res.writeHead(200)
      res.on("close", closed)
      const chunk = "y".repeat(64 * 1024)
      // Writes as fast as the client takes it, up to 1 GB.
      const pump = () => {
        while (!res.destroyed && written < 1024 ** 3) {
          written += chunk.length
          if (!res.write(chunk)) return void res.once("drain", pump)
        }
      }
      pump()
    })
    const outcome = await send(`http://127.0.0.1:${port}/`)
    expect(outcome).toMatchObject({ status: 200, error: null })
    expect(outcome.responseBody).toBe("y".repeat(4096))
    await closedNow
    // What the socket buffers took before the client stopped, far from the gigabyte offered.
    expect(written).toBeLessThan(64 * 1024 * 1024)
  })

  it("makes no connection at all to a refused destination, and says which range refused it", async () => {
    const { port, connections } = await listening((_req, res) => res.end())
    const mixed: Resolver = async () => [
      { address: "127.0.0.1", family: 4 },
      { address: "10.0.0.1", family: 4 }
    ]
    expect(await send(`http://hooks.localhost:${port}/`, { resolver: mixed })).toMatchObject({
      status: null,
      error: "refused: hooks.localhost resolves to 10.0.0.1, a private address (10.0.0.0/8)",
      responseBody: ""
    })
    expect(await send(`https://hooks.partner.example:${port}/`, { allowLoopback: false })).toMatchObject({
      status: null,
      error: "refused: hooks.partner.example resolves to 127.0.0.1, a loopback address (127.0.0.0/8)"
    })
    expect(await send(`http://127.0.0.1:${port}/`, { allowLoopback: false })).toMatchObject({
      error: `refused: the URL must be an https URL, got "http://127.0.0.1:${port}/"`
    })
    await sleep(100)
    expect(connections()).toBe(0)
  })

  it("connects to the address checked, resolving once, whatever the name would resolve to later", async () => {
    const { port, seen } = await listening((_req, res) => res.end("ok"))
    let calls = 0
    // Rebinding: the first answer is fine, every later one points inside.
    const rebinding: Resolver = async () => {
      calls += 1
      return [{ address: calls === 1 ? "127.0.0.1" : "10.0.0.1", family: 4 }]
    }
    // A name the system cannot resolve: the request reaches the server only through the pinned address.
    const outcome = await send(`http://hooks.partner.localhost:${port}/in`, { resolver: rebinding })
    expect(outcome).toMatchObject({ status: 200, error: null, responseBody: "ok" })
    expect(calls).toBe(1)
    expect(seen[0]!.headers.host).toBe(`hooks.partner.localhost:${port}`)
    // The next attempt resolves afresh, and is refused before connecting.
    expect(await send(`http://hooks.partner.localhost:${port}/in`, { resolver: rebinding })).toMatchObject({
      error: "refused: hooks.partner.localhost resolves to 10.0.0.1, a private address (10.0.0.0/8)"
    })
    expect(seen).toHaveLength(1)
  })

  it("bounds a resolution that never ends by the same time limit, and says when a name does not resolve", async () => {
    const hanging: Resolver = () => new Promise(() => undefined)
    const outcome = await send("https://hooks.partner.example/", { resolver: hanging, timeoutMs: 300 })
    expect(outcome).toMatchObject({ status: null, error: "timeout after 300 ms" })
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(290)
    const unknown: Resolver = () =>
      Promise.reject(Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }))
    expect(await send("https://hooks.partner.example/", { resolver: unknown })).toMatchObject({
      status: null,
      error: "hooks.partner.example did not resolve (ENOTFOUND)"
    })
  })
})

/** A certificate for hooks.example, made for this run and trusted by this process's TLS clients meanwhile. */
const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

describe.skipIf(!hasOpenssl)("sendWebhook over https", () => {
  const dir = mkdtempSync(join(tmpdir(), "webhook-tls-"))
  const trusted = getCACertificates("default")
  let tls: { readonly key: string; readonly cert: string }
  beforeAll(() => {
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"],
        ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
        ...["-subj", "/CN=hooks.example", "-addext", "subjectAltName=DNS:hooks.example"]
      ],
      { stdio: "ignore" }
    )
    tls = { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") }
    setDefaultCACertificates([...trusted, tls.cert])
  })
  afterAll(() => {
    setDefaultCACertificates(trusted)
    rmSync(dir, { recursive: true, force: true })
  })

  it("connects to the pinned address with the URL's name as TLS server name and Host", async () => {
    const { port, seen } = await listening((_req, res) => res.end("secure"), createTlsServer(tls))
    const resolver = pointing("127.0.0.1")
    const outcome = await send(`https://hooks.example:${port}/in`, { resolver })
    expect(outcome).toMatchObject({ status: 200, error: null, responseBody: "secure" })
    expect(resolver.calls).toBe(1)
    expect(seen[0]).toMatchObject({ servername: "hooks.example", body })
    expect(seen[0]!.headers.host).toBe(`hooks.example:${port}`)
  })

  it("checks the certificate against the URL's name: another name on the same address fails TLS", async () => {
    const { port, seen } = await listening((_req, res) => res.end("secure"), createTlsServer(tls))
    const outcome = await send(`https://other.example:${port}/in`)
    expect(outcome).toMatchObject({ status: null, responseBody: "" })
    expect(outcome.error).toMatch(/^TLS: .*other\.example/)
    expect(seen).toHaveLength(0)
  })
})
