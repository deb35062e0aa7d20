import { Context } from "effect"

/**
 * Making and checking API-key secrets. Kept behind a port so the application needs no crypto
 * library; the adapter hashes with HMAC-SHA-256 and a server pepper and compares in constant time.
 */
export class KeySecrets extends Context.Service<
  KeySecrets,
  {
    /** A fresh secret of at least 32 base62 characters. */
    readonly generate: () => string
    readonly hash: (secret: string) => string
    /** Constant-time comparison of a presented secret with a stored hash. */
    readonly matches: (secret: string, hash: string) => boolean
  }
>()("pos/application/KeySecrets") {}
