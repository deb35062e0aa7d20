import { createServer as createHttpServer } from "node:http"
import { createServer } from "node:net"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { StorageError } from "../domain/errors.ts"
import { describeFailure, redactUrls } from "./failures.ts"

/** What the HTTP server layer fails with when it cannot listen as configured. */
const listenFailure = (options: { readonly port: number; readonly host?: string }) =>
  Effect.runPromise(Effect.flip(Layer.build(NodeHttpServer.layer(createHttpServer, options)).pipe(Effect.scoped)))

describe("start-up failures in the operator's terms", () => {
  it("masks every URL's user and password in free text, whatever the password holds", () => {
    expect(redactUrls("connect postgres://app:p@ss/w@db:5432/x failed")).toBe("connect postgres://***@db:5432/x failed")
    expect(redactUrls("a http://u:pw@h and b https://v:qq@k")).toBe("a http://***@h and b https://***@k")
    expect(redactUrls("postgres://db/x?user=u&sslpassword=s&password=p")).toBe(
      "postgres://db/x?user=u&sslpassword=***&password=***"
    )
    expect(redactUrls("https://loyalty.example.com/v1")).toBe("https://loyalty.example.com/v1")
  })

  it("a database failure names the database's own reason, not the driver's wrapper", () => {
    const cause = { message: "PgConnection: Failed to connect", cause: new Error('database "globex" does not exist') }
    expect(describeFailure(new StorageError({ operation: "migrate control schema", cause }))).toBe(
      'migrate control schema: Failed to connect: database "globex" does not exist'
    )
  })

  it("a port already in use names the address", async () => {
    const taken = createServer()
    await new Promise<void>((done) => taken.listen(0, "127.0.0.1", done))
    const port = (taken.address() as { port: number }).port
    try {
      expect(describeFailure(await listenFailure({ port, host: "127.0.0.1" }))).toBe(
        `cannot open the HTTP port: listen EADDRINUSE: address already in use 127.0.0.1:${port}`
      )
    } finally {
      taken.close()
    }
  })

  it("a HOST that is not an address of this machine says so", async () => {
    expect(describeFailure(await listenFailure({ port: 0, host: "192.0.2.1" }))).toMatch(
      /^cannot open the HTTP port: listen EADDRNOTAVAIL: address not available 192\.0\.2\.1/
    )
  })
})
