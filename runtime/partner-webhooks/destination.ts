import { lookup } from "node:dns/promises"
import { isIP, isIPv4, isIPv6 } from "node:net"
import { Data, Effect, Result } from "effect"
import { showValue } from "../http/validation-details.ts"

/**
 * Where a partner's webhooks may go. A partner chooses the URL, and the service calls it from inside
 * our network, so a URL that reaches our own machines (the cloud's metadata service, a database on a
 * private address, the service itself on loopback) would let a partner make requests as us. The URL
 * is checked when it is registered (`checkUrl`), and its host's addresses at every delivery
 * (`resolveDestination`), which answers the one address the sender then connects to.
 */

export const maxUrlLength = 2048

export interface DestinationOptions {
  /** Loopback destinations and plain http to them: for local development and tests only. */
  readonly allowLoopback: boolean
}

/** The names of the address ranges a webhook may not reach, as words that read in an error. */
export type RefusedRange =
  | "loopback"
  | "private"
  | "link-local"
  | "carrier-grade NAT"
  | "unspecified"
  | "multicast"
  | "broadcast"
  | "reserved"
  | "unique local"
  | "site-local"
  | "documentation"
  | "benchmarking"
  | "not an IP address"

export type AddressClass =
  | { readonly kind: "public" }
  | { readonly kind: "refused"; readonly range: RefusedRange; readonly block: string }

interface Block {
  readonly prefix: Uint8Array
  readonly bits: number
  readonly range: RefusedRange
  readonly text: string
}

const parseIPv4 = (text: string): Uint8Array | undefined =>
  isIPv4(text) ? Uint8Array.from(text.split("."), Number) : undefined

/** The 16 bytes of an IPv6 address, zone (`%eth0`) left out; undefined when `text` is not one. */
const parseIPv6 = (text: string): Uint8Array | undefined => {
  const address = text.replace(/%.*$/, "")
  if (!isIPv6(address)) return undefined
  const groups = (part: string): Array<number> =>
    part === ""
      ? []
      : part.split(":").flatMap((piece) => {
          const v4 = parseIPv4(piece)
          return v4 === undefined ? [Number.parseInt(piece, 16)] : [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!]
        })
  const [head = "", tail] = address.split("::")
  const front = groups(head)
  const back = tail === undefined ? [] : groups(tail)
  const all = [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back]
  return Uint8Array.from(all.flatMap((group) => [group >> 8, group & 0xff]))
}

const block = (cidr: string, range: RefusedRange): Block => {
  const [network = "", bits = ""] = cidr.split("/")
  const prefix = parseIPv4(network) ?? parseIPv6(network)
  if (prefix === undefined) throw new Error(`not a network: ${cidr}`)
  return { prefix, bits: Number(bits), range, text: cidr }
}

const within = (bytes: Uint8Array, { prefix, bits }: Block): boolean => {
  if (bytes.length !== prefix.length) return false
  for (let bit = 0; bit < bits; bit += 8) {
    const mask = bits - bit >= 8 ? 0xff : (0xff << (8 - (bits - bit))) & 0xff
    if ((bytes[bit / 8]! & mask) !== (prefix[bit / 8]! & mask)) return false
  }
  return true
}

/** IANA's special-purpose IPv4 registry, less the few blocks that are globally reachable anycast. */
const ipv4Blocks: ReadonlyArray<Block> = [
  block("0.0.0.0/8", "unspecified"),
  block("10.0.0.0/8", "private"),
  block("100.64.0.0/10", "carrier-grade NAT"),
  block("127.0.0.0/8", "loopback"),
  block("169.254.0.0/16", "link-local"),
  block("172.16.0.0/12", "private"),
  block("192.0.0.0/24", "reserved"),
  block("192.0.2.0/24", "documentation"),
  block("192.88.99.0/24", "reserved"),
  block("192.168.0.0/16", "private"),
  block("198.18.0.0/15", "benchmarking"),
  block("198.51.100.0/24", "documentation"),
  block("203.0.113.0/24", "documentation"),
  block("224.0.0.0/4", "multicast"),
  block("255.255.255.255/32", "broadcast"),
  block("240.0.0.0/4", "reserved")
]

const unspecified6 = block("::/128", "unspecified")
const loopback6 = block("::1/128", "loopback")

