import { spawn } from "node:child_process"
import { cpSync, existsSync, renameSync, rmSync } from "node:fs"
import { join } from "node:path"
import { PGlite } from "@electric-sql/pglite"
import { Effect } from "effect"
import { StorageError } from "../../../domain/errors.ts"
import { pristineCluster } from "./pristine-cluster.ts"

/**
 * Creating a PGlite cluster (initdb) peaks at about 700-1100 MB, several times what the running
 * database needs (about 350 MB). So a new data directory is made by a short-lived child process,
 * and the service only ever opens an existing one: its own peak stays at the running size. The
 * child builds into a temporary directory and renames it, so a crash never leaves half a cluster.
 *
 * With a `template` (PGLITE_TEMPLATE), the pristine cluster kept there is copied instead (made
 * there first if need be: see pristine-cluster.ts), the same way: into a temporary directory,
 * renamed when whole.
 */
export const initialiseDataDir = (dataDir: string, template?: string): Effect.Effect<void, StorageError> =>
  Effect.suspend(() => {
    if (existsSync(join(dataDir, "PG_VERSION"))) return Effect.void
    return template === undefined ? runInitdb(dataDir) : copyPristine(dataDir, template)
  })

const copyPristine = (dataDir: string, template: string): Effect.Effect<void, StorageError> =>
  Effect.flatMap(pristineCluster(template), (pristine) =>
    Effect.try({
      try: () => {
        const staging = `${dataDir}.init-${process.pid}`
        rmSync(staging, { recursive: true, force: true })
        try {
          cpSync(pristine.directory, staging, { recursive: true })
          renameSync(staging, dataDir)
        } catch (cause) {
          try {
            rmSync(staging, { recursive: true, force: true })
          } catch {
            // What could not be written cannot be removed either: the error names the cause.
          }
          throw cause
        }
      },
      catch: (cause) => new StorageError({ operation: "initialise PGlite", cause })
    })
  )

const runInitdb = (dataDir: string): Effect.Effect<void, StorageError> =>
  Effect.suspend(() => {
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
