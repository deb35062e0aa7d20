import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import type { AppSettings } from "../../runtime/config.ts"
import { call, makeTestApp } from "../support/app.ts"

/** The document exactly as the service serves it at /api/openapi.json (BASE_PATH prefix included). */
export const servedDocument = async (settings: Partial<AppSettings> = {}) => {
  const app = await makeTestApp(layerMemoryStorage, { settings })
  try {
    const response = await call(app, `${settings.basePath ?? ""}/api/openapi.json`)
    if (response.status !== 200) throw new Error(`/api/openapi.json answered ${response.status}`)
    return {
      contentType: response.headers.get("content-type"),
      document: (await response.json()) as OpenApiDocument,
      docsPage: await (await call(app, `${settings.basePath ?? ""}/docs`)).text()
    }
  } finally {
    await app.close()
  }
}

export interface OpenApiOperation {
  readonly operationId: string
  readonly summary?: string
  readonly description?: string
  readonly security?: ReadonlyArray<Record<string, ReadonlyArray<string>>>
  readonly "x-scopes"?: ReadonlyArray<string>
  readonly parameters?: ReadonlyArray<{ name: string; in: string; required: boolean; schema: Record<string, unknown> }>
  readonly requestBody?: unknown
  readonly responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>
}

export interface OpenApiDocument {
  readonly openapi: string
  readonly info: { readonly version: string; readonly title: string }
  readonly servers?: ReadonlyArray<{ url: string; variables?: Record<string, { default: string }> }>
  readonly paths: Record<string, Record<string, OpenApiOperation>>
  readonly components: { readonly schemas: Record<string, Record<string, unknown>> }
}

export const operations = (document: OpenApiDocument) =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method, operation }))
  )
