/**
 * The order due index (application/ports/order-due-index.ts) on every storage adapter: what a
 * mark keeps, which tenants are due, that a settle never erases a mark made after its version was
 * read (also when they race), and the earliest due time.
 */
import { Effect, type Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type DueTenant, OrderDueIndex } from "../../application/ports/order-due-index.ts"
import type { StorageServices } from "../../runtime/app-layer.ts"
import { storageAdapters } from "../support/storage-adapters.ts"

const t = (iso: string) => new Date(iso)

for (const adapter of storageAdapters()) {
  const suite = adapter.available ? describe : describe.skip
  suite(`order due index (${adapter.name})`, () => {
    let runtime: ManagedRuntime.ManagedRuntime<StorageServices, unknown>
    const run = <A, E>(f: (index: typeof OrderDueIndex.Service) => Effect.Effect<A, E>) =>
      runtime.runPromise(Effect.flatMap(OrderDueIndex, f))
    const find = (tenant: string) => run((index) => index.find(tenant))
    const mark = (tenant: string, at: Date) => run((index) => index.mark(tenant, at))
    /** Removes the tenants' entries, as a drain that found nothing more would. */
    const forget = async (...tenants: ReadonlyArray<string>) => {
      for (const tenant of tenants) {
        const entry = await find(tenant)
        if (entry !== null) expect(await run((index) => index.settle(tenant, entry.version, null))).toBe(true)
      }
    }

    beforeAll(async () => {
      runtime = ManagedRuntime.make(adapter.layer() as Layer.Layer<StorageServices, unknown>)
      await runtime.context()
    })
    afterAll(() => runtime?.dispose())

    it("marks a tenant: the earlier of the due times is kept, and every mark moves the version", async () => {
      expect(await find("mark-a")).toBeNull()
      await mark("mark-a", t("2026-03-01T10:00:00.123Z"))
      const first = await find("mark-a")
      expect(first).toEqual({ tenantId: "mark-a", dueAt: t("2026-03-01T10:00:00.123Z"), version: first!.version })
      // Later: the time stays, the version moves.
      await mark("mark-a", t("2026-03-01T11:00:00.000Z"))
      const second = (await find("mark-a"))!
      expect(second.dueAt).toEqual(t("2026-03-01T10:00:00.123Z"))
      expect(second.version).toBeGreaterThan(first!.version)
      // The same time again: the version still moves.
      await mark("mark-a", t("2026-03-01T10:00:00.123Z"))
      const third = (await find("mark-a"))!
      expect(third.version).toBeGreaterThan(second.version)
      // Earlier: taken.
      await mark("mark-a", t("2026-03-01T09:59:59.999Z"))
      const fourth = (await find("mark-a"))!
      expect(fourth.dueAt).toEqual(t("2026-03-01T09:59:59.999Z"))
      expect(fourth.version).toBeGreaterThan(third.version)
      // Another tenant's entry is its own.
      await mark("mark-b", t("2030-01-01T00:00:00.000Z"))
      expect((await find("mark-b"))!.dueAt).toEqual(t("2030-01-01T00:00:00.000Z"))
      expect((await find("mark-a"))!.dueAt).toEqual(t("2026-03-01T09:59:59.999Z"))
      await forget("mark-a", "mark-b")
      expect(await find("mark-a")).toBeNull()
    })

    it("settles only an entry nothing marked since its version was read", async () => {
      await mark("settle-a", t("2026-03-01T10:00:00.000Z"))
      const read = (await find("settle-a"))!
      // A drain that found the next work at noon: written, the version kept for the next mark to move.
      expect(await run((index) => index.settle("settle-a", read.version, t("2026-03-01T12:00:00.000Z")))).toBe(true)
      expect(await find("settle-a")).toEqual({
        tenantId: "settle-a",
        dueAt: t("2026-03-01T12:00:00.000Z"),
        version: read.version
      })
      // A placement marks meanwhile: the drain's settle (with the version it read) is refused, both ways.
      await mark("settle-a", t("2026-03-01T10:30:00.000Z"))
      const marked = (await find("settle-a"))!
      expect(marked.dueAt).toEqual(t("2026-03-01T10:30:00.000Z"))
      expect(await run((index) => index.settle("settle-a", read.version, null))).toBe(false)
      expect(await run((index) => index.settle("settle-a", read.version, t("2026-03-02T00:00:00.000Z")))).toBe(false)
      expect(await find("settle-a")).toEqual(marked)
      // With the version it moved to: the entry goes.
      expect(await run((index) => index.settle("settle-a", marked.version, null))).toBe(true)
      expect(await find("settle-a")).toBeNull()
      // Nothing to settle.
      expect(await run((index) => index.settle("settle-a", marked.version, null))).toBe(false)
      expect(await run((index) => index.settle("settle-a", marked.version, t("2026-03-01T10:00:00.000Z")))).toBe(false)
      expect(await find("settle-a")).toBeNull()
    })

    it("never takes a version read before the entry was removed for the version of an entry marked since", async () => {
      // Two dispatchers read the same entry; one drains and removes it; a placement marks the tenant
      // again; the other, with its old version, must not erase that new mark.
      await mark("aba-a", t("2026-03-01T10:00:00.000Z"))
      const stale = (await find("aba-a"))!
      expect(await run((index) => index.settle("aba-a", stale.version, null))).toBe(true)
      await mark("aba-a", t("2026-03-01T10:05:00.000Z"))
      const fresh = (await find("aba-a"))!
      expect(fresh.version).not.toBe(stale.version)
      expect(await run((index) => index.settle("aba-a", stale.version, null))).toBe(false)
      expect(await run((index) => index.settle("aba-a", stale.version, t("2026-03-09T00:00:00.000Z")))).toBe(false)
      expect(await find("aba-a")).toEqual(fresh)
      // Removed and marked several times over: never an earlier version again.
      const seen = new Set([stale.version, fresh.version])
      for (let i = 0; i < 5; i++) {
        const entry = (await find("aba-a"))!
        expect(await run((index) => index.settle("aba-a", entry.version, null))).toBe(true)
        await mark("aba-a", t("2026-03-01T11:00:00.000Z"))
        const next = (await find("aba-a"))!.version
        expect(seen.has(next)).toBe(false)
        seen.add(next)
      }
      await forget("aba-a")
    })

    it("lists the tenants due at an instant, earliest first (then by id), at most as many as asked", async () => {
      expect(await run((index) => index.earliest())).toBeNull()
      expect(await run((index) => index.due(t("2100-01-01T00:00:00.000Z"), 10))).toEqual([])
      await mark("due-c", t("2026-04-01T08:00:00.000Z"))
      await mark("due-b", t("2026-04-01T08:00:00.000Z"))
      await mark("due-a", t("2026-04-01T09:00:00.000Z"))
      await mark("due-later", t("2026-04-01T12:00:00.000Z"))
      const due = (now: string, limit: number) =>
        run((index) => index.due(t(now), limit)).then((rows: ReadonlyArray<DueTenant>) =>
          rows.map((row) => [row.tenantId, row.dueAt.toISOString()])
        )
      expect(await due("2026-04-01T07:59:59.999Z", 10)).toEqual([])
      expect(await due("2026-04-01T08:00:00.000Z", 10)).toEqual([
        ["due-b", "2026-04-01T08:00:00.000Z"],
        ["due-c", "2026-04-01T08:00:00.000Z"]
      ])
      expect(await due("2026-04-01T10:00:00.000Z", 10)).toEqual([
        ["due-b", "2026-04-01T08:00:00.000Z"],
        ["due-c", "2026-04-01T08:00:00.000Z"],
        ["due-a", "2026-04-01T09:00:00.000Z"]
      ])
      expect(await due("2026-04-01T10:00:00.000Z", 2)).toEqual([
        ["due-b", "2026-04-01T08:00:00.000Z"],
        ["due-c", "2026-04-01T08:00:00.000Z"]
      ])
      const rows = await run((index) => index.due(t("2026-04-01T10:00:00.000Z"), 1))
      expect(rows).toEqual([await find("due-b")])
      expect(await run((index) => index.earliest())).toEqual(t("2026-04-01T08:00:00.000Z"))
      await forget("due-b", "due-c")
      expect(await run((index) => index.earliest())).toEqual(t("2026-04-01T09:00:00.000Z"))
      await forget("due-a", "due-later")
      expect(await run((index) => index.earliest())).toBeNull()
    })

    it("keeps every one of many concurrent marks, and no settle racing them erases one", async () => {
      const times = Array.from({ length: 24 }, (_, i) => t(`2026-05-01T10:${String(59 - i).padStart(2, "0")}:00.000Z`))
      await mark("race-a", t("2026-05-01T12:00:00.000Z"))
      const read = (await find("race-a"))!
      // Marks and stale settles at once: every mark counts, the earliest time wins, no settle writes.
      const results = await Promise.all([
        ...times.map((at) => mark("race-a", at).then(() => "marked" as const)),
        ...times.map(() => run((index) => index.settle("race-a", read.version, null)))
      ])
      const settled = results.filter((r) => r === true)
      const entry = (await find("race-a"))!
      expect(entry.dueAt).toEqual(t("2026-05-01T10:36:00.000Z"))
      if (settled.length === 0) {
        expect(entry.version).toBe(read.version + times.length)
      } else {
        // A settle that ran before any of the marks (with the version it read) may have written;
        // then every mark came after it and still counts.
        expect(settled).toHaveLength(1)
        expect(entry.version).toBe(times.length)
      }
      await forget("race-a")
    })
  })
}
