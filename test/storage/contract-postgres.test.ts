import { storageContractOn } from "./contract.ts"

// The repositories' contract on PostgreSQL, when DATABASE_URL is set (see contract.test.ts).
storageContractOn("PostgreSQL")
