import { execFile } from "node:child_process"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { servedDocument } from "./served-document.ts"

/**
 * A partner's generated client: openapi-typescript turns the served document into types, and
 * test/openapi-client/usage.ts, which calls every operation through openapi-fetch, must typecheck
 * against them (TypeScript 5: openapi-typescript 7 needs its `ts.factory`, gone in TypeScript 7).
 */

const clientPackage = fileURLToPath(new URL("../openapi-client/", import.meta.url))
const bin = (name: string) => join(clientPackage, "node_modules", ".bin", name)
const run = promisify(execFile)

/** tsc's exit code and output for the package's tsconfig with `#openapi` pointing at `types`. */
const typecheck = async (dir: string, types: string, files: ReadonlyArray<string>) => {
  const config = join(dir, `tsconfig-${files.length}-${Date.now()}.json`)
  await writeFile(
    config,
    JSON.stringify({
      extends: join(clientPackage, "tsconfig.json"),
      compilerOptions: { paths: { "#openapi": [types] } },
      files
    })
  )
  return run(bin("tsc"), ["-p", config, "--pretty", "false"], { cwd: clientPackage }).then(
    () => ({ code: 0, output: "" }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? 1,
      output: `${error.stdout ?? ""}${error.stderr ?? ""}`
    })
  )
}

describe("a client generated from the served document", () => {
  let dir: string
  let types: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pos-openapi-client-"))
    const document = join(dir, "openapi.json")
    types = join(dir, "openapi.ts")
    const { document: served } = await servedDocument({ basePath: "/service/pos-integration" })
    await writeFile(document, JSON.stringify(served))
    await run(bin("openapi-typescript"), [document, "--output", types], { cwd: clientPackage })
  }, 120_000)
  afterAll(() => (dir === undefined ? undefined : rm(dir, { recursive: true, force: true })))

  it("typechecks a script that uses every operation (and refuses what the document refuses)", async () => {
    const { code, output } = await typecheck(dir, types, [join(clientPackage, "usage.ts")])
    expect(output).toBe("")
    expect(code).toBe(0)
  }, 120_000)

  it("fails the typecheck of misuse.ts on each refused line: the check can fail", async () => {
    const misuse = join(clientPackage, "misuse.ts")
    const lines = (await readFile(misuse, "utf8")).split("\n")
    const refused = lines.flatMap((_, i) => (lines[i - 1]?.startsWith("// refused:") ? [i + 1] : []))
    const { code, output } = await typecheck(dir, types, [misuse])
    expect(code).not.toBe(0)
    expect(refused).toHaveLength(2)
    const failing = [...output.matchAll(/misuse\.ts\((\d+),\d+\): error TS\d+/g)].map((m) => Number(m[1]))
    expect([...new Set(failing)].sort()).toEqual(refused)
  }, 120_000)
})
