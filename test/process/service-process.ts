import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs"
import { request } from "node:http"
import { connect, createServer, type Socket } from "node:net"
import { join, resolve } from "node:path"

/**
 * The service as an operator runs it: `npm start` in a child process, with what a test needs to
 * watch its life from outside (its output, its port, its data directory's lock).
 */

export const repoRoot = resolve(import.meta.dirname, "..", "..")

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** A port nobody listens on right now. */
export const freePort = () =>
  new Promise<number>((done, fail) => {
    const probe = createServer()
    probe.once("error", fail)
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => done(port))
    })
  })

export const lockPath = (dataDir: string) => join(dataDir, "pos-integration.lock")

/** The pid the data directory's lock names (the node process behind npm), if any. */
export const lockHolder = (dataDir: string): number | undefined => {
  if (!existsSync(lockPath(dataDir))) return undefined
  const pid = Number.parseInt(readFileSync(lockPath(dataDir), "utf8").split("\n")[0] ?? "", 10)
  return Number.isSafeInteger(pid) ? pid : undefined
}

export interface ServiceProcess {
  readonly npm: ChildProcess
  readonly port: number
  readonly dataDir: string
  /** Everything written to stdout and stderr so far. */
  readonly output: () => string
  /** Resolves with npm's exit code or signal once it has exited. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  /** The output at the moment the port first accepted a connection. */
  readonly outputWhenPortOpened: Promise<string>
}

const withoutStorageChoice = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const { DATABASE_URL: _url, STORAGE: _storage, ...rest } = env
  return rest
}

/** `npm start` with the given environment on top of this one (PORT and DATA_DIR are required). */
export const startService = (env: Record<string, string> & { PORT: string; DATA_DIR: string }): ServiceProcess => {
  const npm = spawn("npm", ["start"], {
    cwd: repoRoot,
    // The embedded default, whatever this process was given: a DATABASE_URL (as CI sets for the
    // PostgreSQL suites) would select PostgreSQL storage, with no data directory to lock.
    env: { ...withoutStorageChoice(process.env), LOG_FORMAT: "json", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let text = ""
  const collect = (chunk: Buffer) => {
    text += chunk.toString("utf8")
  }
  npm.stdout?.on("data", collect)
  npm.stderr?.on("data", collect)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    npm.once("exit", (code, signal) => done({ code, signal }))
  )
  const port = Number(env["PORT"])
  const outputWhenPortOpened = (async () => {
    let running = true
    void exited.then(() => {
      running = false
    })
    while (running) {
      if (await canConnect(port)) {
        // Output written before the port opened may still sit in the pipe for a moment.
        await sleep(50)
        return text
      }
      await sleep(25)
    }
    throw new Error(`npm start exited before the port opened:\n${text}`)
  })()
  // Observed by the caller; this keeps an early exit from being an unhandled rejection meanwhile.
  outputWhenPortOpened.catch(() => {})
  return { npm, port, dataDir: env.DATA_DIR, output: () => text, exited, outputWhenPortOpened }
}

export const canConnect = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = connect(port, "127.0.0.1")
    socket.once("connect", () => {
      socket.destroy()
      done(true)
    })
    socket.once("error", () => done(false))
  })

export interface Answer {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
}

/** One HTTP request on a fresh connection, with an optional body sent in two parts `gapMs` apart. */
export const send = (
  port: number,
  options: {
    readonly method?: string
    readonly path: string
    readonly headers?: Record<string, string>
    readonly body?: string
    /** Send the first half of the body, wait for this promise, then the rest. */
    readonly holdBodyUntil?: Promise<unknown>
  }
) =>
  new Promise<Answer>((done, fail) => {
    const body = options.body ?? ""
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "GET",
        path: options.path,
        agent: false,
        headers: { ...options.headers, ...(body === "" ? {} : { "content-length": Buffer.byteLength(body) }) }
      },
      (res) => {
        let text = ""
        res.setEncoding("utf8")
        res.on("data", (chunk: string) => {
          text += chunk
        })
        res.on("end", () => done({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
        res.on("error", fail)
      }
    )
    req.on("error", fail)
    if (options.holdBodyUntil === undefined) {
      req.end(body)
      return
    }
    const half = Math.floor(body.length / 2)
    req.write(body.slice(0, half))
    void options.holdBodyUntil.then(() => req.end(body.slice(half)))
  })

/** The inodes of the sockets listening on `port` (any address), from /proc/net (undefined off Linux). */
const listeningInodes = (port: number): Set<string> | undefined => {
  const inodes = new Set<string>()
  let read = false
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string
    try {
      text = readFileSync(file, "utf8")
    } catch {
      continue
    }
    read = true
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/)
      // sl, local_address (hex address:hex port), rem_address, st (0A: LISTEN), ..., inode (10th).
      const local = fields[1]
      if (local === undefined || fields[3] !== "0A" || fields[9] === undefined) continue
      if (Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port) inodes.add(fields[9])
    }
  }
  return read ? inodes : undefined
}

