/**
 * Credentials rewritten for the leak and forgery checks. The rule: a string leaf is
 *   - URL-shaped (`http(s)://...`): a base URL, not a secret. Its scheme and host are replaced by a
 *     loopback server the kit runs (or a dead port), its path and query kept; a password in it
 *     (`https://user:password@host`) is a secret and becomes a canary;
 *   - secret-looking, by its field's name (secret, token, password, key, auth, signature, private,
 *     credential, cookie, session, bearer): it becomes a canary, `canary-` and 24 random hex digits,
 *     or, when the plugin's Schema refuses that, a random string of the same shape (each letter and
 *     digit replaced by a random one of its kind, punctuation kept, then also a leading `sk_` kept);
 *     when the Schema refuses all of them, the secret is kept and looked for as it is;
 *   - anything else (ids, names, regions) is kept: ids may rightly appear in URLs and messages.
 * Numbers, booleans and nulls are kept. Values inside `Redacted` are rewritten by the same rule.
 */
import type { PosCredentials } from "@pos-integration/sdk"
import { Redacted, Schema } from "effect"

const secretName = /secret|token|passw|pwd|key|auth|signature|private|credential|cookie|session|bearer/i

const hex = (bytes: number): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("")

/** A fresh canary: a string no plugin can produce unless it shows the credential it was given. */
export const newCanary = (): string => `canary-${hex(12)}`

const randomOf = (alphabet: string): string =>
  alphabet[crypto.getRandomValues(new Uint32Array(1))[0]! % alphabet.length]!

const lower = "abcdefghijklmnopqrstuvwxyz"
const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

/**
 * The same length and punctuation, every letter and digit replaced by a random one of its kind (a
 * hex digit where the sample's letters are all hex digits). With `keepPrefix`, a leading `sk_` or
 * `whk-` (letters and digits up to the first `_` or `-`) is kept as it is.
 */
export const sameShape = (original: string, keepPrefix = false): string => {
  const prefix = keepPrefix ? (/^[A-Za-z0-9]{1,8}[_-]/.exec(original)?.[0] ?? "") : ""
  const rest = original.slice(prefix.length)
  const lowers = /[g-z]/.test(rest) ? lower : "abcdef"
  const uppers = /[G-Z]/.test(rest) ? upper : "ABCDEF"
  for (;;) {
    const shaped =
      prefix +
      rest
        .replace(/[a-z]/g, () => randomOf(lowers))
        .replace(/[A-Z]/g, () => randomOf(uppers))
        .replace(/[0-9]/g, () => randomOf("0123456789"))
    if (shaped !== original || !/[A-Za-z0-9]/.test(rest)) return shaped
  }
}

const urlShape = /^https?:\/\/\S+$/i
const isUrlShaped = (text: string): boolean => urlShape.test(text) && URL.canParse(text)

