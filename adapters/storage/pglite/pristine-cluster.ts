import { spawn } from "node:child_process"
import { existsSync, mkdirSync, openAsBlob, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { PGlite } from "@electric-sql/pglite"
import { Effect } from "effect"
import { StorageError } from "../../../domain/errors.ts"

/**
 * A pristine PGlite cluster, made once under a template directory (PGLITE_TEMPLATE) and reused:
 * its directory is copied for a new data directory, and its dump is loaded for a database in
 * memory, in place of PGlite's initdb, which costs about 3 s of CPU and up to 1 GB each time. A
 * machine that creates many clusters (a test run: every service started on a fresh data directory,
 * every embedded database in memory) pays for one.
 *
 * Layout: `<template>/pglite-<version>/cluster/` (the cluster, shut down cleanly) and
 * `.../cluster.tar` (its dump). The version is PGlite's, so an upgrade makes a new one beside the
 * old. It is made by a short-lived child process (initdb's peak stays out of the caller), in a
 * staging directory renamed into place when complete: a reader never sees half of one, and when
 * two processes make it at once, the first rename wins and the other's staging is removed.
 */

export interface PristineCluster {
  /** The cluster's directory: copy it, never open it (opening writes to it). */
  readonly directory: string
  /** Its dump, as `PGlite.create({ loadDataDir })` takes it. */
  readonly dump: string
}

/** PGlite's version, from the package.json above its entry point (the package exports no path to it). */
const readPgliteVersion = (): string => {
  let dir = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"))
  for (;;) {
    const manifest = join(dir, "package.json")
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown; version?: unknown }
      if (parsed.name === "@electric-sql/pglite") return String(parsed.version)
    }
    const parent = dirname(dir)
    if (parent === dir) return "unknown"
    dir = parent
  }
}

/** Read once: the installed package does not change under a running process. */
let pgliteVersion: string | undefined

const clusterDir = "cluster"
const dumpFile = "cluster.tar"

/** The pristine cluster under `template`, made first when it is not there yet. */
export const pristineCluster = (template: string): Effect.Effect<PristineCluster, StorageError> =>
  Effect.suspend(() => {
    pgliteVersion ??= readPgliteVersion()
    const home = join(template, `pglite-${pgliteVersion}`)
    const found: PristineCluster = { directory: join(home, clusterDir), dump: join(home, dumpFile) }
    if (existsSync(found.dump)) return Effect.succeed(found)
    const staging = `${home}.staging-${process.pid}-${Date.now()}`
    const failed = (cause: unknown) =>
      new StorageError({ operation: `make a pristine PGlite cluster in ${template}`, cause })
    return Effect.callback<PristineCluster, StorageError>((resume) => {
      try {
        mkdirSync(template, { recursive: true })
      } catch (cause) {
        resume(Effect.fail(failed(cause)))
        return
      }
      const child = spawn(process.execPath, [...process.execArgv, import.meta.filename, staging], {
        stdio: ["ignore", "ignore", "pipe"]
      })
      let stderr = ""
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8")
      })
      child.on("error", (cause) => resume(Effect.fail(failed(cause))))
      child.on("exit", (code) => {
        if (code !== 0) {
          rmSync(staging, { recursive: true, force: true })
          resume(Effect.fail(failed(new Error(`initdb exited with ${code}: ${stderr.trim().slice(-2000)}`))))
          return
        }
        try {
          renameSync(staging, home)
        } catch (cause) {
          rmSync(staging, { recursive: true, force: true })
          // Another process made it meanwhile: theirs serves.
          if (!existsSync(found.dump)) {
            resume(Effect.fail(failed(cause)))
            return
          }
        }
        resume(Effect.succeed(found))
      })
      return Effect.sync(() => {
        child.kill()
        rmSync(staging, { recursive: true, force: true })
      })
    })
  })

/** The dump of the pristine cluster under `template`, for `PGlite.create({ loadDataDir })`. */
export const pristineDump = (template: string): Effect.Effect<Blob, StorageError> =>
  Effect.flatMap(pristineCluster(template), (cluster) =>
    Effect.tryPromise({
      try: () => openAsBlob(cluster.dump),
      catch: (cause) => new StorageError({ operation: `read ${cluster.dump}`, cause })
    })
  )

// Run as a program: make a pristine cluster and its dump in the directory given, then exit.
if (import.meta.main) {
  const target = process.argv[2]
  if (target === undefined) {
    console.error("usage: pristine-cluster.ts <directory>")
    process.exit(2)
  }
  mkdirSync(target, { recursive: true })
  const db = await PGlite.create(join(target, clusterDir))
  const dump = await db.dumpDataDir("none")
  await db.close()
  writeFileSync(join(target, dumpFile), new Uint8Array(await dump.arrayBuffer()))
}
