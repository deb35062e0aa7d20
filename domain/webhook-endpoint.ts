import { Schema } from "effect"

/**
 * Partner webhooks (Standard Webhooks 1.0): endpoints a partner registers to hear about its orders
 * and the tenant's menus, outlets and syncs, each signed with the endpoint's secret.
 */

/** The events an endpoint may subscribe to. */
export const WebhookEventType = Schema.Literals([
  "order.created",
  "order.status_changed",
  "order.rejected",
  "order.failed",
  "menu.published",
  "outlet.busy_changed",
  "product.availability_changed",
  "sync.completed",
  "sync.failed"
])
export type WebhookEventType = typeof WebhookEventType.Type
export const webhookEventTypes: ReadonlyArray<WebhookEventType> = WebhookEventType.literals

/**
 * Who registered an endpoint, as `apiKey:<id>` or `oauthClient:<id>`: it hears the order events of
 * the orders its owner placed. A key rotated into another keeps its endpoints: the new key is added
 * as an owner.
 */
export type WebhookOwner = `apiKey:${number}` | `oauthClient:${number}`

export const keyOwner = (keyId: number): WebhookOwner => `apiKey:${keyId}`
export const clientOwner = (clientId: number): WebhookOwner => `oauthClient:${clientId}`

/** A stored endpoint. Secrets are Standard Webhooks' `whsec_<base64>`; the store seals them at rest. */
export interface WebhookEndpointRecord {
  /** `whe_` and 32 hex digits. */
  readonly id: string
  readonly owners: ReadonlyArray<WebhookOwner>
  readonly url: string
  /** The events it hears; empty: every one. */
  readonly eventTypes: ReadonlyArray<WebhookEventType>
  readonly description: string
  readonly enabled: boolean
  /** Why it was disabled (by its owner, an operator, or failing for a day); null when enabled. */
  readonly disabledReason: string | null
  readonly secret: string
  /** The secret before the latest rotation, still signing beside the new one until `previousSecretExpiresAt`. */
  readonly previousSecret: string | null
  readonly previousSecretExpiresAt: Date | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

export interface NewWebhookEndpoint {
  readonly id: string
  readonly owners: ReadonlyArray<WebhookOwner>
  readonly url: string
  readonly eventTypes: ReadonlyArray<WebhookEventType>
  readonly description: string
  readonly secret: string
  readonly createdAt: Date
}

/** What a change may set; a field left out stays as it is. */
export interface WebhookEndpointChange {
  readonly url?: string
  readonly eventTypes?: ReadonlyArray<WebhookEventType>
  readonly description?: string
  readonly enabled?: boolean
  readonly disabledReason?: string | null
}

export const isWebhookEndpointId = (id: string): boolean => /^whe_[0-9a-f]{32}$/.test(id)

export const newWebhookEndpointId = (): string => `whe_${globalThis.crypto.randomUUID().replaceAll("-", "")}`

/** Standard Webhooks' secret: `whsec_` and the base64 of 32 random bytes (the HMAC key). */
export const newWebhookSecret = (): string => {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(32))
  return `whsec_${btoa(String.fromCharCode(...bytes))}`
}
