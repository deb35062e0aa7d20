import { relative } from "node:path"
import { BaseSequencer, type TestSpecification } from "vitest/node"

/**
 * The order the two workers take the test files in: the longest first, so that they finish
 * together rather than one of them running a long file alone at the end. Where this machine has
 * run the suite before, Vitest's own record of each file's time orders them; on a fresh clone (CI)
 * it has none and would go by file size, which says little here (a few lines run a whole contract),
 * so these files, measured in CI (seconds, rounded), go first, longest first.
 */
const knownLong: Readonly<Record<string, number>> = {
  "test/fuzz/openapi-fuzz.test.ts": 100,
  "test/faults/kill-anywhere.test.ts": 100,
  "test/storage/contract-postgres.test.ts": 70,
  "test/storage/contract-secrets.test.ts": 65,
  "test/admin/console.browser.test.ts": 60,
  "test/storage/contract-pglite.test.ts": 55,
  "test/packaging/packed-sdk.test.ts": 45,
  "test/faults/data-directory.test.ts": 45,
  "test/faults/postgres-restart.test.ts": 40,
  "test/http/auth.test.ts": 30
}

export class LongestFirst extends BaseSequencer {
  override async sort(files: Array<TestSpecification>): Promise<Array<TestSpecification>> {
    const sorted = await super.sort(files)
    const seconds = (spec: TestSpecification) =>
      this.ctx.cache.getTestSpecificationResult(spec)?.duration !== undefined
        ? 0
        : (knownLong[relative(spec.project.config.root, spec.moduleId).replaceAll("\\", "/")] ?? 0)
    // A stable sort: files without a known time keep the order Vitest gave them, after these.
    return sorted
      .map((spec, index) => ({ spec, index, weight: seconds(spec) }))
      .sort((a, b) => b.weight - a.weight || a.index - b.index)
      .map(({ spec }) => spec)
  }
}
