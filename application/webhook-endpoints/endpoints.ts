/**
 * A partner's webhook endpoints, as the partner manages them: each belongs to the key or OAuth
 * client that registered it (and to the keys it was rotated into), and is seen and changed by its
 * owners only; to anyone else it does not exist (404).
 */

import { Clock, Context, Effect } from "effect"
import { InvalidInput, NotFound } from "../../domain/errors.ts"
import { overlapUntil } from "../../domain/secret-rotation.ts"
import {
  isWebhookEndpointId,
  newWebhookEndpointId,
  newWebhookSecret,
  type WebhookEndpointChange,
  type WebhookEndpointRecord,
  type WebhookEventType,
  type WebhookOwner
} from "../../domain/webhook-endpoint.ts"
import { MAX_ROTATION_OVERLAP_SECONDS } from "../admin/api-key-admin.ts"
import { retryDelayMs } from "../orders/delivery-outcome.ts"
import { WebhookDeliveries, type WebhookFinish } from "../ports/webhook-deliveries.ts"
import { WebhookEndpoints } from "../ports/webhook-endpoints.ts"

/**
 * Where webhooks may be sent: the runtime's policy (https to public addresses; loopback only when
 * configured for development). Answers the problem in words, or undefined when the URL may be used.
 */
export class WebhookDestinations extends Context.Service<
  WebhookDestinations,
  { readonly problem: (url: string) => Effect.Effect<string | undefined> }
>()("pos/application/WebhookDestinations") {}

/** How many endpoints one owner may have: enough for every environment of a platform, not a flood. */
export const MAX_ENDPOINTS_PER_OWNER = 20

export const maxDescriptionLength = 500

export interface RegisterInput {
  readonly url: string
  readonly eventTypes: ReadonlyArray<WebhookEventType>
  readonly description: string
}

const checkDestination = Effect.fnUntraced(function* (url: string) {
  const problem = yield* (yield* WebhookDestinations).problem(url)
  if (problem !== undefined) return yield* new InvalidInput({ details: `body.url: ${problem}` })
})

const checkDescription = (description: string) =>
  description.length > maxDescriptionLength
    ? Effect.fail(
        new InvalidInput({
          details: `body.description: at most ${maxDescriptionLength} characters, got ${description.length}`
        })
      )
    : Effect.void

export const registerEndpoint = Effect.fnUntraced(function* (owner: WebhookOwner, input: RegisterInput) {
  const endpoints = yield* WebhookEndpoints
  yield* checkDescription(input.description)
  yield* checkDestination(input.url)
  const owned = yield* endpoints.list(owner)
  if (owned.length >= MAX_ENDPOINTS_PER_OWNER) {
    return yield* new InvalidInput({
      details: `this key or client has ${owned.length} webhook endpoints, the most allowed: delete one first`
    })
  }
  return yield* endpoints.insert({
    id: newWebhookEndpointId(),
    owners: [owner],
    url: input.url,
    eventTypes: [...new Set(input.eventTypes)],
    description: input.description,
    secret: newWebhookSecret(),
    createdAt: new Date(yield* Clock.currentTimeMillis)
  })
})

/** An endpoint its caller owns; any other id (unknown, another owner's, malformed) is the same 404. */
export const ownedEndpoint = Effect.fnUntraced(function* (owner: WebhookOwner, id: string) {
  const endpoint = isWebhookEndpointId(id) ? yield* (yield* WebhookEndpoints).findById(id) : undefined
  if (endpoint === undefined || !endpoint.owners.includes(owner)) {
    return yield* new NotFound({ resource: "webhook endpoint", id })
  }
  return endpoint
})

