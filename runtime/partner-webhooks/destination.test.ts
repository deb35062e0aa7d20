import { Effect, Result } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  type AddressClass,
  checkUrl,
  classifyAddress,
  type Resolver,
  resolveDestination,
  systemResolver
} from "./destination.ts"

const refused = (ip: string) => {
  const found = classifyAddress(ip)
  return found.kind === "refused" ? found.range : "public"
}

/** A resolver from a fixed table; a name it does not know fails as the system's does. */
const table =
  (answers: Record<string, ReadonlyArray<string>>): Resolver =>
  async (host) => {
    const addresses = answers[host]
    if (addresses === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" })
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }))
  }

const resolve = (url: string, resolver: Resolver, allowLoopback = false) =>
  Effect.runPromise(Effect.result(resolveDestination(url, { resolver, allowLoopback })))

/** The failure's tag and reason, or the address answered. */
const outcome = async (url: string, resolver: Resolver, allowLoopback = false) => {
  const result = await resolve(url, resolver, allowLoopback)
  return Result.isSuccess(result)
    ? { address: result.success.address }
    : { [result.failure._tag]: result.failure.reason }
}

const noLookup: Resolver = () => Promise.reject(new Error("an IP literal is never resolved"))

describe("classifyAddress", () => {
  it("answers public for ordinary internet addresses, IPv4 and IPv6", () => {
    for (const ip of ["93.184.216.34", "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.15.255.255"]) {
      expect(classifyAddress(ip), ip).toEqual({ kind: "public" } satisfies AddressClass)
    }
    for (const ip of ["172.32.0.0", "192.167.255.255", "169.253.255.255", "223.255.255.255", "198.20.0.1"]) {
      expect(refused(ip), ip).toBe("public")
    }
    for (const ip of ["2606:2800:220:1:248:1893:25c8:1946", "2a00:1450:4001:80b::200e", "2001:4860:4860::8888"]) {
      expect(refused(ip), ip).toBe("public")
    }
  })

  it("names the IPv4 range an address is refused for, with its block", () => {
    const cases: ReadonlyArray<readonly [string, string, string]> = [
      ["127.0.0.1", "loopback", "127.0.0.0/8"],
      ["127.255.255.254", "loopback", "127.0.0.0/8"],
      ["10.0.0.1", "private", "10.0.0.0/8"],
      ["10.255.255.255", "private", "10.0.0.0/8"],
      ["172.16.0.1", "private", "172.16.0.0/12"],
      ["172.31.255.255", "private", "172.16.0.0/12"],
      ["192.168.1.1", "private", "192.168.0.0/16"],
      ["169.254.169.254", "link-local", "169.254.0.0/16"],
      ["169.254.0.1", "link-local", "169.254.0.0/16"],
      ["100.64.0.1", "carrier-grade NAT", "100.64.0.0/10"],
      ["100.100.100.200", "carrier-grade NAT", "100.64.0.0/10"],
      ["100.127.255.255", "carrier-grade NAT", "100.64.0.0/10"],
      ["0.0.0.0", "unspecified", "0.0.0.0/8"],
      ["0.1.2.3", "unspecified", "0.0.0.0/8"],
      ["224.0.0.1", "multicast", "224.0.0.0/4"],
      ["239.255.255.250", "multicast", "224.0.0.0/4"],
      ["240.0.0.1", "reserved", "240.0.0.0/4"],
      ["255.255.255.254", "reserved", "240.0.0.0/4"],
      ["255.255.255.255", "broadcast", "255.255.255.255/32"],
      ["192.0.2.10", "documentation", "192.0.2.0/24"],
      ["198.51.100.7", "documentation", "198.51.100.0/24"],
      ["203.0.113.99", "documentation", "203.0.113.0/24"],
      ["198.18.0.1", "benchmarking", "198.18.0.0/15"],
      ["198.19.255.255", "benchmarking", "198.18.0.0/15"],
      ["192.0.0.8", "reserved", "192.0.0.0/24"]
    ]
    for (const [ip, range, block] of cases) expect(classifyAddress(ip), ip).toEqual({ kind: "refused", range, block })
  })

  it("names the IPv6 range an address is refused for", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["::1", "loopback"],
      ["0:0:0:0:0:0:0:1", "loopback"],
      ["::", "unspecified"],
      ["fe80::1", "link-local"],
      ["fe80::1%eth0", "link-local"],
      ["febf:ffff::1", "link-local"],
      ["fc00::1", "unique local"],
      ["fd00:ec2::254", "unique local"],
      ["fec0::1", "site-local"],
      ["ff02::1", "multicast"],
      ["2001:db8::1", "documentation"],
      ["3fff::1", "documentation"],
      ["2001::1", "reserved"],
      ["100::1", "reserved"],
      ["64:ff9b:1::a", "private"],
      ["4000::1", "reserved"],
      ["1::1", "reserved"]
    ]
    for (const [ip, range] of cases) expect(refused(ip), ip).toBe(range)
  })

  it("judges an IPv6 address that carries an IPv4 one as that IPv4 address", () => {
    expect(classifyAddress("::ffff:10.0.0.1")).toEqual({
      kind: "refused",
      range: "private",
      block: "10.0.0.0/8 as IPv4-mapped ::ffff:0:0/96"
    })
    // The same address in hex, as a URL's host shows it.
    expect(refused("::ffff:a00:1")).toBe("private")
    expect(refused("::ffff:127.0.0.1")).toBe("loopback")
    expect(refused("::ffff:169.254.169.254")).toBe("link-local")
    expect(refused("0:0:0:0:0:ffff:c0a8:0101")).toBe("private")
    expect(refused("::ffff:93.184.216.34")).toBe("public")
    expect(refused("::10.0.0.1")).toBe("private")
    expect(refused("::127.0.0.1")).toBe("loopback")
    expect(refused("64:ff9b::10.0.0.1")).toBe("private")
    expect(refused("64:ff9b::a9fe:a9fe")).toBe("link-local")
    expect(refused("64:ff9b::8.8.8.8")).toBe("public")
    expect(refused("2002:a00:1::1")).toBe("private")
    expect(refused("2002:7f00:1::")).toBe("loopback")
    expect(refused("2002:808:808::1")).toBe("public")
  })

  it("judges every IPv4 address the same in its IPv4-mapped, IPv4-compatible and NAT64 forms (property)", () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const range = refused(ip)
        expect(refused(`::ffff:${ip}`)).toBe(range)
        expect(refused(`64:ff9b::${ip}`)).toBe(range)
        if (!ip.startsWith("0.0.0.")) expect(refused(`::${ip}`)).toBe(range)
      })
    )
  })

  it("refuses what is not an IP address", () => {
    for (const text of ["", "localhost", "10.0.0", "10.0.0.256", "::g", "1.2.3.4.5"]) {
      expect(refused(text), text).toBe("not an IP address")
    }
  })
})

