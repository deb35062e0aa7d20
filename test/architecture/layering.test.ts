import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative, resolve, sep } from "node:path"
import { describe, expect, it } from "vitest"

/**
 * Arrows point inwards only: runtime -> adapters/plugins -> application -> domain. This test reads
 * every import of every source file, so a wrong arrow fails CI.
 */
const root = resolve(import.meta.dirname, "../..")
const layers = ["domain", "application", "adapters", "plugins", "runtime"] as const
type Layer = (typeof layers)[number]

const testOnly = ["vitest", "@effect/vitest", "fast-check"]

const rules: Record<Layer, { packages: (spec: string) => boolean; layers: ReadonlyArray<Layer> }> = {
  domain: { packages: (s) => s === "effect", layers: ["domain"] },
  // Effect's HttpClient interface is allowed for the POS port; storage and drivers are not.
  // libphonenumber-js is pure data and functions: phone numbers are never hand-parsed.
  application: {
    packages: (s) => s === "effect" || s === "effect/http" || s.startsWith("libphonenumber-js"),
    layers: ["domain", "application"]
  },
  adapters: {
    packages: (s) => !s.startsWith("@effect/platform-node"),
    layers: ["domain", "application", "adapters"]
  },
  // A plugin sees only effect and the SDK by its package name, like an outside author.
  plugins: {
    packages: (s) => s === "effect" || s.startsWith("effect/") || s.startsWith("@pos-integration/"),
    layers: ["plugins"]
  },
  runtime: { packages: () => true, layers: ["domain", "application", "adapters", "runtime"] }
}

const sourceFiles = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    if (name === "node_modules") return []
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : []
  })

const importPattern = /(?:^|\n)\s*(?:import|export)\s[^"']*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g

const importsOf = (source: string): Array<string> =>
  [...source.matchAll(importPattern)].map((m) => (m[1] ?? m[2])!).filter((s) => s !== undefined)

const layerOf = (path: string): Layer | undefined => {
  const top = relative(root, path).split(sep)[0]
  return layers.find((l) => l === top)
}

const violations = (file: string): Array<string> => {
  const layer = layerOf(file)
  if (layer === undefined) return []
  const rule = rules[layer]
  const isTest = file.endsWith(".test.ts")
  return importsOf(readFileSync(file, "utf8")).flatMap((spec) => {
    if (spec.startsWith(".")) {
      const target = layerOf(resolve(join(file, ".."), spec))
      if (layer === "plugins") {
        // A plugin stays inside its own package directory.
        const pkg = relative(root, file).split(sep).slice(0, 2).join(sep)
        return relative(root, resolve(join(file, ".."), spec)).startsWith(pkg) ? [] : [spec]
      }
      return target === undefined || rule.layers.includes(target) ? [] : [spec]
    }
    if (spec.startsWith("node:")) return layer === "domain" || layer === "application" ? [spec] : []
    if (isTest && testOnly.includes(spec)) return []
    return rule.packages(spec) ? [] : [spec]
  })
}

describe("layering", () => {
  it("recognises static, re-export and dynamic imports", () => {
    expect(importsOf(`import { a } from "x"\nexport * from "./y.ts"\nconst m = await import("z")`)).toEqual([
      "x",
      "./y.ts",
      "z"
    ])
  })

  it("flags a wrong arrow", () => {
    const fake = join(root, "domain", "fake.ts")
    expect(rules.domain.layers.includes(layerOf(join(root, "runtime", "x.ts"))!)).toBe(false)
    expect(layerOf(fake)).toBe("domain")
    expect(rules.application.packages("@effect/sql-pg")).toBe(false)
    expect(rules.application.packages("@electric-sql/pglite")).toBe(false)
  })

  for (const layer of layers) {
    it(`${layer} imports only what its layer may`, () => {
      const found = sourceFiles(join(root, layer)).flatMap((file) =>
        violations(file).map((spec) => `${relative(root, file)} imports ${spec}`)
      )
      expect(found).toEqual([])
    })
  }
})
