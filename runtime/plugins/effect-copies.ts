import { existsSync, readFileSync, realpathSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/**
 * One copy of `effect` in the process. A plugin imports `effect` itself, and Node loads whatever
 * copy the plugin's directory resolves: a plugin installed with a copy of its own (its
 * `node_modules/effect`, or a project linked in by path that has one) brings a second copy beside
 * the service's. Its Schemas, error classes and service tags then mean nothing to the service's
 * copy: decodes fail inside Schema ("Cannot convert a Symbol value to a string") and every sync
 * answers 500. Such a plugin is refused at start-up instead, naming both copies.
 */

const nameOf = (manifest: string): unknown => {
  try {
    return (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name
  } catch {
    return undefined
  }
}

/**
 * The real path of the directory of the `effect` package that a module at `fromFile` imports, or
 * undefined when it resolves none. Real paths, so that a link to the same copy counts as that copy.
 */
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

/** The copy the service runs on. */
export const serviceEffectPackage = (): string | undefined => effectPackageFor(fileURLToPath(import.meta.url))

/**
 * The file a plugin module would be loaded from: `module` is a file URL (a plugin given by path) or
 * a package specifier, resolved as the registry's own `import()` resolves it. Undefined when it
 * does not resolve (the import then reports why).
 */
export const pluginEntryFile = (module: string): string | undefined => {
  if (module.startsWith("file:")) return fileURLToPath(module)
  try {
    // import()'s own resolution (the "import" condition), where the loader offers it.
    const url = import.meta.resolve(module)
    if (url.startsWith("file:")) return fileURLToPath(url)
  } catch {
    // Not resolvable that way: try require's resolution.
  }
  try {
    return createRequire(import.meta.url).resolve(module)
  } catch {
    return undefined
  }
}

/**
 * Why the plugin whose entry is `entryFile` cannot run in this service: it resolves another copy of
 * `effect` than the service's. Undefined when it resolves the service's copy, or none at all.
 */
export const secondEffectCopy = (entryFile: string): string | undefined => {
  const service = serviceEffectPackage()
  const plugin = effectPackageFor(entryFile)
  if (service === undefined || plugin === undefined || plugin === service) return undefined
  return (
    `it would load a second copy of effect: the plugin resolves ${plugin}, the service runs on ${service}` +
    " (two copies break Schema decoding, error classes and service tags). Keep effect a peer dependency" +
    ` of the plugin and give it no copy of its own: delete ${plugin}, or run npm dedupe where the plugin` +
    " is installed, so that it resolves the service's"
  )
}
