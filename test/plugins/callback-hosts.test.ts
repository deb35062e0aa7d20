import { manifestFrom } from "@pos-integration/sdk"
import { describe, expect, it } from "vitest"
import deliverectPackage from "../../plugins/deliverect/package.json" with { type: "json" }
import { callbackAllowed, callbackHosts } from "../../runtime/http/catalog-handlers.ts"

const deliverect = manifestFrom(deliverectPackage.manifest)
const withoutHosts = manifestFrom({ ...deliverectPackage.manifest, id: "tinypos", callbackHosts: undefined })

describe("where a sync callback named in a POS payload may go", () => {
  it("to the vendor's own hosts, as its plugin's manifest declares them, with no configuration", () => {
    expect(callbackAllowed("https://api.deliverect.com/menuUpdate/1", callbackHosts(deliverect, []))).toBe(true)
    expect(callbackAllowed("https://api.staging.deliverect.io/x", callbackHosts(deliverect, []))).toBe(true)
  })

  it("nowhere else: internal addresses, look-alike domains, other schemes", () => {
    const hosts = callbackHosts(deliverect, [])
    for (const url of [
      "http://169.254.169.254/latest/meta-data",
      "http://127.0.0.1:8080/admin",
      "https://deliverect.com.evil.example/x",
      "https://evildeliverect.com/x",
      "ftp://api.deliverect.com/x",
      "not a url"
    ]) {
      expect(callbackAllowed(url, hosts), url).toBe(false)
    }
  })

  it("a plugin that declares no hosts may call back only where the operator allows", () => {
    expect(callbackHosts(withoutHosts, [])).toEqual([])
    expect(callbackAllowed("https://api.deliverect.com/x", callbackHosts(withoutHosts, []))).toBe(false)
    expect(callbackAllowed("https://pos.internal/x", callbackHosts(withoutHosts, ["pos.internal"]))).toBe(true)
  })

  it("a manifest's hosts must be host names or *. and a domain", () => {
    for (const bad of ["*.Deliverect.com", "https://api.deliverect.com", "*.", "api.deliverect.com/path", "*"]) {
      expect(() => manifestFrom({ ...deliverectPackage.manifest, callbackHosts: [bad] }), bad).toThrow()
    }
  })
})
