import { spawn } from "node:child_process"
import { createHash } from "node:crypto"
import {
  cpSync,
  existsSync,
  type FSWatcher,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  watch,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative, resolve, sep } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

/**
 * What an author outside this repository gets: the tarballs `npm run pack:sdk` makes of the SDK and
 * of the conformance kit (test/packaging/pack.ts: built and packed in a copy outside the working
 * tree, which other test files, running meanwhile in parallel workers, keep resolving as sources),
 * installed from those tarballs into a project of their own in the system's temporary directory,
 * beside `effect`, vitest and fast-check from the npm registry (the repository's versions, so the
 * npm cache usually has them), with the example plugin copied in as that project. There the
 * plugin's conformance suite runs and TypeScript 5 typechecks the plugin against the tarball's
 * bundled declarations. Needs the npm registry, or an npm cache that holds those versions.
 */

const repoRoot = resolve(import.meta.dirname, "..", "..")
const packages = { sdk: "application/pos-sdk", kit: "test/conformance" } as const
const example = join(repoRoot, "test", "fixtures", "example-plugin")
/** The TypeScript an outside author most likely has (and test/openapi-client uses). */
const typescript5 = "5.9.3"

const manifest = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Record<string, Record<string, string>>
const root = manifest(join(repoRoot, "package.json"))
const versions = {
  effect: root["dependencies"]!["effect"]!,
  vitest: root["devDependencies"]!["vitest"]!,
  "fast-check": root["devDependencies"]!["fast-check"]!,
  "@types/node": root["devDependencies"]!["@types/node"]!
}

/** This process's environment without what npm and vitest set for themselves, Node 24 first on the PATH. */
const environment = (): NodeJS.ProcessEnv => {
  const kept = Object.entries(process.env).filter(([name]) => !/^(npm_|vitest|init_cwd$|node_options$)/i.test(name))
  return {
    ...Object.fromEntries(kept),
    PATH: [dirname(process.execPath), process.env["PATH"]].join(process.platform === "win32" ? ";" : ":"),
    NO_COLOR: "1"
  }
}

interface Run {
  readonly code: number | null
  readonly output: string
}

const run = (command: string, args: ReadonlyArray<string>, cwd: string, timeoutMs: number) =>
  new Promise<Run>((done) => {
    const child = spawn(command, args, { cwd, env: environment(), stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8")
    })
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8")
    })
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    child.once("error", (error) => {
      clearTimeout(timer)
      done({ code: null, output: `${output}\n${error.message}` })
    })
    child.once("close", (code) => {
      clearTimeout(timer)
      done({ code, output })
    })
  })

const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))

/** Import specifiers: static, re-export and side-effect imports, `import("x")` calls and types. */
const specifiersOf = (code: string): Array<string> =>
  [
    ...code.matchAll(/^\s*(?:import|export)\s(?:[^"';]*?\bfrom\s*)?["']([^"']+)["']/gm),
    ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)
  ].map((m) => m[1]!)

/** Hash of a file's bytes, or null when it does not exist. */
const hashOf = (path: string) =>
  existsSync(path) ? createHash("sha256").update(readFileSync(path)).digest("hex") : null

/** What a pack inside a package's folder would write: its manifest, build output, a kept manifest, a tarball. */
const guarded = /^(?:package\.json|\.package\.repo\.json|dist)(?:$|[/\\])|\.tgz$/

let work: string
let project: string
const tarballs: Record<keyof typeof packages, string> = { sdk: "", kit: "" }
const unpacked: Record<keyof typeof packages, string> = { sdk: "", kit: "" }
const manifestHashes = new Map<string, string | null>()
/** Every change under the packages' folders to what a pack in place would write, while this file runs. */
const touched: Array<string> = []
const watchers: Array<FSWatcher> = []

beforeAll(async () => {
  work = realpathSync(mkdtempSync(join(tmpdir(), "pos-packed-sdk-")))
  for (const folder of Object.values(packages)) {
    const dir = join(repoRoot, folder)
    manifestHashes.set(folder, hashOf(join(dir, "package.json")))
    watchers.push(
      watch(dir, (event, file) => {
        if (file !== null && guarded.test(file)) touched.push(`${event} ${join(folder, file)}`)
      })
    )
  }

  // The documented command, from the repository's root: it builds and packs a copy outside the working tree.
  const destination = join(work, "tarballs")
  const packed = await run("npm", ["run", "pack:sdk", "--", destination], repoRoot, 120_000)
  if (packed.code !== 0) throw new Error(`npm run pack:sdk failed:\n${packed.output}`)
  for (const [name, folder] of Object.entries(packages) as Array<[keyof typeof packages, string]>) {
    const pkg = manifest(join(repoRoot, folder, "package.json"))
    const file = `${String(pkg["name"]).replace(/^@/, "").replace("/", "-")}-${String(pkg["version"])}.tgz`
    tarballs[name] = join(destination, file)
    if (!existsSync(tarballs[name])) throw new Error(`npm run pack:sdk wrote no ${file}:\n${packed.output}`)
    if (!packed.output.includes(tarballs[name]))
      throw new Error(`npm run pack:sdk did not name ${file}:\n${packed.output}`)
    unpacked[name] = join(work, "unpacked", name)
    mkdirSync(unpacked[name], { recursive: true })
    const untar = await run("tar", ["-xzf", tarballs[name], "-C", unpacked[name]], work, 60_000)
    if (untar.code !== 0) throw new Error(`tar could not unpack ${tarballs[name]}:\n${untar.output}`)
  }

  // The plugin author's project: the example plugin's own directory, as they would have it.
  project = join(work, "tinypos")
  cpSync(example, project, { recursive: true, filter: (source) => !source.includes("node_modules") })
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "es2022",
        module: "nodenext",
        moduleResolution: "nodenext",
        strict: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        resolveJsonModule: true,
        types: ["node"],
        skipLibCheck: false
      },
      include: ["**/*.ts"],
      exclude: ["node_modules"]
    })
  )
  // The repository's fast-check seed (fixed in CI), so the packed run is as deterministic as the in-repo one.
  cpSync(join(repoRoot, "test", "setup", "fast-check.ts"), join(project, "fast-check-seed.ts"))
  writeFileSync(
    join(project, "vitest.config.mjs"),
    'export default { test: { include: ["**/*.test.ts"], setupFiles: ["./fast-check-seed.ts"] } }\n'
  )
  const install = await run(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      "--ignore-scripts",
      tarballs.sdk,
      tarballs.kit,
      ...Object.entries(versions).map(([name, version]) => `${name}@${version}`),
      `typescript@${typescript5}`
    ],
    project,
    240_000
  )
  if (install.code !== 0) {
    throw new Error(
      `npm install in the temporary project failed: it needs the npm registry (or an npm cache holding ` +
        `effect@${versions.effect}, vitest@${versions.vitest}, fast-check@${versions["fast-check"]} and their dependencies)\n${install.output}`
    )
  }
}, 420_000)

