import { execFileSync } from "node:child_process"
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePort } from "../process/service-process.ts"

/**
 * A PostgreSQL server of a suite's own, from Debian's packages: initialised in a temporary
 * directory, listening on loopback on a free port, stopped and started at will (a fault suite stops
 * it under traffic), and removed afterwards. Never the server other suites share. As root (CI),
 * initdb and the server run as the `postgres` user, which owns the directory.
 */
export const postgresBinaries = (): string | undefined => {
  for (const version of [17, 16, 15]) {
    const bin = `/usr/lib/postgresql/${version}/bin`
    if (existsSync(join(bin, "initdb"))) return bin
  }
  return undefined
}

export interface ThrowawayPostgres {
  /** The database `pos` on the server. */
  readonly url: string
  readonly port: number
  /** Stops the server: `immediate` is a crash (no checkpoint, clients cut), `fast` a clean stop. */
  readonly stop: (mode: "immediate" | "fast") => void
  readonly start: () => void
  /** Runs SQL on the database with psql and answers its rows as tab-separated text. */
  readonly query: (sql: string) => string
  readonly destroy: () => void
}

const asRoot = process.getuid?.() === 0

export const startThrowawayPostgres = async (): Promise<ThrowawayPostgres> => {
  const bin = postgresBinaries()
  if (bin === undefined) throw new Error("PostgreSQL is not installed (Debian's postgresql package)")
  const dir = mkdtempSync(join(tmpdir(), "pos-throwaway-pg-"))
  const run = (program: string, args: ReadonlyArray<string>) =>
    asRoot
      ? execFileSync("runuser", ["-u", "postgres", "--", join(bin, program), ...args], { encoding: "utf8" })
      : execFileSync(join(bin, program), args, { encoding: "utf8" })
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim())
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim())
    chownSync(dir, uid, gid)
  }
  const data = join(dir, "data")
  run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync"])
  const port = await freePort()
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=100`
  const start = () => {
    run("pg_ctl", ["-D", data, "-l", join(dir, "server.log"), "-w", "-o", options, "start"])
  }
  const stop = (mode: "immediate" | "fast") => {
    run("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"])
  }
  start()
  run("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "pos"])
  return {
    url: `postgres://postgres@127.0.0.1:${port}/pos`,
    port,
    stop,
    start,
    query: (sql) =>
      run("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "pos", "-At", "-F", "\t", "-c", sql]),
    destroy: () => {
      try {
        stop("immediate")
      } catch {
        // Not running.
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