/**
 * Whether the socket listening on the service's port is the service's own (npm or a process below
 * it): a port picked free can be taken by another test's process before the service listens, and
 * that process's /readyz would otherwise pass for this one's.
 */
const listensOnItsPort = (service: ServiceProcess): boolean => {
  const inodes = listeningInodes(service.port)
  if (inodes === undefined) return true
  const tree: Array<number> = []
  const pending = [service.npm.pid ?? -1]
  while (pending.length > 0) {
    const pid = pending.pop()!
    tree.push(pid)
    pending.push(...childrenOf(pid))
  }
  return tree.some((pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => {
        try {
          const target = readlinkSync(`/proc/${pid}/fd/${fd}`)
          return target.startsWith("socket:[") && inodes.has(target.slice(8, -1))
        } catch {
          return false
        }
      })
    } catch {
      return false
    }
  })
}

/**
 * Polls /readyz until the service itself answers 200 on its port; fails with the service's output
 * if it exits (a port another process took: EADDRINUSE) or takes too long.
 */
export const waitUntilReady = async (service: ServiceProcess, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs
  let stopped = false
  void service.exited.then(() => {
    stopped = true
  })
  while (Date.now() < deadline && !stopped) {
    const answer = await send(service.port, { path: "/readyz" }).catch(() => undefined)
    if (answer?.status === 200 && listensOnItsPort(service)) return
    await sleep(50)
  }
  throw new Error(`the service did not become ready${stopped ? " (it exited)" : ""}:\n${service.output()}`)
}

/** A keep-alive connection that has answered one request and now sits idle; resolves when the server closes it. */
export const idleKeepAliveConnection = (port: number) =>
  new Promise<{ readonly closed: Promise<void> }>((done, fail) => {
    const socket: Socket = connect(port, "127.0.0.1")
    const closed = new Promise<void>((closedDone) => socket.once("close", () => closedDone()))
    socket.once("error", fail)
    socket.once("connect", () => socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"))
    socket.once("data", () => done({ closed }))
  })

/** Raw bytes on a fresh connection; everything the server answers until it closes. */
export const rawExchange = (port: number, bytes: string) =>
  new Promise<string>((done, fail) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(bytes))
    let answer = ""
    socket.setEncoding("utf8")
    socket.on("data", (chunk: string) => {
      answer += chunk
    })
    socket.on("close", () => done(answer))
    socket.on("error", fail)
  })

/** A process's parent pid, from /proc (undefined when it is gone). */
const childrenOf = (pid: number): Array<number> =>
  readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((candidate) => parentOf(candidate) === pid)

const parentOf = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return Number.parseInt(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1] ?? "", 10)
  } catch {
    return undefined
  }
}

/**
 * Kills the service if a test left it running (a failed assertion), node first (named by the lock)
 * so that killing npm does not orphan it.
 */
export const forceStop = async (service: ServiceProcess | undefined) => {
  if (service === undefined || service.npm.exitCode !== null || service.npm.signalCode !== null) return
  // npm's children (node, which `npm start` execs), found whether or not one holds the lock yet.
  for (const child of childrenOf(service.npm.pid ?? -1)) {
    try {
      process.kill(child, "SIGKILL")
    } catch {
      // Already gone.
    }
  }
  service.npm.kill("SIGKILL")
  await service.exited
}