afterAll(() => {
  for (const watcher of watchers) watcher.close()
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
})

describe("the packed SDK and conformance kit, installed outside the repository", () => {
  it.each(Object.keys(packages) as Array<keyof typeof packages>)(
    "%s: the tarball holds built JavaScript and bundled declarations, and nothing that reaches outside it",
    (name) => {
      const dir = join(unpacked[name], "package")
      const files = filesUnder(dir).map((f) => relative(dir, f))
      expect(files.sort()).toEqual(["dist/index.d.ts", "dist/index.js", "package.json"])
      const pkg = manifest(join(dir, "package.json"))
      expect(pkg["exports"]).toEqual({
        ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
        "./package.json": "./package.json"
      })
      expect(pkg["scripts"]).toBeUndefined()
      expect(pkg["devDependencies"]).toBeUndefined()
      expect(pkg["private"]).toBe(true)
      expect(pkg["peerDependencies"]?.["effect"]).toBe(versions.effect)
      const externals = Object.keys(pkg["peerDependencies"] ?? {})
      for (const file of files.filter((f) => f !== "package.json")) {
        const text = readFileSync(join(dir, file), "utf8")
        expect(text, file).not.toMatch(/(?:^|["'`\s(/])\.\.\//m)
        expect(text, file).not.toContain(repoRoot)
        expect(text, file).not.toMatch(/\bdomain\/(?:catalog|pos-order|tenant)\b/)
        for (const specifier of specifiersOf(text)) {
          if (specifier.startsWith("."))
            expect(existsSync(resolve(dir, dirname(file), specifier)), specifier).toBe(true)
          else if (!specifier.startsWith("node:")) {
            expect(externals, `${file} imports ${specifier}`).toContain(
              specifier.replace(/^((?:@[^/]+\/)?[^/]+).*$/, "$1")
            )
          }
        }
      }
      // effect is the project's one copy: imported, never bundled.
      expect(specifiersOf(readFileSync(join(dir, "dist", "index.js"), "utf8"))).toContain("effect")
    }
  )

  it("the SDK's declarations inline the domain's snapshot types it re-exports", () => {
    const types = readFileSync(join(unpacked.sdk, "package", "dist", "index.d.ts"), "utf8")
    for (const name of ["OutletSnapshot", "CatalogSnapshot", "ProductSnapshot", "PosOrder"]) {
      expect(types).toMatch(new RegExp(`(?:interface|type) ${name}\\b`))
    }
  })

  it("install with one copy of effect", () => {
    const copies = filesUnder(join(project, "node_modules")).filter((f) => f.endsWith(`${sep}effect${sep}package.json`))
    expect(copies.map((f) => relative(project, f))).toEqual([join("node_modules", "effect", "package.json")])
  })

  it("run the example plugin's conformance suite, all cases passing", async () => {
    const vitest = join(project, "node_modules", "vitest", "vitest.mjs")
    const result = await run(
      process.execPath,
      [vitest, "run", "--reporter=json", "--outputFile=results.json"],
      project,
      180_000
    )
    const resultsFile = join(project, "results.json")
    expect(existsSync(resultsFile), result.output).toBe(true)
    const results = JSON.parse(readFileSync(resultsFile, "utf8")) as {
      numTotalTests: number
      numFailedTests: number
      testResults: Array<{ assertionResults: Array<{ ancestorTitles: Array<string>; status: string; title: string }> }>
    }
    const failed = results.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === "failed"))
    expect(
      failed.map((a) => [...a.ancestorTitles, a.title].join(" > ")),
      result.output
    ).toEqual([])
    expect(result.code, result.output).toBe(0)
    const suites = results.testResults.flatMap((f) => f.assertionResults.map((a) => a.ancestorTitles[0]))
    expect(suites).toContain("POS plugin conformance: tinypos")
    expect(results.numTotalTests).toBeGreaterThan(10)
  }, 180_000)

  it("typecheck the plugin with TypeScript 5 against the bundled declarations, which refuse a wrong plugin", async () => {
    const misuse = [
      'import type { OutletSnapshot, PosPlugin } from "@pos-integration/sdk"',
      "// refused: an outlet without the fields a snapshot requires",
      'export const outlet: OutletSnapshot = { externalId: "S1" }',
      "// refused: decodeOutlets answers an Effect, not an array",
      "export const decodeOutlets: PosPlugin['decodeOutlets'] = (payload: unknown) => [payload]",
      ""
    ].join("\n")
    writeFileSync(join(project, "misuse.ts"), misuse)
    const refused = misuse
      .split("\n")
      .flatMap((_line, i, lines) => (lines[i - 1]?.startsWith("// refused:") ? [i + 1] : []))
    const tsc = join(project, "node_modules", "typescript", "bin", "tsc")
    const result = await run(process.execPath, [tsc, "-p", "tsconfig.json", "--pretty", "false"], project, 120_000)
    rmSync(join(project, "misuse.ts"))
    const errors = result.output.split("\n").filter((line) => /error TS\d+/.test(line))
    // Every error is one of the refused lines: the plugin, its fixtures and its test typecheck.
    expect(
      errors.filter((line) => !line.startsWith("misuse.ts(")),
      result.output
    ).toEqual([])
    const lines = errors.map((line) => Number(/^misuse\.ts\((\d+),/.exec(line)?.[1]))
    expect([...new Set(lines)].sort(), result.output).toEqual(refused)
  }, 120_000)

  it("with a second copy of effect (nested under the SDK), the kit stops at once and names both copies", async () => {
    const nested = join(project, "node_modules", "@pos-integration", "sdk", "node_modules", "effect")
    const projectCopy = join(project, "node_modules", "effect")
    mkdirSync(nested, { recursive: true })
    cpSync(join(projectCopy, "package.json"), join(nested, "package.json"))
    cpSync(join(projectCopy, "dist"), join(nested, "dist"), { recursive: true })
    try {
      const vitest = join(project, "node_modules", "vitest", "vitest.mjs")
      const result = await run(process.execPath, [vitest, "run"], project, 180_000)
      expect(result.code, result.output).not.toBe(0)
      expect(result.output).toContain("Two copies of effect would be loaded")
      expect(result.output).toContain(`${nested}: @pos-integration/sdk`)
      expect(result.output).toContain(`${projectCopy}: the conformance kit, the plugin's project (${project})`)
      expect(result.output).toContain("npm ls effect")
    } finally {
      rmSync(join(project, "node_modules", "@pos-integration", "sdk", "node_modules"), { recursive: true, force: true })
    }
  }, 180_000)

  it.each(Object.keys(packages) as Array<keyof typeof packages>)(
    "%s: npm pack inside the repository refuses, naming the command that packs a copy",
    async (name) => {
      const destination = join(work, "refused", name)
      mkdirSync(destination, { recursive: true })
      const result = await run(
        "npm",
        ["pack", "--pack-destination", destination],
        join(repoRoot, packages[name]),
        60_000
      )
      expect(result.code, result.output).not.toBe(0)
      expect(result.output).toContain("npm run pack:sdk -- <directory>")
      expect(readdirSync(destination)).toEqual([])
    },
    60_000
  )

  // Last: everything above ran while the watchers listened.
  it("leave the working tree as it was throughout: manifests unchanged, never a build output or kept manifest", async () => {
    // Let the watchers deliver what the file system has queued.
    await new Promise((settled) => setTimeout(settled, 200))
    expect(touched).toEqual([])
    for (const folder of Object.values(packages)) {
      const dir = join(repoRoot, folder)
      expect(hashOf(join(dir, "package.json")), folder).toBe(manifestHashes.get(folder))
      expect(existsSync(join(dir, "dist")), folder).toBe(false)
      expect(existsSync(join(dir, ".package.repo.json")), folder).toBe(false)
    }
  })
})