const ipv6Blocks: ReadonlyArray<Block> = [
  block("64:ff9b:1::/48", "private"),
  block("100::/64", "reserved"),
  // IETF protocol assignments, Teredo among them: none is a place a partner's server lives.
  block("2001::/23", "reserved"),
  block("2001:db8::/32", "documentation"),
  block("3fff::/20", "documentation"),
  block("fc00::/7", "unique local"),
  block("fe80::/10", "link-local"),
  block("fec0::/10", "site-local"),
  block("ff00::/8", "multicast")
]

/**
 * IPv6 forms that carry an IPv4 address, and the bytes where it sits: connecting to one reaches the
 * IPv4 address (directly, or through a translator), so it is judged as that address.
 */
const ipv4Carriers: ReadonlyArray<{ readonly block: Block; readonly at: number; readonly form: string }> = [
  { block: block("::ffff:0:0/96", "reserved"), at: 12, form: "IPv4-mapped" },
  { block: block("64:ff9b::/96", "reserved"), at: 12, form: "NAT64" },
  { block: block("::/96", "reserved"), at: 12, form: "IPv4-compatible" },
  { block: block("2002::/16", "reserved"), at: 2, form: "6to4" }
]

/** Only 2000::/3 is allocated for global unicast; everything else is reserved by IANA. */
const globalUnicast = block("2000::/3", "reserved")

const classifyIPv4 = (bytes: Uint8Array): AddressClass => {
  const found = ipv4Blocks.find((candidate) => within(bytes, candidate))
  return found === undefined ? { kind: "public" } : { kind: "refused", range: found.range, block: found.text }
}

/**
 * Whether an IP address (as text, IPv4 or IPv6) is public, or else the refused range it falls in and
 * that range's block. An IPv6 address carrying an IPv4 one (`::ffff:10.0.0.1`) is judged as the
 * IPv4 address, since that is what a connection to it reaches.
 */
export const classifyAddress = (ip: string): AddressClass => {
  const v4 = parseIPv4(ip)
  if (v4 !== undefined) return classifyIPv4(v4)
  const v6 = parseIPv6(ip)
  if (v6 === undefined) return { kind: "refused", range: "not an IP address", block: "" }
  for (const exact of [unspecified6, loopback6]) {
    if (within(v6, exact)) return { kind: "refused", range: exact.range, block: exact.text }
  }
  for (const carrier of ipv4Carriers) {
    if (!within(v6, carrier.block)) continue
    const inner = classifyIPv4(v6.subarray(carrier.at, carrier.at + 4))
    return inner.kind === "public"
      ? inner
      : { kind: "refused", range: inner.range, block: `${inner.block} as ${carrier.form} ${carrier.block.text}` }
  }
  const found = ipv6Blocks.find((candidate) => within(v6, candidate))
  if (found !== undefined) return { kind: "refused", range: found.range, block: found.text }
  return within(v6, globalUnicast)
    ? { kind: "public" }
    : { kind: "refused", range: "reserved", block: "outside 2000::/3" }
}

/** `a private address (10.0.0.0/8)`: what a refused address is, to follow `10.0.0.1 is` or `10.0.0.1,`. */
export const rangeText = (found: Extract<AddressClass, { kind: "refused" }>): string =>
  found.range === "not an IP address"
    ? found.range
    : `${found.range === "unspecified" ? "an" : "a"} ${found.range} address (${found.block})`

/** The URL's host without the brackets of an IPv6 literal, and without a final dot. */
const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "")

/** `localhost`, `*.localhost` (RFC 6761 keeps them on the machine), or a loopback address. */
const isLoopbackHost = (host: string): boolean =>
  isIP(host) === 0
    ? host === "localhost" || host.endsWith(".localhost")
    : (() => {
        const found = classifyAddress(host)
        return found.kind === "refused" && found.range === "loopback"
      })()

const problem = (text: string, shown: string) => Result.fail(`${text}, got ${showValue(shown)}`)

/**
 * The rules a webhook URL must follow, on its text alone: an absolute https URL (http only to a
 * loopback host, and only with `allowLoopback`), without a user name or password (they would be
 * stored and logged with the URL), without a fragment (never sent, so surely a mistake), at most
 * 2048 characters, any port. The problem is in words to follow the field's name (`body.url: ...`),
 * with the value cut short, and its user name and password left out.
 */
