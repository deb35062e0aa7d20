import { existsSync, readFileSync, statSync } from "node:fs"
import { isAbsolute, join, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import {
  PluginManifest as ManifestSchema,
  type PluginManifest,
  type PosPlugin,
  SDK_VERSION
} from "@pos-integration/sdk"
import { Context, Effect, Layer, Schema } from "effect"
import { pluginEntryFile, secondEffectCopy } from "./effect-copies.ts"

/** The plugins bundled with the service, loaded when POS_PLUGINS is not set. */
export const bundledPlugins = [
  "@pos-integration/plugin-deliverect",
  "@pos-integration/plugin-lightspeed",
  "@pos-integration/plugin-atlas-kitchen"
] as const

export interface LoadedPlugin {
  readonly plugin: PosPlugin<unknown>
  readonly manifest: PluginManifest
  /** Where it was loaded from (a module specifier or a path), for messages. */
  readonly source: string
}

/** A plugin that cannot be loaded: start-up stops with a message naming it and the reason. */
export class PluginLoadError extends Schema.TaggedError<PluginLoadError>()("PluginLoadError", {
  plugin: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `POS plugin ${this.plugin}: ${this.reason}`
  }
}

/** The loaded POS plugins by provider id: filled once at start-up, never a switch over vendors. */
export class PluginRegistry extends Context.Service<
  PluginRegistry,
  {
    readonly all: ReadonlyArray<LoadedPlugin>
    readonly get: (providerId: string) => LoadedPlugin | undefined
  }
>()("pos/runtime/PluginRegistry") {
  static readonly fromPlugins = (plugins: ReadonlyArray<LoadedPlugin>) => {
    const byId = new Map(plugins.map((p) => [p.manifest.id, p]))
    return PluginRegistry.of({ all: plugins, get: (id) => byId.get(id) })
  }

  /** Loads the plugins the specifiers name (POS_PLUGINS), validating each. */
  static readonly layer = (specifiers: ReadonlyArray<string>) =>
    Layer.effect(PluginRegistry, Effect.map(loadPlugins(specifiers), PluginRegistry.fromPlugins))
}

const isPath = (specifier: string) => specifier.startsWith("./") || specifier.startsWith("../") || isAbsolute(specifier)

/** A path to a plugin package directory loads the package's entry point (its exports "." or main). */
const moduleUrl = (specifier: string): string => {
  if (!isPath(specifier)) return specifier
  const path = resolve(specifier)
  if (existsSync(path) && statSync(path).isDirectory()) {
    const pkg = JSON.parse(readFileSync(join(path, "package.json"), "utf8")) as {
      exports?: string | { "."?: string }
      main?: string
    }
    const entry = typeof pkg.exports === "string" ? pkg.exports : (pkg.exports?.["."] ?? pkg.main ?? "index.ts")
    return pathToFileURL(join(path, entry)).href
  }
  return pathToFileURL(path).href
}

/** What a plugin of an older SDK major must change, told when it is refused. */
const sdkChanges: Readonly<Record<number, string>> = {
  1: "SDK 2 changed: webhook requests carry method, url, path and query; credentials are two Schemas (credentials.outlet, credentials.account); every outbound call, acknowledgeCatalog included, gets a PosCallContext with both levels and a vault for rotated secrets; webhookOutlet answers an outlet or an account; snoozes may last until further notice (UNTIL_FURTHER_NOTICE); tax rates are in parts per million (taxRatePpm); orders carry nested modifiers, per-line tax, charges and discounts; an optional pull capability fetches outlets and catalogs. See plugins/README.md"
}

const requiredFunctions = [
  "decodeOutlets",
  "decodeCatalog",
  "acknowledgeCatalog",
  "submitOrder",
  "cancelOrder",
  "webhookOutlet",
  "verifyWebhook",
  "decodeWebhook"
] as const

const validate = (source: string, exported: unknown): Effect.Effect<LoadedPlugin, PluginLoadError> =>
  Effect.gen(function* () {
    const fail = (reason: string) => Effect.fail(new PluginLoadError({ plugin: source, reason }))
    if (typeof exported !== "object" || exported === null) {
      return yield* fail("the module has no default export of a plugin object")
    }
    const candidate = exported as Record<string, unknown>
    const manifest = yield* Schema.decodeUnknownEffect(ManifestSchema)(candidate["manifest"]).pipe(
      Effect.mapError(
        (e) =>
          new PluginLoadError({ plugin: source, reason: `invalid manifest: ${e.message.replace(/\s*\n\s*/g, " ")}` })
      )
    )
    if (manifest.sdkVersion !== SDK_VERSION) {
      const changes = sdkChanges[manifest.sdkVersion]
      return yield* fail(
        `plugin '${manifest.id}' is built for SDK ${manifest.sdkVersion}; this service loads SDK ${SDK_VERSION} plugins only` +
          (changes === undefined ? "" : `. ${changes}`)
      )
    }
    const missing = requiredFunctions.filter((name) => typeof candidate[name] !== "function")
    if (missing.length > 0) return yield* fail(`plugin '${manifest.id}' lacks ${missing.join(", ")}`)
    const credentials = candidate["credentials"] as
      | { readonly outlet?: unknown; readonly account?: unknown }
      | undefined
    const schemas =
      typeof credentials === "object" &&
      credentials !== null &&
      Schema.isSchema(credentials.outlet) &&
      (credentials.account === null || Schema.isSchema(credentials.account))
    if (!schemas) {
      return yield* fail(
        `plugin '${manifest.id}' has no credentials Schema: credentials.outlet must be a Schema, credentials.account a Schema or null`
      )
    }
    return { plugin: exported as PosPlugin<unknown>, manifest, source }
  })

const cannotImport = (specifier: string) => (cause: unknown) =>
  new PluginLoadError({
    plugin: specifier,
    reason: `cannot be imported: ${cause instanceof Error ? cause.message.split("\n")[0] : String(cause)}`
  })

/**
 * Imports and validates one plugin. Before the import, the `effect` the plugin would resolve is
 * compared with the service's: a plugin bringing a copy of its own is refused (effect-copies.ts).
 */
export const loadPlugin = (specifier: string): Effect.Effect<LoadedPlugin, PluginLoadError> =>
  Effect.gen(function* () {
    const url = yield* Effect.try({ try: () => moduleUrl(specifier), catch: cannotImport(specifier) })
    const entry = pluginEntryFile(url)
    const secondCopy = entry === undefined ? undefined : secondEffectCopy(entry)
    if (secondCopy !== undefined) return yield* new PluginLoadError({ plugin: specifier, reason: secondCopy })
    const module = yield* Effect.tryPromise({
      try: () => import(url) as Promise<Record<string, unknown>>,
      catch: cannotImport(specifier)
    })
    return yield* validate(specifier, module["default"] ?? module["plugin"])
  })

/** Loads every plugin; refuses two plugins with one id, naming both. */
export const loadPlugins = (specifiers: ReadonlyArray<string>): Effect.Effect<Array<LoadedPlugin>, PluginLoadError> =>
  Effect.gen(function* () {
    const loaded: Array<LoadedPlugin> = []
    for (const specifier of specifiers) {
      const plugin = yield* loadPlugin(specifier)
      const clash = loaded.find((p) => p.manifest.id === plugin.manifest.id)
      if (clash !== undefined) {
        return yield* new PluginLoadError({
          plugin: specifier,
          reason: `duplicate provider id '${plugin.manifest.id}' (already loaded from ${clash.source})`
        })
      }
      loaded.push(plugin)
    }
    return loaded
  })
