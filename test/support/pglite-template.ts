import { Effect } from "effect"
import { initialiseDataDir } from "../../adapters/storage/pglite/initialise-data-dir.ts"
import { openPglite } from "../../adapters/storage/pglite/pglite-client.ts"
import { pristineDump } from "../../adapters/storage/pglite/pristine-cluster.ts"

/**
 * The pristine PGlite cluster the suite's databases start from (PGLITE_TEMPLATE, see
 * adapters/storage/pglite/pristine-cluster.ts): vitest.config.ts sets it for every worker and so for
 * every service a test starts, so one initdb serves the whole run (and the next runs on this machine).
 */
export const pgliteTemplate = (): string | undefined => {
  const template = process.env["PGLITE_TEMPLATE"]
  return template === undefined || template.trim() === "" ? undefined : template
}

/** A fresh cluster at `target` (a data directory's `pglite`): the template's copy, else initdb. */
export const freshPgliteCluster = (target: string): Promise<void> =>
  Effect.runPromise(initialiseDataDir(target, pgliteTemplate()))

/** A PGlite database in memory for a test, started from the template's dump when there is one. */
export const openTestPglite = () => {
  const template = pgliteTemplate()
  return Effect.flatMap(
    template === undefined ? Effect.succeed(undefined) : Effect.orDie(pristineDump(template)),
    (loadDataDir) => openPglite(undefined, { loadDataDir })
  )
}
