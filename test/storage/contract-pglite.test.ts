import { storageContractOn } from "./contract.ts"

// The repositories' contract on the embedded default (see contract.test.ts).
storageContractOn("PGlite")
