import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { makeCredentialSealer } from "../../crypto/credential-sealer.ts"
import { credentialsKeyFileName, dataDirKeyRing } from "./credentials-key-file.ts"

const dirs: Array<string> = []
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "pos-keyfile-"))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe("the data directory's credentials key", () => {
  it("is made once, readable by its owner only, and the same key on every later start", async () => {
    const dir = freshDir()
    const first = await Effect.runPromise(dataDirKeyRing(dir, true))
    const path = join(dir, credentialsKeyFileName)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readFileSync(path, "utf8")).toMatch(/^local-[0-9a-f]{8}:[A-Za-z0-9+/]{43}=\n$/)
    expect(readdirSync(dir)).toEqual([credentialsKeyFileName])
    const again = await Effect.runPromise(dataDirKeyRing(dir, true))
    expect(again?.keys.map((k) => k.id)).toEqual(first?.keys.map((k) => k.id))
    // What the first start sealed, the second opens.
    const sealed = await Effect.runPromise(makeCredentialSealer(first!).seal("secret", "p"))
    expect(await Effect.runPromise(makeCredentialSealer(again!).open(sealed, "p"))).toBe("secret")
    expect(again?.source).toBe(`the key file ${path}`)
  })

  it("is not made when keys are configured, and read when it was made before", async () => {
    const dir = freshDir()
    expect(await Effect.runPromise(dataDirKeyRing(dir, false))).toBeUndefined()
    expect(readdirSync(dir)).toEqual([])
    await Effect.runPromise(dataDirKeyRing(dir, true))
    expect((await Effect.runPromise(dataDirKeyRing(dir, false)))?.keys).toHaveLength(1)
  })

  it("refuses a damaged key file, naming it and never its content", async () => {
    const dir = freshDir()
    writeFileSync(join(dir, credentialsKeyFileName), "local-1:c2hvcnQ=\n")
    const exit = await Effect.runPromise(Effect.exit(dataDirKeyRing(dir, true)))
    expect(Exit.isFailure(exit)).toBe(true)
    const text = JSON.stringify(exit)
    expect(text).toContain(`the key file ${join(dir, credentialsKeyFileName)}: key 'local-1' must be 32 bytes`)
    expect(text).not.toContain("c2hvcnQ")
    // Nothing replaced it: the operator decides.
    expect(readFileSync(join(dir, credentialsKeyFileName), "utf8")).toBe("local-1:c2hvcnQ=\n")
  })
})
