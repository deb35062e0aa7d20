/**
 * A rotated secret (an OAuth client's, a webhook endpoint's) keeps working beside the new one for an
 * overlap: until when it still does, or null once the overlap is over (or there was none).
 */
export const overlapUntil = (rotated: { readonly previousSecretExpiresAt: Date | null }, now: Date): Date | null =>
  rotated.previousSecretExpiresAt !== null && rotated.previousSecretExpiresAt.getTime() > now.getTime()
    ? rotated.previousSecretExpiresAt
    : null
