import { readFileSync } from "node:fs"
import { join } from "node:path"
import { endpointFileName, type LocalEndpoint, localCliPath } from "../http/local-admin.ts"
import type { CliOutcome } from "./captured-run.ts"

/** The running service's endpoint from the data directory, or undefined when there is none (or it is unreadable). */
export const readLocalEndpoint = (dataDir: string): LocalEndpoint | undefined => {
  let text: string
  try {
    text = readFileSync(join(dataDir, endpointFileName), "utf8")
  } catch {
    return undefined
  }
  try {
    const parsed = JSON.parse(text) as Partial<LocalEndpoint>
    return typeof parsed.url === "string" && typeof parsed.token === "string" && typeof parsed.pid === "number"
      ? { url: parsed.url, token: parsed.token, pid: parsed.pid }
      : undefined
  } catch {
    return undefined
  }
}

/**
 * Runs the command in the running service. Undefined when no service answers with this token (the
 * file is left over from a service that stopped without removing it, or belongs to another run):
 * the CLI then works on the data directory itself, as without a service.
 */
export const runInService = async (
  endpoint: LocalEndpoint,
  argv: ReadonlyArray<string>
): Promise<CliOutcome | undefined> => {
  let response: Response
  try {
    response = await fetch(`${endpoint.url}${localCliPath}`, {
      method: "POST",
      headers: { authorization: `Bearer ${endpoint.token}`, "content-type": "application/json" },
      body: JSON.stringify({ argv })
    })
  } catch {
    return undefined
  }
  if (response.status === 401) return undefined
  const text = await response.text()
  if (response.status !== 200) {
    return { stdout: "", stderr: `error: the running service answered ${response.status}: ${text}`, exitCode: 1 }
  }
  return JSON.parse(text) as CliOutcome
}
