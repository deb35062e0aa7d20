import { execFile } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { type DocumentSettings, openApiDocument } from "../../runtime/http/openapi-document.ts"

/**
 * Lints the served OpenAPI document with Redocly (redocly.yaml: `recommended`) for the two kinds of
 * deployment whose documents differ: a local one (no BASE_PATH, localhost) and one behind a domain
 * and a BASE_PATH. Used by `npm run lint:openapi` and by the contract test.
 */

const root = fileURLToPath(new URL("../../", import.meta.url))
const redocly = join(root, "node_modules", ".bin", "redocly")

export const deployments: Record<string, DocumentSettings> = {
  local: { basePath: "", baseDomain: "localhost" },
  hosted: { basePath: "/service/pos-integration", baseDomain: "pos.example.org" }
}

export interface LintProblem {
  readonly document: string
  readonly severity: string
  readonly ruleId: string
  readonly message: string
  readonly where: string
}

interface RedoclyJson {
  readonly totals: { readonly errors: number; readonly warnings: number }
  readonly problems: ReadonlyArray<{
    readonly ruleId: string
    readonly severity: string
    readonly message: string
    readonly location: ReadonlyArray<{ readonly pointer?: string }>
  }>
}

const run = promisify(execFile)

export const lintOpenApi = async (): Promise<ReadonlyArray<LintProblem>> => {
  const dir = await mkdtemp(join(tmpdir(), "pos-openapi-"))
  try {
    const problems: Array<LintProblem> = []
    for (const [name, settings] of Object.entries(deployments)) {
      const file = join(dir, `${name}.json`)
      await writeFile(file, JSON.stringify(openApiDocument(settings), null, 2))
      // Redocly exits 1 on errors, 0 with warnings only: read its JSON report either way.
      const output = await run(redocly, ["lint", file, "--config", join(root, "redocly.yaml"), "--format=json"], {
        cwd: root,
        env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
        maxBuffer: 64 * 1024 * 1024
      }).catch((error: { stdout?: string; stderr?: string }) => {
        if (error.stdout === undefined || error.stdout === "") throw error
        return { stdout: error.stdout }
      })
      const report = JSON.parse(output.stdout) as RedoclyJson
      for (const p of report.problems) {
        problems.push({
          document: name,
          severity: p.severity,
          ruleId: p.ruleId,
          message: p.message,
          where: p.location[0]?.pointer ?? ""
        })
      }
    }
    return problems
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export const formatProblems = (problems: ReadonlyArray<LintProblem>) =>
  problems.map((p) => `${p.document}: ${p.severity} ${p.ruleId} at ${p.where}: ${p.message}`).join("\n")

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = await lintOpenApi()
  if (problems.length > 0) {
    console.error(formatProblems(problems))
    process.exit(1)
  }
  console.log(`OpenAPI document: no Redocly errors or warnings (${Object.keys(deployments).join(", ")})`)
}
