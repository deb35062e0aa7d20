import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  effectPackageFor,
  pluginEntryFile,
  secondEffectCopy,
  serviceEffectPackage
} from "../../runtime/plugins/effect-copies.ts"
import { loadPlugin, loadPlugins } from "../../runtime/plugins/plugin-registry.ts"
import { forceStop, freePort, type ServiceProcess, startService } from "../process/service-process.ts"

// A plugin installed with a copy of effect of its own would run on a second copy beside the
// service's: Schema decodes fail and every sync answers 500. It is refused at start-up instead.

const repoRoot = resolve(import.meta.dirname, "..", "..")
const example = join(repoRoot, "test", "fixtures", "example-plugin")
const serviceCopy = realpathSync(join(repoRoot, "node_modules", "effect"))

/** The example plugin installed in `dir` beside the SDK (linked, as npm links a local package) and an `effect`. */
const installPlugin = (dir: string, effect: "a copy of its own" | "a link to the service's") => {
  cpSync(example, dir, { recursive: true, filter: (source) => !source.includes("node_modules") })
  const modules = join(dir, "node_modules")
  mkdirSync(join(modules, "@pos-integration"), { recursive: true })
  symlinkSync(join(repoRoot, "application", "pos-sdk"), join(modules, "@pos-integration", "sdk"), "dir")
  if (effect === "a link to the service's") {
    symlinkSync(serviceCopy, join(modules, "effect"), "dir")
  } else {
    // The same release under another path: another file to Node, so another module instance.
    mkdirSync(join(modules, "effect"))
    cpSync(join(serviceCopy, "package.json"), join(modules, "effect", "package.json"))
    cpSync(join(serviceCopy, "dist"), join(modules, "effect", "dist"), { recursive: true })
  }
  return dir
}

let root: string
let ownCopy: string
let linked: string
beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), "pos-effect-copies-")))
  ownCopy = installPlugin(join(root, "own-copy"), "a copy of its own")
  linked = installPlugin(join(root, "linked"), "a link to the service's")
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

const reason = (specifier: string) =>
  Effect.runPromise(Effect.flip(loadPlugins([specifier]))).then((e) => `${e._tag}: ${e.message}`)

describe("a plugin that would load a second copy of effect", () => {
  it("resolves each copy by its real path", () => {
    expect(serviceEffectPackage()).toBe(serviceCopy)
    expect(effectPackageFor(join(ownCopy, "index.ts"))).toBe(join(ownCopy, "node_modules", "effect"))
    expect(effectPackageFor(join(linked, "index.ts"))).toBe(serviceCopy)
  })

  it("is refused when loaded, by path to its directory or to its entry, naming both copies and the fix", async () => {
    for (const specifier of [ownCopy, join(ownCopy, "index.ts")]) {
      const message = await reason(specifier)
      expect(message).toContain(`PluginLoadError: POS plugin ${specifier}: it would load a second copy of effect`)
      expect(message).toContain(`the plugin resolves ${join(ownCopy, "node_modules", "effect")}`)
      expect(message).toContain(`the service runs on ${serviceCopy}`)
      expect(message).toContain("Keep effect a peer dependency")
      expect(message).toContain(`delete ${join(ownCopy, "node_modules", "effect")}, or run npm dedupe`)
    }
  })

  it("a bundled plugin, named by its package, resolves the service's copy", () => {
    const entry = pluginEntryFile("@pos-integration/plugin-deliverect")
    expect(realpathSync(entry!)).toBe(realpathSync(join(repoRoot, "plugins", "deliverect", "index.ts")))
    expect(secondEffectCopy(entry!)).toBeUndefined()
  })

  it("loads when its effect is a link to the service's copy", async () => {
    const loaded = await Effect.runPromise(loadPlugin(linked))
    expect(loaded.manifest.id).toBe("tinypos")
  })

  describe("at the service's start", () => {
    let service: ServiceProcess | undefined
    let dataDir: string
    beforeAll(() => {
      dataDir = mkdtempSync(join(tmpdir(), "pos-effect-copies-data-"))
    })
    afterAll(async () => {
      await forceStop(service)
      rmSync(dataDir, { recursive: true, force: true })
    })

    it("stops with one line naming the plugin, both copies and the fix", async () => {
      service = startService({ PORT: String(await freePort()), DATA_DIR: dataDir, POS_PLUGINS: ownCopy })
      const exit = await service.exited
      const output = service.output()
      expect(exit.code, output).toBe(1)
      const line = output.split("\n").find((l) => l.startsWith("error: POS plugin"))
      expect(line, output).toContain(`error: POS plugin ${ownCopy}: it would load a second copy of effect`)
      expect(line).toContain(join(ownCopy, "node_modules", "effect"))
      expect(line).toContain(serviceCopy)
      expect(line).toContain("npm dedupe")
    }, 90_000)
  })
})