export const checkUrl = (raw: string, options: DestinationOptions): Result.Result<URL, string> => {
  if (raw.length > maxUrlLength) return problem(`must be at most ${maxUrlLength} characters`, raw)
  if (/[\s\p{Cc}]/u.test(raw)) return problem("must not contain spaces or control characters", raw)
  if (!URL.canParse(raw)) return problem("must be an absolute URL", raw)
  const url = new URL(raw)
  if (url.protocol === "http:") {
    if (!(options.allowLoopback && isLoopbackHost(hostOf(url)))) return problem("must be an https URL", raw)
  } else if (url.protocol !== "https:") return problem("must be an https URL", raw)
  if (url.username !== "" || url.password !== "") {
    return problem("must not carry a user name or password", `${url.protocol}//...@${url.host}${url.pathname}`)
  }
  if (raw.includes("#")) return problem("must not have a fragment (#...)", raw)
  return Result.succeed(url)
}

/** The addresses a host name resolves to. */
export type Resolver = (host: string) => Promise<ReadonlyArray<{ readonly address: string; readonly family: 4 | 6 }>>

/** The operating system's resolver (`/etc/hosts`, then DNS), as every other connection of the process. */
export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true })).map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }))

/** The URL breaks a rule, or its host is or resolves to an address a webhook may not reach. `reason` is in words. */
export class DestinationRefused extends Data.TaggedError("DestinationRefused")<{ readonly reason: string }> {}

/** The host did not resolve (no such name, or the resolver failed): perhaps only for now. */
export class DestinationUnresolved extends Data.TaggedError("DestinationUnresolved")<{
  readonly host: string
  readonly reason: string
}> {}

/** Where to connect for one delivery. */
export interface Destination {
  readonly url: URL
  /** The host as the URL names it (no brackets): the TLS server name and the Host header. */
  readonly host: string
  /** The checked address to connect to, and no other. */
  readonly address: string
  readonly family: 4 | 6
}

const failureCode = (cause: unknown): string => {
  const code = (cause as { code?: unknown } | null)?.code
  return typeof code === "string" ? code : cause instanceof Error ? cause.message : String(cause)
}

/**
 * Checks the URL, then resolves its host once (an IP literal is taken as it is) and answers the first
 * address, provided EVERY address is public: a name with one private address among public ones is
 * refused, since which one a later lookup picks is not ours to decide. The caller connects to the
 * address answered, never to the name, so a DNS answer that changes between this check and the
 * connection (rebinding) cannot send the request elsewhere. Loopback passes only with
 * `allowLoopback`, and plain http only to loopback addresses. No time limit of its own: the caller
 * bounds the whole delivery.
 */
export const resolveDestination = Effect.fnUntraced(function* (
  raw: string,
  options: DestinationOptions & { readonly resolver: Resolver }
): Effect.fn.Return<Destination, DestinationRefused | DestinationUnresolved> {
  const checked = checkUrl(raw, options)
  if (Result.isFailure(checked)) return yield* new DestinationRefused({ reason: `the URL ${checked.failure}` })
  const url = checked.success
  const host = hostOf(url)
  const family = isIP(host)
  const addresses =
    family === 4 || family === 6
      ? [{ address: host, family }]
      : yield* Effect.tryPromise({
          try: () => options.resolver(host),
          catch: (cause) =>
            new DestinationUnresolved({ host, reason: `${host} did not resolve (${failureCode(cause)})` })
        })
  const first = addresses[0]
  if (first === undefined) {
    return yield* new DestinationUnresolved({ host, reason: `${host} resolved to no address` })
  }
  const named = (address: string) => (family === 0 ? `${host} resolves to ${address},` : `${address} is`)
  for (const { address } of addresses) {
    const found = classifyAddress(address)
    const loopbackAllowed = found.kind === "refused" && found.range === "loopback" && options.allowLoopback
    if (found.kind === "refused" && !loopbackAllowed) {
      return yield* new DestinationRefused({ reason: `${named(address)} ${rangeText(found)}` })
    }
    if (url.protocol === "http:" && !loopbackAllowed) {
      return yield* new DestinationRefused({
        reason: `${named(address)} not loopback, and plain http is only for loopback`
      })
    }
  }
  return { url, host, address: first.address, family: isIPv6(first.address) ? 6 : 4 }
})
