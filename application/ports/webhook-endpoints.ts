import { Context, type Effect } from "effect"
import type { StorageError } from "../../domain/errors.ts"
import type {
  NewWebhookEndpoint,
  WebhookEndpointChange,
  WebhookEndpointRecord,
  WebhookOwner
} from "../../domain/webhook-endpoint.ts"

/** A tenant's partner webhook endpoints, in the tenant's own database. Secrets are sealed at rest by the adapter. */
export class WebhookEndpoints extends Context.Service<
  WebhookEndpoints,
  {
    readonly insert: (endpoint: NewWebhookEndpoint) => Effect.Effect<WebhookEndpointRecord, StorageError>
    readonly findById: (id: string) => Effect.Effect<WebhookEndpointRecord | undefined, StorageError>
    /** Every endpoint, or those `owner` owns, by `createdAt` then `id`. */
    readonly list: (owner?: WebhookOwner) => Effect.Effect<ReadonlyArray<WebhookEndpointRecord>, StorageError>
    /** Applies the fields given; `updatedAt` becomes `at`. Answers the endpoint as stored, or undefined if unknown. */
    readonly update: (
      id: string,
      change: WebhookEndpointChange,
      at: Date
    ) => Effect.Effect<WebhookEndpointRecord | undefined, StorageError>
    /**
     * A new secret: the current one becomes the previous, signing too until `previousExpiresAt` (a
     * secret that was previous before is dropped). Answers the endpoint as stored, or undefined.
     */
    readonly rotateSecret: (
      id: string,
      secret: string,
      previousExpiresAt: Date,
      at: Date
    ) => Effect.Effect<WebhookEndpointRecord | undefined, StorageError>
    /** Removes the endpoint; false when there was none. */
    readonly remove: (id: string) => Effect.Effect<boolean, StorageError>
    /** Adds `added` to the owners of every endpoint `existing` owns (a key rotated into another); how many. */
    readonly addOwner: (existing: WebhookOwner, added: WebhookOwner) => Effect.Effect<number, StorageError>
  }
>()("pos/application/WebhookEndpoints") {}
