import { Schema } from "effect"

/** The SDK's major version. The runtime loads plugins built for this major only. */
export const SDK_VERSION = 2

/**
 * What a plugin does: decode pushed `outlets` and `catalog`s, `orders` and `cancel` them, read
 * `webhooks`, `pull` outlets and catalogs from the POS's API, and `linePrices`: the POS accepts the
 * prices an order carries (a menu may then price items differently from the POS).
 */
export const Capability = Schema.Literals(["outlets", "catalog", "orders", "cancel", "webhooks", "pull", "linePrices"])
export type Capability = typeof Capability.Type

/** A plugin's id is its provider id (`X-Provider`, the directory name): lower-case, dashes allowed. */
export const ProviderId = Schema.String.pipe(Schema.check(Schema.isPattern(/^[a-z0-9][a-z0-9-]{0,62}$/)))

/** A host name, or `*.` and a domain for any host below it (`*.deliverect.com`), lower-case. */
export const HostPattern = Schema.String.pipe(
  Schema.check(
    Schema.isPattern(/^(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/, {
      message: "expected a lower-case host name, or *. and a domain"
    })
  )
)

export const PluginManifest = Schema.Struct({
  id: ProviderId,
  displayName: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  version: Schema.String.pipe(Schema.check(Schema.isPattern(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/))),
  sdkVersion: Schema.Int,
  capabilities: Schema.Array(Capability),
  /**
   * The vendor's own hosts a callback named in its payload may be sent to (Deliverect's menu push
   * names one). A callback to any other host is refused, so a payload cannot aim the service at
   * internal addresses; operators may add hosts with SYNC_CALLBACK_HOSTS. None when absent.
   */
  callbackHosts: Schema.optional(Schema.Array(HostPattern))
})
export type PluginManifest = typeof PluginManifest.Type

/**
 * A plugin's manifest, read from the `manifest` field of its package.json (so the two can never
 * differ) and checked when the module loads: a malformed one fails at import, naming the field.
 */
export const manifestFrom = (raw: unknown): PluginManifest => Schema.decodeUnknownSync(PluginManifest)(raw)
