import { spawn } from "node:child_process"
import { request as httpRequest } from "node:http"
import { createServer } from "node:net"
import { resolve } from "node:path"

/** The repository's root, where `npm start` and `npm run admin` run. */
export const repoRoot = resolve(import.meta.dirname, "../..")

/** A TCP port free on loopback now. */
export const freePort = () =>
  new Promise<number>((done, fail) => {
    const server = createServer()
    server.once("error", fail)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => done(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

/** `npm run admin -- <args>` as a process of its own (the project's Node, its one flag), with more env. */
export const runAdminProcess = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, ["--liftoff-only", "runtime/cli/main.ts", ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => {
      stdout += chunk
    })
    child.stderr.on("data", (chunk) => {
      stderr += chunk
    })
    child.on("close", (status) => done({ status, stdout: stdout.trim(), stderr: stderr.trim() }))
  })

/** A GET's status with any headers, Host included (fetch cannot set Host: node:http can). */
export const statusOf = (url: string, headers: Record<string, string>) =>
  new Promise<number>((done, fail) => {
    const request = httpRequest(url, { headers }, (response) => {
      response.resume()
      response.on("end", () => done(response.statusCode ?? 0))
    })
    request.on("error", fail)
    request.end()
  })

/** A request with any headers, Host included; its status and body. */
export const requestOf = (
  url: string,
  init: { readonly method: string; readonly headers: Record<string, string>; readonly body?: string }
) =>
  new Promise<{ status: number; body: string }>((done, fail) => {
    const request = httpRequest(url, { method: init.method, headers: init.headers }, (response) => {
      let body = ""
      response.setEncoding("utf8")
      response.on("data", (chunk) => {
        body += chunk
      })
      response.on("end", () => done({ status: response.statusCode ?? 0, body }))
    })
    request.on("error", fail)
    request.end(init.body)
  })

/** The service as `npm start` runs it, with more env; `log()` is everything it wrote so far. */
export const spawnService = (env: Record<string, string>) => {
  let log = ""
  const child = spawn(process.execPath, ["--liftoff-only", "runtime/main.ts"], {
    cwd: repoRoot,
    env: { ...process.env, ...env }
  })
  child.stdout.on("data", (chunk) => {
    log += chunk
  })
  child.stderr.on("data", (chunk) => {
    log += chunk
  })
  return { child, log: () => log }
}
