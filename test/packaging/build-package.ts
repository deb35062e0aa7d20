import { spawnSync } from "node:child_process"
import { mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { builtinModules } from "node:module"
import { join, relative, resolve, sep } from "node:path"
import { rolldown } from "rolldown"
import { dts } from "rolldown-plugin-dts"

/**
 * Builds one package (the SDK, application/pos-sdk, or the conformance kit, test/conformance) for
 * its tarball, in a COPY of the repository's sources that test/packaging/pack.ts makes outside the
 * working tree: never in the repository itself, where the package's `exports` must keep naming its
 * TypeScript sources for everything that runs there (other tests, in parallel workers, among them).
 *
 * Inside the repository a package's `exports` name its TypeScript sources, which Node runs
 * directly and which may reach outside the package (the SDK re-exports the domain's snapshot
 * types). The tarball holds no source: the build bundles the entry into `dist/index.js` with
 * Rolldown, and into one `dist/index.d.ts` (the repository's TypeScript emits a declaration per
 * source file, rolldown-plugin-dts bundles them), the package's peer and regular dependencies left
 * external, everything else (the domain's code and types) inlined. It checks that no output names
 * a path outside `dist/`, and writes the published package.json over the copy's: `exports` with
 * `types` and `default` pointing at `dist/`, no scripts, no devDependencies.
 */

/** The repository this file belongs to: what a build refuses to write into. */
export const repoRoot = realpathSync(resolve(import.meta.dirname, "..", ".."))

interface Manifest {
  readonly name: string
  readonly exports?: string | Record<string, unknown>
  readonly peerDependencies?: Record<string, string>
  readonly dependencies?: Record<string, string>
  readonly optionalDependencies?: Record<string, string>
  readonly [field: string]: unknown
}

export class BuildFailure extends Error {}
const fail = (message: string): never => {
  throw new BuildFailure(message)
}

const isWithin = (dir: string, path: string) => path === dir || path.startsWith(dir + sep)

/** Import specifiers of a built file: static, re-export and side-effect imports, `import("x")` calls and types. */
const specifiersOf = (code: string): Array<string> =>
  [
    ...code.matchAll(/^\s*(?:import|export)\s(?:[^"';]*?\bfrom\s*)?["']([^"']+)["']/gm),
    ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)
  ].map((m) => m[1]!)

/**
 * Builds the package in `packageDir`, a folder of `root`: a copy of the repository's sources (the
 * package's folder, what it imports by relative path at the same place, the root tsconfig.json)
 * with a `node_modules` that resolves the repository's packages. Writes `dist/` and the published
 * package.json into `packageDir`.
 */
export const buildPackage = async (root: string, packageDir: string): Promise<void> => {
  const copyRoot = realpathSync(root)
  const dir = realpathSync(packageDir)
  if (isWithin(repoRoot, copyRoot) || isWithin(copyRoot, repoRoot)) {
    fail(`builds only in a copy outside the repository, not in ${copyRoot} (test/packaging/pack.ts makes one)`)
  }
  if (!isWithin(copyRoot, dir) || dir === copyRoot) fail(`${dir} is not a package folder of ${copyRoot}`)

  const manifestPath = join(dir, "package.json")
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest
  const entry = typeof manifest.exports === "string" ? manifest.exports : manifest.exports?.["."]
  if (typeof entry !== "string" || !entry.endsWith(".ts")) {
    return fail(`exports["."] must name the TypeScript entry, found ${JSON.stringify(manifest.exports)}`)
  }
  const externals = Object.keys({
    ...manifest.peerDependencies,
    ...manifest.dependencies,
    ...manifest.optionalDependencies
  })
  const isExternal = (id: string) =>
    id.startsWith("node:") ||
    builtinModules.includes(id) ||
    externals.some((name) => id === name || id.startsWith(`${name}/`))

  const outDir = join(dir, "dist")
  rmSync(outDir, { recursive: true, force: true })
  const options = { cwd: dir, platform: "node", external: isExternal } as const
  const work = join(copyRoot, ".build", relative(copyRoot, dir))
  try {
    // The declarations of the entry and of what it imports, one file each, by the repository's
    // TypeScript with the repository's compiler settings; then bundled into one.
    const tsconfig = join(work, "tsconfig.json")
    const declarations = join(work, "declarations")
    mkdirSync(work, { recursive: true })
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: join(copyRoot, "tsconfig.json"),
        compilerOptions: {
          noEmit: false,
          declaration: true,
          emitDeclarationOnly: true,
          noCheck: true,
          rootDir: copyRoot,
          outDir: declarations,
          typeRoots: [join(copyRoot, "node_modules", "@types")]
        },
        include: [],
        files: [join(dir, entry)]
      })
    )
    const compiler = join(copyRoot, "node_modules", "typescript", "bin", "tsc")
    const tsc = spawnSync(process.execPath, [compiler, "-p", tsconfig], { encoding: "utf8" })
    if (tsc.status !== 0) fail(`TypeScript could not emit the declarations:\n${tsc.stdout}${tsc.stderr}`)
    const entryDeclaration = join(declarations, relative(copyRoot, join(dir, entry)).replace(/\.ts$/, ".d.ts"))
    const types = await rolldown({
      ...options,
      input: { index: entryDeclaration },
      plugins: [dts({ dtsInput: true, emitDtsOnly: true, tsconfig: false, generator: "oxc" })]
    })
    await types.write({ dir: outDir, format: "esm" })
    await types.close()

    const code = await rolldown({
      ...options,
      input: { index: join(dir, entry) },
      // No `// <module path>` comments: they would name files outside the package.
      experimental: { attachDebugInfo: "none" }
    })
    await code.write({ dir: outDir, format: "esm", entryFileNames: "[name].js", chunkFileNames: "[name].js" })
    await code.close()
  } finally {
    rmSync(work, { recursive: true, force: true })
  }

  // Nothing built may reach outside dist/ nor import what the package does not declare.
  for (const file of readdirSync(outDir, { recursive: true, encoding: "utf8" })) {
    const path = join(outDir, file)
    if (!/\.(?:js|d\.ts)$/.test(file)) continue
    const code = readFileSync(path, "utf8")
    for (const specifier of specifiersOf(code)) {
      const inside = specifier.startsWith(".") && isWithin(outDir, resolve(path, "..", specifier))
      if (!inside && !isExternal(specifier))
        fail(`dist/${file} imports '${specifier}', which the package does not hold`)
    }
    for (const place of [copyRoot, repoRoot]) {
      if (code.includes(place)) fail(`dist/${file} names a path of the build (${place})`)
    }
  }

  const published: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(manifest)) {
    if (field === "scripts" || field === "devDependencies") continue
    published[field] =
      field === "exports"
        ? { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" }, "./package.json": "./package.json" }
        : value
  }
  published["files"] = ["dist"]
  writeFileSync(manifestPath, `${JSON.stringify(published, null, 2)}\n`)
}
