import type { ChildProcess } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freePort, runAdminProcess, spawnService, statusOf } from "../../test/support/processes.ts"
import { endpointFileName, localCliPath } from "../http/local-admin.ts"

/**
 * The admin CLI beside a running embedded service, both as real processes (`npm start`,
 * `npm run admin`): the service holds the data directory, and the CLI's commands run in it through
 * the endpoint it wrote there, without stopping it; once it stops, the CLI works on the data
 * directory itself again.
 */

const run = runAdminProcess

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

describe("the admin CLI beside a running embedded service", () => {
  let dataDir: string
  let port: number
  let service: ChildProcess
  let env: Record<string, string>
  let serviceLog: () => string = () => ""

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "pos-cli-service-"))
    port = await freePort()
    env = { STORAGE: "pglite", DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warning", DATABASE_URL: "" }
    const spawned = spawnService(env)
    service = spawned.child
    serviceLog = spawned.log
    const started = Date.now()
    while (!existsSync(join(dataDir, endpointFileName))) {
      if (Date.now() - started > 120_000) throw new Error(`the service did not start:\n${serviceLog()}`)
      await sleep(200)
    }
  }, 150_000)

  afterAll(async () => {
    if (service !== undefined && service.exitCode === null) {
      service.kill("SIGTERM")
      await new Promise((done) => service.once("exit", done))
    }
    rmSync(dataDir, { recursive: true, force: true })
  })

  it("finds the endpoint file owner-only, naming the loopback URL and a token", () => {
    const path = join(dataDir, endpointFileName)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const endpoint = JSON.parse(readFileSync(path, "utf8")) as { url: string; token: string; pid: number }
    expect(endpoint.url).toBe(`http://127.0.0.1:${port}`)
    expect(endpoint.token).toMatch(/^posl_[A-Za-z0-9_-]{43}$/)
    expect(endpoint.pid).toBe(service.pid)
    expect(serviceLog()).not.toContain(endpoint.token)
  })

  it("issues a key without stopping the service, usable at once; failures keep their message and exit code", {
    timeout: 120_000
  }, async () => {
    const issued = await run(["key", "issue", "demo", "--kind", "pos"], env)
    expect(issued.status).toBe(0)
    expect(issued.stdout).toMatch(/^posk_\d+_[A-Za-z0-9]{32,}$/)
    expect(issued.stderr).toMatch(/^issued key \d+ \('pos key', pos\) for tenant 'demo'/)
    const whoami = await statusOf(`http://127.0.0.1:${port}/api/v1/auth/whoami`, {
      host: "demo.localhost",
      "x-api-key": issued.stdout
    })
    expect(whoami).toBe(200)

    const listed = await run(["tenant", "list"], env)
    expect(listed.status).toBe(0)
    expect(listed.stdout).toMatch(/^ID\s+NAME/)
    expect(listed.stdout).toContain("demo")

    const failed = await run(["key", "list", "nobody"], env)
    expect(failed).toEqual({ status: 1, stdout: "", stderr: "error: no tenant 'nobody'" })
  })

  it("refuses the CLI endpoint without this run's token, and the admin API a partner key", async () => {
    const url = `http://127.0.0.1:${port}${localCliPath}`
    const body = JSON.stringify({ argv: ["tenant", "list"] })
    for (const authorization of [undefined, "Bearer posl_wrong", `Bearer ${"x".repeat(48)}`]) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization === undefined ? {} : { authorization }) },
        body
      })
      expect(response.status).toBe(401)
      expect(((await response.json()) as { error: { code: number } }).error.code).toBe(401)
    }
    const partner = (await run(["key", "issue", "demo", "--kind", "partner"], env)).stdout
    const admin = await fetch(`http://127.0.0.1:${port}/admin/api/v1/whoami`, { headers: { "x-api-key": partner } })
    expect(admin.status).toBe(401)
  }, 120_000)

  it("works on the data directory itself once the service has stopped", { timeout: 120_000 }, async () => {
    service.kill("SIGTERM")
    await new Promise((done) => service.once("exit", done))
    expect(existsSync(join(dataDir, endpointFileName))).toBe(false)
    const listed = await run(["key", "list", "demo"], env)
    expect(listed.status).toBe(0)
    expect(listed.stdout.split("\n").length).toBeGreaterThanOrEqual(4)
  })
})
