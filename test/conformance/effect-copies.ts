import { existsSync, readFileSync, realpathSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/**
 * One copy of `effect`: the kit, the SDK and the plugin under test must run on the same one. With
 * two (the SDK linked by path from a checkout that has its own `node_modules`, or a copy nested
 * under one of the packages), the plugin's Schemas and errors mean nothing to the SDK's copy:
 * decodes fail inside Schema ("Cannot convert a Symbol value to a string"), and the service would
 * answer every sync with a 500. The kit checks when it is imported and stops with both paths.
 */

const nameOf = (manifest: string): unknown => {
  try {
    return (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name
  } catch {
    return undefined
  }
}

/** The real path of the `effect` package directory a module at `fromFile` imports, or undefined when none. */
export const effectPackageFor = (fromFile: string): string | undefined => {
  let entry: string
  try {
    entry = createRequire(fromFile).resolve("effect")
  } catch {
    return undefined
  }
  for (let dir = dirname(entry); dirname(dir) !== dir; dir = dirname(dir)) {
    const manifest = join(dir, "package.json")
    if (existsSync(manifest) && nameOf(manifest) === "effect") return realpathSync(dir)
  }
  return undefined
}

const resolveFrom = (fromFile: string, specifier: string): string | undefined => {
  try {
    return createRequire(fromFile).resolve(specifier)
  } catch {
    return undefined
  }
}

/** Who resolves which copy: the kit, the SDK (as the kit resolves it), and the plugin's project. */
export const effectCopies = (projectDir: string = process.cwd()): ReadonlyArray<{ who: string; path: string }> => {
  const kit = fileURLToPath(import.meta.url)
  const sdk = resolveFrom(kit, "@pos-integration/sdk")
  const found = [
    { who: "the conformance kit", path: effectPackageFor(kit) },
    { who: "@pos-integration/sdk", path: sdk === undefined ? undefined : effectPackageFor(sdk) },
    { who: `the plugin's project (${projectDir})`, path: effectPackageFor(join(projectDir, "package.json")) }
  ]
  return found.flatMap(({ who, path }) => (path === undefined ? [] : [{ who, path }]))
}

/** Throws, naming every copy and the fix, when more than one copy of effect would be loaded. */
export const assertOneEffect = (projectDir?: string): void => {
  const copies = effectCopies(projectDir)
  const paths = [...new Set(copies.map((c) => c.path))]
  if (paths.length < 2) return
  const users = (path: string) => copies.flatMap((c) => (c.path === path ? [c.who] : [])).join(", ")
  const lines = paths.map((path) => `  ${path}: ${users(path)}`)
  throw new Error(
    [
      `Two copies of effect would be loaded, and a plugin works with one only (two break Schema decoding, error classes and service tags):`,
      ...lines,
      "Keep effect a peer dependency and install one copy: install @pos-integration/sdk and",
      "@pos-integration/plugin-conformance from their tarballs beside effect (npm install <sdk>.tgz <kit>.tgz effect@4.1.0),",
      "not linked by path from a checkout that has node_modules of its own; delete any other copy (or run npm dedupe)",
      "until `npm ls effect` lists one."
    ].join("\n")
  )
}

assertOneEffect()