export const changeEndpoint = Effect.fnUntraced(function* (
  owner: WebhookOwner,
  id: string,
  change: WebhookEndpointChange
) {
  const endpoint = yield* ownedEndpoint(owner, id)
  if (change.description !== undefined) yield* checkDescription(change.description)
  if (change.url !== undefined && change.url !== endpoint.url) yield* checkDestination(change.url)
  // Enabling clears why it was disabled; disabling by its owner says so.
  const reason =
    change.enabled === true
      ? { disabledReason: null }
      : change.enabled === false && endpoint.enabled
        ? { disabledReason: "disabled by its owner" }
        : {}
  const updated = yield* (yield* WebhookEndpoints).update(
    endpoint.id,
    {
      ...change,
      ...(change.eventTypes === undefined ? {} : { eventTypes: [...new Set(change.eventTypes)] }),
      ...reason
    },
    new Date(yield* Clock.currentTimeMillis)
  )
  if (updated === undefined) return yield* new NotFound({ resource: "webhook endpoint", id })
  // Enabled again: what waited for it goes out now, with a day of retries from now.
  if (!endpoint.enabled && updated.enabled) yield* (yield* WebhookDeliveries).resume(updated.id, updated.updatedAt)
  return updated
})

export const removeEndpoint = Effect.fnUntraced(function* (owner: WebhookOwner, id: string) {
  const endpoint = yield* ownedEndpoint(owner, id)
  const removed = yield* (yield* WebhookEndpoints).remove(endpoint.id)
  if (!removed) return yield* new NotFound({ resource: "webhook endpoint", id })
})

/**
 * A new secret, answered once with the endpoint; the old one keeps signing beside it for
 * `overlapSeconds` (0 to 30 days), so the receiver can switch without missing a delivery.
 */
export const rotateEndpointSecret = Effect.fnUntraced(function* (
  owner: WebhookOwner,
  id: string,
  overlapSeconds: number
) {
  if (!Number.isSafeInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > MAX_ROTATION_OVERLAP_SECONDS) {
    return yield* new InvalidInput({
      details: `body.overlapSeconds: must be a whole number from 0 to ${MAX_ROTATION_OVERLAP_SECONDS} (30 days), got ${overlapSeconds}`
    })
  }
  const endpoint = yield* ownedEndpoint(owner, id)
  const now = yield* Clock.currentTimeMillis
  const rotated = yield* (yield* WebhookEndpoints).rotateSecret(
    endpoint.id,
    newWebhookSecret(),
    new Date(now + overlapSeconds * 1000),
    new Date(now)
  )
  if (rotated === undefined) return yield* new NotFound({ resource: "webhook endpoint", id })
  return rotated
})

/** The secrets that sign now: the current one first, the previous one while its overlap lasts. */
export const signingSecrets = (endpoint: WebhookEndpointRecord, now: Date): ReadonlyArray<string> =>
  endpoint.previousSecret !== null && overlapUntil(endpoint, now) !== null
    ? [endpoint.secret, endpoint.previousSecret]
    : [endpoint.secret]

/** How a try of a webhook delivery is followed, from what the endpoint answered. */
export interface WebhookRetryPolicy {
  readonly baseMs: number
  readonly maxMs: number
  /** No try is due later than this after the delivery began trying (its creation, or its redelivery). */
  readonly giveUpMs: number
}

/**
 * What follows a try that ended at `finishedAt`: a 2xx delivers; anything else is retried with
 * capped exponential backoff and full jitter (retryDelayMs, as order deliveries are), the last try
 * no later than `giveUpMs` after the delivery began trying, and a failure at or past that is given up.
 */
export const decideWebhookTry = (
  delivery: { readonly triesSince: number; readonly tryingSince: Date },
  outcome: { readonly statusCode: number | null; readonly error: string | null },
  finishedAt: Date,
  policy: WebhookRetryPolicy,
  random: number
): WebhookFinish => {
  if (outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300) {
    return { _tag: "Delivered" }
  }
  const deadline = delivery.tryingSince.getTime() + policy.giveUpMs
  if (finishedAt.getTime() >= deadline) {
    const last = outcome.error ?? `answered ${outcome.statusCode}`
    return {
      _tag: "GiveUp",
      reason: `every try since ${delivery.tryingSince.toISOString()} failed (${delivery.triesSince} in all); the last: ${last}`
    }
  }
  const retryAt = finishedAt.getTime() + retryDelayMs(policy, delivery.triesSince, random)
  return { _tag: "Retry", dueAt: new Date(Math.min(retryAt, deadline)) }
}