/** The URL with its scheme and host (and port) replaced by `base`'s, its password by `password`; path and query kept. */
export const rebaseUrl = (original: string, base: string, password: string | null): string => {
  const afterScheme = original.indexOf("//") + 2
  const rest = original.slice(afterScheme)
  const end = rest.search(/[/?#]/)
  const authority = end === -1 ? rest : rest.slice(0, end)
  const tail = end === -1 ? "" : rest.slice(end)
  const at = authority.lastIndexOf("@")
  const userinfo = at === -1 ? "" : authority.slice(0, at)
  const user = userinfo.split(":")[0] ?? ""
  const target = new URL(base)
  const credentials = at === -1 ? "" : password === null ? `${userinfo}@` : `${user}:${password}@`
  return `${target.protocol}//${credentials}${target.host}${tail}`
}

type Segment = string | number | { readonly redacted: true }

interface Leaf {
  readonly path: ReadonlyArray<Segment>
  /** The name of the field holding it (an array's items take their array's name). */
  readonly field: string
  readonly text: string
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== "object") return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const leavesOf = (value: unknown, path: ReadonlyArray<Segment> = [], field = ""): Array<Leaf> => {
  if (typeof value === "string") return [{ path, field, text: value }]
  if (Redacted.isRedacted(value)) return leavesOf(Redacted.value(value), [...path, { redacted: true }], field)
  if (Array.isArray(value)) return value.flatMap((item, index) => leavesOf(item, [...path, index], field))
  if (isPlainObject(value)) return Object.entries(value).flatMap(([key, item]) => leavesOf(item, [...path, key], key))
  return []
}

const replaceAt = (value: unknown, path: ReadonlyArray<Segment>, text: string): unknown => {
  const [head, ...rest] = path
  if (head === undefined) return text
  if (typeof head === "object") return Redacted.make(replaceAt(Redacted.value(value as Redacted.Redacted), rest, text))
  if (Array.isArray(value)) return value.map((item, index) => (index === head ? replaceAt(item, rest, text) : item))
  const record = value as Record<string, unknown>
  return { ...record, [head]: replaceAt(record[head], rest, text) }
}

const pathText = (level: string, path: ReadonlyArray<Segment>): string =>
  [level, ...path.filter((s): s is string | number => typeof s !== "object")].join(".")

/** One level of credentials rewritten: each leaf gets the first candidate the Schema accepts, or is kept. */
const rewriteLevel = <C>(
  level: "outlet" | "account",
  value: C | null,
  schema: Schema.Top | null,
  candidates: (leaf: Leaf) => ReadonlyArray<string>
): { value: C | null; replaced: Array<{ path: string; from: string; to: string }>; refused: Array<string> } => {
  const replaced: Array<{ path: string; from: string; to: string }> = []
  const refused: Array<string> = []
  if (value === null) return { value, replaced, refused }
  const accepts = (candidate: unknown) => schema === null || Schema.is(schema)(candidate)
  let current: unknown = value
  for (const leaf of leavesOf(value)) {
    const options = candidates(leaf)
    if (options.length === 0) continue
    const chosen = options
      .filter((to) => to !== leaf.text)
      .map((to) => ({ to, next: replaceAt(current, leaf.path, to) }))
      .find(({ next }) => accepts(next))
    if (chosen === undefined) {
      refused.push(pathText(level, leaf.path))
      continue
    }
    current = chosen.next
    replaced.push({ path: pathText(level, leaf.path), from: leaf.text, to: chosen.to })
  }
  return { value: current as C, replaced, refused }
}

export interface CredentialSchemas {
  readonly outlet: Schema.Top
  readonly account: Schema.Top | null
}

export interface CanaryCredentials<Outlet, Account> {
  readonly credentials: PosCredentials<Outlet, Account>
  /** The values no output may contain: the canaries, and the secrets the Schema would not let the kit replace. */
  readonly canaries: ReadonlyArray<string>
  /** Where canaries went, for messages. */
  readonly paths: ReadonlyArray<string>
}

/** The credentials with every secret-looking leaf a canary and every URL pointing at `baseUrl` (see the rule above). */
export const canaryCredentials = <Outlet, Account>(
  sample: PosCredentials<Outlet, Account>,
  schemas: CredentialSchemas,
  baseUrl: string
): CanaryCredentials<Outlet, Account> => {
  const canaries: Array<string> = []
  const paths: Array<string> = []
  const candidates = (leaf: Leaf): ReadonlyArray<string> => {
    if (isUrlShaped(leaf.text)) {
      const hasPassword = new URL(leaf.text).password !== ""
      const password = hasPassword ? newCanary() : null
      return [rebaseUrl(leaf.text, baseUrl, password)]
    }
    if (secretName.test(leaf.field)) return [newCanary(), sameShape(leaf.text), sameShape(leaf.text, true)]
    return []
  }
  const levels = (["outlet", "account"] as const).map((level) => {
    const rewritten = rewriteLevel(level, sample[level], schemas[level], candidates)
    for (const { path, from, to } of rewritten.replaced) {
      if (isUrlShaped(from)) {
        const password = new URL(to).password
        if (password !== "") {
          canaries.push(decodeURIComponent(password))
          paths.push(`${path} (its password)`)
        }
      } else {
        canaries.push(to)
        paths.push(path)
      }
    }
    // A secret the Schema would not let the kit replace is looked for as it is, when long enough to be told apart.
    for (const path of rewritten.refused) {
      const leaf = leavesOf(sample[level]).find((l) => pathText(level, l.path) === path)
      if (leaf !== undefined && leaf.text.length >= 8) {
        canaries.push(leaf.text)
        paths.push(`${path} (as set)`)
      }
    }
    return rewritten.value
  })
  return {
    credentials: { outlet: levels[0] as Outlet | null, account: levels[1] as Account | null },
    canaries,
    paths
  }
}

/** The secret-looking values of credentials as they are (at least 8 characters), to look for in output. */
export const secretsOf = <Outlet, Account>(credentials: PosCredentials<Outlet, Account>): ReadonlyArray<string> => {
  const secrets: Array<string> = []
  for (const level of ["outlet", "account"] as const) {
    for (const leaf of leavesOf(credentials[level])) {
      if (isUrlShaped(leaf.text)) {
        const password = decodeURIComponent(new URL(leaf.text).password)
        if (password.length >= 8) secrets.push(password)
      } else if (secretName.test(leaf.field) && leaf.text.length >= 8) secrets.push(leaf.text)
    }
  }
  return secrets
}

/**
 * Every string of credentials as they are that is long enough to be told apart in output (at least
 * `minLength` characters), ids and names too, with where it sits; but not URL-shaped ones (base
 * URLs, which may rightly show), whose password alone counts. For output that must show none of the
 * credentials it was given, whatever their fields' names.
 */
export const credentialStrings = <Outlet, Account>(
  credentials: PosCredentials<Outlet, Account>,
  minLength: number
): ReadonlyArray<{ readonly path: string; readonly value: string }> =>
  (["outlet", "account"] as const).flatMap((level) =>
    leavesOf(credentials[level]).flatMap((leaf) => {
      const path = pathText(level, leaf.path)
      const value = isUrlShaped(leaf.text) ? decodeURIComponent(new URL(leaf.text).password) : leaf.text
      if (value.length < minLength) return []
      return [{ path: isUrlShaped(leaf.text) ? `${path} (its password)` : path, value }]
    })
  )

/**
 * Credentials an attacker might hold: every string leaf that is not URL-shaped replaced (with a
 * value the Schema accepts), ids too. Answers how many leaves changed.
 */
export const forgedCredentials = <Outlet, Account>(
  sample: PosCredentials<Outlet, Account>,
  schemas: CredentialSchemas
): { readonly credentials: PosCredentials<Outlet, Account>; readonly changed: number } => {
  const candidates = (leaf: Leaf): ReadonlyArray<string> =>
    isUrlShaped(leaf.text) ? [] : [sameShape(leaf.text), sameShape(leaf.text, true), newCanary(), `${leaf.text}x`]
  const outlet = rewriteLevel("outlet", sample.outlet, schemas.outlet, candidates)
  const account = rewriteLevel("account", sample.account, schemas.account, candidates)
  return {
    credentials: { outlet: outlet.value, account: account.value },
    changed: outlet.replaced.length + account.replaced.length
  }
}

/**
 * The forms a value takes in output: as it is, and inside base64 (a Basic authorization header)
 * at each of the three alignments, without the characters its neighbours would change.
 */
const formsOf = (value: string): ReadonlyArray<string> => {
  const forms = [value]
  const bytes = new TextEncoder().encode(value)
  for (const shift of [0, 1, 2]) {
    const padded = new Uint8Array(shift + bytes.length)
    padded.set(bytes, shift)
    const encoded = Buffer.from(padded).toString("base64").replace(/=+$/, "")
    const stable = encoded.slice(shift === 0 ? 0 : 4, -4)
    if (stable.length >= 12) forms.push(stable)
  }
  return forms
}

/** The canaries found in any of these texts, as they are or base64-encoded. */
export const leaked = (canaries: ReadonlyArray<string>, texts: ReadonlyArray<string>): ReadonlyArray<string> =>
  canaries.filter((canary) => formsOf(canary).some((form) => texts.some((text) => text.includes(form))))
