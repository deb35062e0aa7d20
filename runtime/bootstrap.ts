import { Console, Effect } from "effect"
import { issueApiKey } from "../application/auth/issue-key.ts"
import { TenantDirectory } from "../application/ports/tenant-directory.ts"
import { createTenant } from "../application/tenants/create-tenant.ts"
import type { TenantId } from "../domain/tenant.ts"
import { TenantDatabases } from "./tenancy/tenant-databases.ts"

export const demoTenantId = "demo" as TenantId

/**
 * First start of an embedded deployment: a `demo` tenant and one partner key, printed once. The
 * key is shown only here; later ones come from the admin CLI.
 */
export const ensureDemoTenant = Effect.gen(function* () {
  const directory = yield* TenantDirectory
  if ((yield* directory.find(demoTenantId)) !== undefined) return
  yield* createTenant({ id: demoTenantId, name: "Demo" })
  const databases = yield* TenantDatabases
  const repositories = yield* databases.repositories(demoTenantId)
  const issued = yield* issueApiKey({ kind: "partner", name: "demo partner key" }).pipe(
    Effect.provideContext(repositories)
  )
  yield* Console.log(`demo api key: ${issued.plaintext}`)
  yield* Console.log(
    "(shown once; issue another with: npm run admin -- key issue demo --kind partner, while the service is stopped)"
  )
}).pipe(Effect.scoped)
