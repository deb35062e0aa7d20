import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import type { FakeServer } from "./fixtures.ts"

const listen = (server: Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port))
  })

const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })

/** A loopback URL on which nothing listens any more: a port that was just opened and closed. */
export const deadUrl = async (): Promise<string> => {
  const server = createServer()
  const port = await listen(server)
  await closeServer(server)
  return `http://127.0.0.1:${port}`
}

/** What a fake POS was asked. */
export interface SeenRequest {
  readonly method: string
  readonly url: string
}

/** A fake POS answering every request alike (a status, a body), recording what it was asked. */
export const answeringServer = async (
  status: number,
  body: string,
  contentType = "application/json"
): Promise<FakeServer & { readonly seen: ReadonlyArray<SeenRequest> }> => {
  const seen: Array<SeenRequest> = []
  const server = createServer((request: IncomingMessage, response) => {
    seen.push({ method: request.method ?? "", url: request.url ?? "" })
    request.resume()
    request.on("end", () => {
      response.writeHead(status, { "content-type": contentType })
      response.end(body)
    })
  })
  const port = await listen(server)
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server), seen }
}
