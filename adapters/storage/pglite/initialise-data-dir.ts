import { spawn } from "node:child_process"
import { existsSync, renameSync, rmSync } from "node:fs"
import { join } from "node:path"
import { PGlite } from "@electric-sql/pglite"
import { Effect } from "effect"
import { StorageError } from "../../../domain/errors.ts"

/**
 * Creating a PGlite cluster (initdb) peaks at about 700-1100 MB, several times what the running
 * database needs (about 350 MB). So a new data directory is made by a short-lived child process,
 * and the service only ever opens an existing one: its own peak stays at the running size. The
 * child builds into a temporary directory and renames it, so a crash never leaves half a cluster.
 */
export const initialiseDataDir = (dataDir: string): Effect.Effect<void, StorageError> =>
  Effect.suspend(() => {
    if (existsSync(join(dataDir, "PG_VERSION"))) return Effect.void
    const staging = `${dataDir}.init-${process.pid}`
    return Effect.callback<void, StorageError>((resume) => {
      rmSync(staging, { recursive: true, force: true })
      const child = spawn(process.execPath, [...process.execArgv, import.meta.filename, staging], {
        stdio: ["ignore", "ignore", "pipe"]
      })
      let stderr = ""
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8")
      })
      child.on("error", (cause) => resume(Effect.fail(new StorageError({ operation: "initialise PGlite", cause }))))
      child.on("exit", (code) => {
        if (code === 0) {
          try {
            renameSync(staging, dataDir)
            resume(Effect.void)
          } catch (cause) {
            resume(Effect.fail(new StorageError({ operation: "initialise PGlite", cause })))
          }
        } else {
          rmSync(staging, { recursive: true, force: true })
          const cause = new Error(`initdb exited with ${code}: ${stderr.trim().slice(-2000)}`)
          resume(Effect.fail(new StorageError({ operation: "initialise PGlite", cause })))
        }
      })
      return Effect.sync(() => child.kill())
    })
  })

// Run as a program: create the cluster in the directory given, then exit.
if (import.meta.main) {
  const target = process.argv[2]
  if (target === undefined) {
    console.error("usage: initialise-data-dir.ts <directory>")
    process.exit(2)
  }
  const db = await PGlite.create(target)
  await db.close()
}