describe("checkUrl", () => {
  const ok = (raw: string, allowLoopback = false) => Result.isSuccess(checkUrl(raw, { allowLoopback }))
  const problemOf = (raw: string, allowLoopback = false) => {
    const result = checkUrl(raw, { allowLoopback })
    return Result.isFailure(result) ? result.failure : undefined
  }

  it("accepts an absolute https URL with any port, path and query, and answers it parsed", () => {
    expect(ok("https://hooks.partner.example/pos/orders?tenant=acme")).toBe(true)
    expect(ok("https://hooks.partner.example:8443/")).toBe(true)
    expect(ok("https://93.184.216.34/hooks")).toBe(true)
    const result = checkUrl("https://Hooks.Partner.Example/a", { allowLoopback: false })
    expect(Result.isSuccess(result) && result.success.href).toBe("https://hooks.partner.example/a")
  })

  it("refuses http, other schemes and relative URLs", () => {
    expect(problemOf("http://hooks.partner.example/")).toBe('must be an https URL, got "http://hooks.partner.example/"')
    expect(problemOf("ftp://hooks.partner.example/")).toBe('must be an https URL, got "ftp://hooks.partner.example/"')
    expect(problemOf("file:///etc/passwd")).toMatch(/^must be an https URL/)
    expect(problemOf("javascript:alert(1)")).toMatch(/^must be an https URL/)
    expect(problemOf("/hooks")).toBe('must be an absolute URL, got "/hooks"')
    expect(problemOf("hooks.partner.example/x")).toMatch(/^must be an absolute URL/)
    expect(problemOf("https://")).toMatch(/^must be an absolute URL/)
    expect(problemOf("")).toMatch(/^must be an absolute URL/)
  })

  it("allows plain http to a loopback host only with allowLoopback", () => {
    for (const raw of [
      "http://localhost:3000/",
      "http://127.0.0.1:8080/x",
      "http://[::1]/",
      "http://hooks.localhost/"
    ]) {
      expect(ok(raw, true), raw).toBe(true)
      expect(problemOf(raw, false), raw).toMatch(/^must be an https URL/)
    }
    expect(ok("http://127.9.9.9/", true)).toBe(true)
    expect(problemOf("http://10.0.0.1/", true)).toMatch(/^must be an https URL/)
    expect(problemOf("http://localhost.partner.example/", true)).toMatch(/^must be an https URL/)
    // The text alone is checked: an https loopback URL passes here, and resolution refuses it.
    expect(ok("https://localhost/", false)).toBe(true)
  })

  it("refuses a user name or password, without repeating them", () => {
    const problem = problemOf("https://partner:s3cret@hooks.partner.example/in")
    expect(problem).toBe('must not carry a user name or password, got "https://...@hooks.partner.example/in"')
    expect(problem).not.toContain("s3cret")
    expect(problemOf("https://partner@hooks.partner.example/")).toMatch(/^must not carry a user name or password/)
    expect(problemOf("https://:pw@hooks.partner.example/")).not.toContain("pw")
  })

  it("refuses a fragment, even an empty one", () => {
    expect(problemOf("https://hooks.partner.example/#orders")).toMatch(/^must not have a fragment/)
    expect(problemOf("https://hooks.partner.example/#")).toMatch(/^must not have a fragment/)
  })

  it("refuses more than 2048 characters, showing the value cut short", () => {
    const base = "https://hooks.partner.example/"
    expect(ok(base + "a".repeat(2048 - base.length))).toBe(true)
    const problem = problemOf(base + "a".repeat(2049 - base.length))
    expect(problem).toMatch(/^must be at most 2048 characters, got "https:\/\/hooks\.partner\.example\/a+\.\.\.$/)
    expect(problem!.length).toBeLessThan(100)
  })

  it("refuses spaces and control characters rather than let the parser drop or encode them", () => {
    expect(problemOf(" https://hooks.partner.example/")).toMatch(/^must not contain spaces or control characters/)
    expect(problemOf("https://hooks.partner.example/a b")).toMatch(/^must not contain spaces or control/)
    expect(problemOf("https://hooks.partner\t.example/")).toMatch(/^must not contain spaces or control/)
    expect(problemOf("https://hooks.partner.example/\r\nX: 1")).toMatch(/^must not contain spaces or control/)
  })
})

describe("resolveDestination", () => {
  it("answers the address a public name resolves to, with the URL's host for TLS and Host", async () => {
    const result = await resolve(
      "https://hooks.partner.example:8443/in",
      table({ "hooks.partner.example": ["93.184.216.34"] })
    )
    expect(Result.isSuccess(result)).toBe(true)
    if (Result.isSuccess(result)) {
      expect(result.success).toMatchObject({ host: "hooks.partner.example", address: "93.184.216.34", family: 4 })
      expect(result.success.url.port).toBe("8443")
    }
    expect(
      await outcome("https://v6.partner.example/", table({ "v6.partner.example": ["2606:2800:220:1::1"] }))
    ).toEqual({
      address: "2606:2800:220:1::1"
    })
  })

  it("takes an IP literal as it is, without resolving it", async () => {
    expect(await outcome("https://93.184.216.34/", noLookup)).toEqual({ address: "93.184.216.34" })
    expect(await outcome("https://[2606:2800:220:1::1]/", noLookup)).toEqual({ address: "2606:2800:220:1::1" })
  })

  it("refuses the cloud metadata address, private and mapped private literals, naming the range", async () => {
    expect(await outcome("http://169.254.169.254/", noLookup)).toEqual({
      DestinationRefused: 'the URL must be an https URL, got "http://169.254.169.254/"'
    })
    expect(await outcome("https://169.254.169.254/latest/meta-data/", noLookup)).toEqual({
      DestinationRefused: "169.254.169.254 is a link-local address (169.254.0.0/16)"
    })
    expect(await outcome("http://10.0.0.1/", noLookup)).toEqual({
      DestinationRefused: 'the URL must be an https URL, got "http://10.0.0.1/"'
    })
    expect(await outcome("https://10.0.0.1/", noLookup)).toEqual({
      DestinationRefused: "10.0.0.1 is a private address (10.0.0.0/8)"
    })
    expect(await outcome("https://[::ffff:10.0.0.1]/", noLookup)).toEqual({
      DestinationRefused: "::ffff:a00:1 is a private address (10.0.0.0/8 as IPv4-mapped ::ffff:0:0/96)"
    })
    expect(await outcome("https://0.0.0.0/", noLookup)).toEqual({
      DestinationRefused: "0.0.0.0 is an unspecified address (0.0.0.0/8)"
    })
    // The URL parser reads other spellings of an IPv4 address; they are judged as the address they are.
    expect(await outcome("https://0xa9.0xfe.0xa9.0xfe/", noLookup)).toMatchObject({
      DestinationRefused: expect.stringContaining("link-local")
    })
    expect(await outcome("https://2130706433/", noLookup)).toMatchObject({
      DestinationRefused: expect.stringContaining("loopback")
    })
  })

  it("refuses an https name that resolves to a private, loopback or mapped private address", async () => {
    const resolver = table({
      "private.partner.example": ["10.1.2.3"],
      "loop.partner.example": ["127.0.0.1"],
      "mapped.partner.example": ["::ffff:192.168.0.10"],
      "metadata.partner.example": ["169.254.169.254"]
    })
    expect(await outcome("https://private.partner.example/", resolver)).toEqual({
      DestinationRefused: "private.partner.example resolves to 10.1.2.3, a private address (10.0.0.0/8)"
    })
    expect(await outcome("https://loop.partner.example/", resolver)).toEqual({
      DestinationRefused: "loop.partner.example resolves to 127.0.0.1, a loopback address (127.0.0.0/8)"
    })
    expect(await outcome("https://mapped.partner.example/", resolver)).toEqual({
      DestinationRefused:
        "mapped.partner.example resolves to ::ffff:192.168.0.10, a private address (192.168.0.0/16 as IPv4-mapped ::ffff:0:0/96)"
    })
    expect(await outcome("https://metadata.partner.example/", resolver)).toMatchObject({
      DestinationRefused: expect.stringContaining("link-local")
    })
  })

  it("refuses a name when ANY of its addresses is not public, whatever their order", async () => {
    const resolver = table({
      "mixed.partner.example": ["93.184.216.34", "10.0.0.1"],
      "mixed6.partner.example": ["2606:2800:220:1::1", "fd12::1"]
    })
    expect(await outcome("https://mixed.partner.example/", resolver)).toEqual({
      DestinationRefused: "mixed.partner.example resolves to 10.0.0.1, a private address (10.0.0.0/8)"
    })
    expect(await outcome("https://mixed6.partner.example/", resolver)).toMatchObject({
      DestinationRefused: expect.stringContaining("unique local")
    })
  })

  it("refuses, on its next resolution, a name rebound from a public address to a private one", async () => {
    const answers = [["93.184.216.34"], ["10.0.0.1"]]
    let calls = 0
    const rebinding: Resolver = async () => (answers[calls++] ?? []).map((address) => ({ address, family: 4 as const }))
    expect(await outcome("https://rebind.partner.example/", rebinding)).toEqual({ address: "93.184.216.34" })
    expect(await outcome("https://rebind.partner.example/", rebinding)).toEqual({
      DestinationRefused: "rebind.partner.example resolves to 10.0.0.1, a private address (10.0.0.0/8)"
    })
    expect(calls).toBe(2)
  })

  it("allows loopback only with allowLoopback, and plain http only to loopback addresses", async () => {
    const resolver = table({ localhost: ["127.0.0.1", "::1"], "hooks.localhost": ["93.184.216.34"] })
    expect(await outcome("http://localhost:3000/", resolver, true)).toEqual({ address: "127.0.0.1" })
    expect(await outcome("https://localhost:3000/", resolver, true)).toEqual({ address: "127.0.0.1" })
    expect(await outcome("http://[::1]:3000/", noLookup, true)).toEqual({ address: "::1" })
    expect(await outcome("https://localhost:3000/", resolver, false)).toEqual({
      DestinationRefused: "localhost resolves to 127.0.0.1, a loopback address (127.0.0.0/8)"
    })
    expect(await outcome("https://[::1]/", noLookup, false)).toEqual({
      DestinationRefused: "::1 is a loopback address (::1/128)"
    })
    expect(await outcome("http://localhost:3000/", resolver, false)).toMatchObject({
      DestinationRefused: expect.stringContaining("must be an https URL")
    })
    // A loopback-looking name that resolves elsewhere gets no plain http.
    expect(await outcome("http://hooks.localhost/", resolver, true)).toEqual({
      DestinationRefused: "hooks.localhost resolves to 93.184.216.34, not loopback, and plain http is only for loopback"
    })
    // allowLoopback opens loopback, and nothing else that is refused.
    expect(await outcome("https://10.0.0.1/", noLookup, true)).toMatchObject({
      DestinationRefused: expect.stringContaining("private")
    })
  })

  it("says when a name does not resolve, or resolves to nothing", async () => {
    expect(await outcome("https://nowhere.partner.example/", table({}))).toEqual({
      DestinationUnresolved: "nowhere.partner.example did not resolve (ENOTFOUND)"
    })
    expect(await outcome("https://empty.partner.example/", table({ "empty.partner.example": [] }))).toEqual({
      DestinationUnresolved: "empty.partner.example resolved to no address"
    })
  })

  it("refuses a resolver's answer that is not an IP address", async () => {
    expect(await outcome("https://odd.partner.example/", table({ "odd.partner.example": ["not-an-ip"] }))).toEqual({
      DestinationRefused: "odd.partner.example resolves to not-an-ip, not an IP address"
    })
  })

  it("resolves with the system resolver by default: localhost is loopback there too", async () => {
    expect(await outcome("https://localhost/", systemResolver)).toMatchObject({
      DestinationRefused: expect.stringContaining("loopback")
    })
  })
})
