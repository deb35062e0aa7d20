import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { builtinModules } from "node:module"
import { tmpdir } from "node:os"
import { join, relative, resolve, sep } from "node:path"
import { rolldown } from "rolldown"
import { dts } from "rolldown-plugin-dts"

/**
 * What `npm pack` of the SDK (application/pos-sdk) and of the conformance kit (test/conformance)
 * runs, in the package's directory: its `prepack` builds, its `postpack` restores.
 *
 *   node ../../test/packaging/build-package.ts           prepack
 *   node ../../test/packaging/build-package.ts restore   postpack
 *
 * Inside the repository a package's `exports` name its TypeScript sources, which Node runs
 * directly and which may reach outside the package (the SDK re-exports the domain's snapshot
 * types). The tarball holds no source: `prepack` bundles the entry into `dist/index.js` with
 * Rolldown, and into one `dist/index.d.ts` (the repository's TypeScript emits a declaration per
 * source file, rolldown-plugin-dts bundles them), the package's peer and regular dependencies left
 * external, everything else (the domain's code and types) inlined. It checks that no output names
 * a path outside `dist/`, keeps the repository's package.json aside in `.package.repo.json`, and
 * writes the published one in its place: `exports` with `types` and `default` pointing at
 * `dist/`, no scripts, no devDependencies. npm packs the files as they are on disk once `prepack`
 * is done, so the tarball holds that package.json; `postpack` puts the repository's back and
 * removes `dist/`, which exists only while a pack runs (the layering test and the typecheck read
 * every `.ts` file under `application/`, declarations included). A pack interrupted between the
 * two is repaired by the next build or restore.
 */

const repoRoot = resolve(import.meta.dirname, "..", "..")
const packageDir = process.cwd()
const manifestPath = join(packageDir, "package.json")
const keptPath = join(packageDir, ".package.repo.json")
const outDir = join(packageDir, "dist")

interface Manifest {
  readonly name: string
  readonly exports?: string | Record<string, unknown>
  readonly peerDependencies?: Record<string, string>
  readonly dependencies?: Record<string, string>
  readonly optionalDependencies?: Record<string, string>
  readonly [field: string]: unknown
}

class BuildFailure extends Error {}
const fail = (message: string): never => {
  throw new BuildFailure(message)
}

/** Puts the repository's package.json back (after a pack, or an interrupted one) and removes dist/. */
const restore = () => {
  if (existsSync(keptPath)) {
    writeFileSync(manifestPath, readFileSync(keptPath))
    rmSync(keptPath)
  }
  rmSync(outDir, { recursive: true, force: true })
}

/** Import specifiers of a built file: static, re-export and side-effect imports, `import("x")` calls and types. */
const specifiersOf = (code: string): Array<string> =>
  [
    ...code.matchAll(/^\s*(?:import|export)\s(?:[^"';]*?\bfrom\s*)?["']([^"']+)["']/gm),
    ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)
  ].map((m) => m[1]!)

const build = async () => {
  restore()
  if (!packageDir.startsWith(repoRoot + sep)) fail("run it from a package directory inside the repository")
  const text = readFileSync(manifestPath, "utf8")
  const manifest = JSON.parse(text) as Manifest
  const entry = typeof manifest.exports === "string" ? manifest.exports : manifest.exports?.["."]
  if (typeof entry !== "string" || !entry.endsWith(".ts")) {
    return fail(
      `exports["."] must name the TypeScript entry, found ${JSON.stringify(manifest.exports)}` +
        " (if this is the packed package.json of an interrupted pack, take the repository's back from git)"
    )
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

  const options = { cwd: packageDir, platform: "node", external: isExternal } as const
  const work = mkdtempSync(join(tmpdir(), "pos-build-package-"))
  try {
    // The declarations of the entry and of what it imports, one file each, by the repository's
    // TypeScript with the repository's compiler settings; then bundled into one.
    const tsconfig = join(work, "tsconfig.json")
    const declarations = join(work, "declarations")
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: join(repoRoot, "tsconfig.json"),
        compilerOptions: {
          noEmit: false,
          declaration: true,
          emitDeclarationOnly: true,
          noCheck: true,
          rootDir: repoRoot,
          outDir: declarations,
          typeRoots: [join(repoRoot, "node_modules", "@types")]
        },
        include: [],
        files: [join(packageDir, entry)]
      })
    )
    const compiler = join(repoRoot, "node_modules", "typescript", "bin", "tsc")
    const tsc = spawnSync(process.execPath, [compiler, "-p", tsconfig], { encoding: "utf8" })
    if (tsc.status !== 0) fail(`TypeScript could not emit the declarations:\n${tsc.stdout}${tsc.stderr}`)
    const entryDeclaration = join(declarations, relative(repoRoot, join(packageDir, entry)).replace(/\.ts$/, ".d.ts"))
    const types = await rolldown({
      ...options,
      input: { index: entryDeclaration },
      plugins: [dts({ dtsInput: true, emitDtsOnly: true, tsconfig: false, generator: "oxc" })]
    })
    await types.write({ dir: outDir, format: "esm" })
    await types.close()

    const code = await rolldown({
      ...options,
      input: { index: join(packageDir, entry) },
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
      const inside = specifier.startsWith(".") && resolve(path, "..", specifier).startsWith(outDir + sep)
      if (!inside && !isExternal(specifier))
        fail(`dist/${file} imports '${specifier}', which the package does not hold`)
    }
    if (code.includes(repoRoot)) fail(`dist/${file} names a path of the repository (${repoRoot})`)
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
  writeFileSync(keptPath, text)
  writeFileSync(manifestPath, `${JSON.stringify(published, null, 2)}\n`)
}

const command = process.argv[2]
try {
  if (command === "restore") restore()
  else if (command === undefined) await build()
  else fail(`unknown command '${command}' (none builds, 'restore' restores)`)
} catch (error) {
  // A failed build leaves the package as the repository has it.
  restore()
  console.error(
    `build-package (${relative(repoRoot, packageDir)}): ${error instanceof BuildFailure ? error.message : error}`
  )
  process.exitCode = 1
}
