import { tenantStatusMigration } from "./admin-contract.ts"
import { storageContractOn } from "./contract.ts"

// The repositories' contract, one file per storage adapter (this one: memory; contract-pglite.test.ts,
// contract-postgres.test.ts), beside contract-secrets.test.ts and contract-orders-admin.test.ts.
storageContractOn("memory")
tenantStatusMigration()
