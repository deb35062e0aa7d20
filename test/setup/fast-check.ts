import * as fc from "fast-check"

// Property tests explore new random cases on every developer run; CI replays one fixed seed, so a
// submission's verdict never depends on luck. A failure prints its seed either way (FC_SEED replays it).
const seed = process.env["FC_SEED"] ?? (process.env["CI"] === "true" ? "20261127" : undefined)
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) })
