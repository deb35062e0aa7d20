import { FindMyWay } from "effect/http"
import { HttpApi, type HttpApiGroup } from "effect/http-api"

/** Which methods each API path answers to: the router itself has no 405, so we keep this table. */
export interface MethodTable {
  readonly allowed: (url: string) => ReadonlyArray<string>
}

const knownMethods = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const

export const methodTable = <Id extends string, Groups extends HttpApiGroup.Constraint>(
  api: HttpApi.HttpApi<Id, Groups>,
  extra: ReadonlyArray<{ method: string; path: string }> = []
): MethodTable => {
  const router = FindMyWay.make<true>({ ignoreTrailingSlash: true })
  HttpApi.reflect(api, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => router.on(endpoint.method, endpoint.path as FindMyWay.PathInput, true)
  })
  for (const route of extra) router.on(route.method, route.path as FindMyWay.PathInput, true)
  return {
    allowed: (url) => {
      const found = knownMethods.filter((method) => router.find(method, url) !== undefined)
      return found.includes("GET") ? [...found, "HEAD"] : found
    }
  }
}
