import { spawnSync } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, dirname, join, relative, resolve, sep } from "node:path"
import { BuildFailure, buildPackage, repoRoot } from "./build-package.ts"

/**
 * Packs the SDK and the conformance kit into tarballs without touching the working tree:
 *
 *   npm run pack:sdk -- <directory>      (from the repository's root; writes both tarballs there)
 *
 * It copies the packages' sources into the system's temporary directory, keeping their place
 * relative to each other (the SDK re-exports `../../domain/*.ts`), with a `node_modules` whose
 * entries link to the repository's (Rolldown, rolldown-plugin-dts, TypeScript, effect) except the
 * packed packages themselves, which name the copies. There it builds each package
 * (build-package.ts) and runs `npm pack`, then deletes the copy. The repository's package.json
 * files keep naming the TypeScript sources throughout, so whatever else runs meanwhile (tests in
 * parallel workers) resolves what it always does.
 *
 * `npm pack` inside the repository (`npm pack -w @pos-integration/sdk`) would pack those sources,
 * which reach outside the package: the packages' `prepack` runs this file with `--refuse`, which
 * fails naming the command above.
 */

/** The packed packages, by their folder in the repository. */
export const packages = { sdk: "application/pos-sdk", kit: "test/conformance" } as const
export type PackageName = keyof typeof packages

/** What the packages import by relative path from outside their folder, and the compiler settings. */
const shared = ["domain", "tsconfig.json"] as const

/** This process's environment without what npm set for the command that started it, Node first on the PATH. */
const environment = (): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name))),
  PATH: [dirname(process.execPath), process.env["PATH"]].join(process.platform === "win32" ? ";" : ":")
})

/** The copy's node_modules: a link to each of the repository's packages, the packed ones to their copies. */
const linkNodeModules = (copy: string) => {
  const from = join(repoRoot, "node_modules")
  const to = join(copy, "node_modules")
  mkdirSync(to)
  const copied = new Map(
    Object.values(packages).map((folder) => {
      const name = (JSON.parse(readFileSync(join(repoRoot, folder, "package.json"), "utf8")) as { name: string }).name
      return [name, join(copy, folder)] as const
    })
  )
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (!entry.isDirectory() && !entry.isSymbolicLink()) continue
    if (entry.name.startsWith("@") && [...copied.keys()].some((name) => name.startsWith(`${entry.name}/`))) {
      // A scope holding a packed package: its other packages link to the repository's, the packed ones to the copies.
      mkdirSync(join(to, entry.name))
      for (const inner of readdirSync(join(from, entry.name))) {
        const name = `${entry.name}/${inner}`
        symlinkSync(copied.get(name) ?? realpathSync(join(from, name)), join(to, name), "junction")
      }
    } else {
      symlinkSync(realpathSync(join(from, entry.name)), join(to, entry.name), "junction")
    }
  }
}

const npmPack = (dir: string, destination: string): string => {
  const packed = spawnSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", destination], {
    cwd: dir,
    env: environment(),
    encoding: "utf8"
  })
  if (packed.status !== 0) throw new BuildFailure(`npm pack failed:\n${packed.stdout}${packed.stderr}`)
  const [result] = JSON.parse(packed.stdout) as Array<{ readonly filename: string }>
  if (result === undefined) throw new BuildFailure(`npm pack named no tarball:\n${packed.stdout}`)
  return join(destination, basename(result.filename))
}

/** Packs the SDK and the kit from a copy outside the repository into `destination`: the tarballs' paths. */
export const packPackages = async (destination: string): Promise<Record<PackageName, string>> => {
  const target = resolve(destination)
  mkdirSync(target, { recursive: true })
  const copy = realpathSync(mkdtempSync(join(tmpdir(), "pos-pack-")))
  const removeCopy = () => rmSync(copy, { recursive: true, force: true })
  const interrupted = (signal: NodeJS.Signals) => {
    removeCopy()
    process.kill(process.pid, signal)
  }
  process.once("SIGINT", interrupted)
  process.once("SIGTERM", interrupted)
  try {
    const skipped = new Set(["node_modules", "dist", ".package.repo.json"])
    for (const path of [...shared, ...Object.values(packages)]) {
      cpSync(join(repoRoot, path), join(copy, path), {
        recursive: true,
        filter: (source) =>
          !relative(repoRoot, source)
            .split(sep)
            .some((part) => skipped.has(part))
      })
    }
    linkNodeModules(copy)
    const tarballs: Partial<Record<PackageName, string>> = {}
    for (const [name, folder] of Object.entries(packages) as Array<[PackageName, string]>) {
      try {
        await buildPackage(copy, join(copy, folder))
        tarballs[name] = npmPack(join(copy, folder), target)
      } catch (error) {
        throw new BuildFailure(`${folder}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    return tarballs as Record<PackageName, string>
  } finally {
    process.off("SIGINT", interrupted)
    process.off("SIGTERM", interrupted)
    removeCopy()
  }
}

const command = "npm run pack:sdk -- <directory>"

if (import.meta.main) {
  const [first, ...rest] = process.argv.slice(2)
  if (first === "--refuse") {
    // The packages' prepack: `npm pack` in the repository itself.
    console.error(
      `${process.env["npm_package_name"] ?? "this package"}: npm pack here would pack TypeScript sources that reach ` +
        `outside the package. From the repository's root, run: ${command} (builds and packs a copy outside the working tree)`
    )
    process.exitCode = 1
  } else if (first === undefined || first.startsWith("-") || rest.length > 0) {
    console.error(`usage: ${command}`)
    process.exitCode = 1
  } else {
    try {
      // Relative to where `npm run` was typed, not to the repository's root npm runs the script in.
      const tarballs = await packPackages(resolve(process.env["INIT_CWD"] ?? process.cwd(), first))
      for (const tarball of Object.values(tarballs)) console.log(tarball)
    } catch (error) {
      console.error(`pack: ${error instanceof BuildFailure ? error.message : error}`)
      process.exitCode = 1
    }
  }
}
