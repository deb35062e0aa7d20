import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PGlite } from "@electric-sql/pglite"
import { Effect, Exit } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { initialiseDataDir } from "./initialise-data-dir.ts"
import { pristineCluster, pristineDump } from "./pristine-cluster.ts"

const scratch = mkdtempSync(join(tmpdir(), "pos-pristine-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** The cluster at `dataDir` opens, takes a table, and shows only what was written to it. */
const roundTrip = async (db: PGlite, value: string) => {
  await db.exec("CREATE TABLE IF NOT EXISTS t (v text)")
  await db.query("INSERT INTO t VALUES ($1)", [value])
  return (await db.query<{ v: string }>("SELECT v FROM t ORDER BY v")).rows.map((row) => row.v)
}

describe("pristine PGlite cluster (PGLITE_TEMPLATE)", () => {
  // A template of its own: made here, by two callers at once, exactly as a first run would.
  const template = join(scratch, "template")

  it("is made once, whole, when two processes ask at once; later asks find it", { timeout: 120_000 }, async () => {
    const [first, second] = await Promise.all([
      Effect.runPromise(pristineCluster(template)),
      Effect.runPromise(pristineCluster(template))
    ])
    expect(second).toEqual(first)
    expect(existsSync(join(first.directory, "PG_VERSION"))).toBe(true)
    expect(existsSync(first.dump)).toBe(true)
    // Only the version's directory: no staging left behind by the loser of the race.
    expect(readdirSync(template)).toEqual([expect.stringMatching(/^pglite-\d+\.\d+\.\d+/)])
    expect(await Effect.runPromise(pristineCluster(template))).toEqual(first)
  })

  it("a new data directory is its copy: it opens, and two copies share nothing", { timeout: 60_000 }, async () => {
    const a = join(scratch, "a", "pglite")
    const b = join(scratch, "b", "pglite")
    await Effect.runPromise(initialiseDataDir(a, template))
    await Effect.runPromise(initialiseDataDir(b, template))
    const dbA = await PGlite.create(a)
    expect(await roundTrip(dbA, "in a")).toEqual(["in a"])
    await dbA.close()
    const dbB = await PGlite.create(b)
    expect(await roundTrip(dbB, "in b")).toEqual(["in b"])
    await dbB.close()
    // A directory that holds a cluster already is left as it is.
    await Effect.runPromise(initialiseDataDir(a, template))
    const again = await PGlite.create(a)
    expect(await roundTrip(again, "again")).toEqual(["again", "in a"])
    await again.close()
    expect(readdirSync(join(scratch, "a"))).toEqual(["pglite"])
  })

  it("a database in memory starts from its dump, empty of anything written elsewhere", {
    timeout: 60_000
  }, async () => {
    const db = await PGlite.create({ loadDataDir: await Effect.runPromise(pristineDump(template)) })
    expect(await roundTrip(db, "in memory")).toEqual(["in memory"])
    await db.close()
  })

  it("a template that cannot be made is a StorageError naming it, and leaves nothing half made", async () => {
    const blocked = join(scratch, "blocked")
    writeFileSync(blocked, "a file where the template's directory should be")
    const exit = await Effect.runPromiseExit(initialiseDataDir(join(scratch, "c", "pglite"), blocked))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain(blocked)
    expect(existsSync(join(scratch, "c"))).toBe(false)
  })
})
