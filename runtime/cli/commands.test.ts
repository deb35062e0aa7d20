import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { Console, Context, Effect, Layer, ManagedRuntime, Option, Runtime } from "effect"
import { CliOutput, Command } from "effect/cli"
import { afterEach, describe, expect, it } from "vitest"
import { layerMemoryStorage } from "../../adapters/storage/memory/memory-storage.ts"
import { ApiKeys } from "../../application/ports/api-keys.ts"
import { Outlets, type StoreRow } from "../../application/ports/catalog.ts"
import { KeySecrets } from "../../application/ports/key-secrets.ts"
import { parseApiKey } from "../../domain/api-key.ts"
import { StorageError } from "../../domain/errors.ts"
import type { TenantId } from "../../domain/tenant.ts"
import { appServices } from "../app-layer.ts"
import { AppConfig } from "../config.ts"
import { describeFailure, maskUrl, redactUrls } from "../failures.ts"
import { TenantDatabases } from "../tenancy/tenant-databases.ts"
import { makeCli, parseRfc3339, parseTimeZone } from "./commands.ts"

interface Outcome {
  readonly stdout: string
  readonly stderr: string
  /** What NodeRuntime.runMain would exit with. */
  readonly exitCode: number
}

/**
 * The command tree in-process over ONE memory storage, so the commands of a test see each other's
 * writes. Output is captured through a test Console: effect/cli writes help and errors with it too.
 */
const makeHarness = async () => {
  const runtime = ManagedRuntime.make(
    appServices(AppConfig.make({ logLevel: "error" })).pipe(Layer.provideMerge(layerMemoryStorage))
  )
  const context = await runtime.context()
  const cli = makeCli(Layer.succeedContext(context))
  const transcript: Array<string> = []

  const run = async (...argv: Array<string>): Promise<Outcome> => {
    const out: Array<string> = []
    const err: Array<string> = []
    const line =
      (sink: Array<string>) =>
      (...args: ReadonlyArray<unknown>) => {
        sink.push(args.map(String).join(" "))
      }
    const testConsole: Console.Console = Object.assign(Object.create(globalThis.console), {
      log: line(out),
      info: line(out),
      error: line(err),
      warn: line(err)
    })
    const exit = await Effect.runPromiseExit(
      Command.runWith(cli, { version: "test" })(argv).pipe(
        Effect.provideService(Console.Console, testConsole),
        Effect.provide(CliOutput.layer(CliOutput.defaultFormatter({ colors: false }))),
        Effect.provide(NodeServices.layer)
      )
    )
    let exitCode = -1
    Runtime.defaultTeardown(exit, (code) => {
      exitCode = code
    })
    const outcome = { stdout: out.join("\n"), stderr: err.join("\n"), exitCode }
    transcript.push(outcome.stdout, outcome.stderr)
    return outcome
  }

  /** What the tenant's storage holds, read past the CLI. */
  const storedKeys = (tenant: string) =>
    runtime.runPromise(
      Effect.gen(function* () {
        const databases = yield* TenantDatabases
        const repositories = yield* databases.repositories(tenant as TenantId)
        return yield* Context.get(repositories, ApiKeys).list
      }).pipe(Effect.scoped)
    )

  const hash = (secret: string) => Context.get(context, KeySecrets).hash(secret)

  /** Outlets as an outlet sync would leave them, and the secrets stored for one. */
  const withOutlet = (tenant: string, row: StoreRow) =>
    runtime.runPromise(
      Effect.gen(function* () {
        const databases = yield* TenantDatabases
        const repositories = yield* databases.repositories(tenant as TenantId)
        yield* Context.get(repositories, Outlets).save([row])
      }).pipe(Effect.scoped)
    )
  const storedSecrets = (tenant: string, storeId: string) =>
    runtime.runPromise(
      Effect.gen(function* () {
        const databases = yield* TenantDatabases
        const repositories = yield* databases.repositories(tenant as TenantId)
        return yield* Context.get(repositories, Outlets).getSecrets(storeId)
      }).pipe(Effect.scoped)
    )
  return { run, storedKeys, hash, withOutlet, storedSecrets, transcript, dispose: () => runtime.dispose() }
}

type Harness = Awaited<ReturnType<typeof makeHarness>>
let harness: Harness | undefined
const setup = async () => {
  harness = await makeHarness()
  return harness
}
afterEach(async () => {
  await harness?.dispose()
  harness = undefined
})

const keyLine = /^posk_\d+_[A-Za-z0-9]{32,}$/

describe("tenant create and list", () => {
  it("creates a tenant in a schema and lists it", async () => {
    const h = await setup()
    const created = await h.run(
      "tenant",
      "create",
      "acme-my",
      "--name",
      "Acme Malaysia",
      "--country",
      "MY",
      "--timezone",
      "Asia/Kuala_Lumpur",
      "--currency",
      "MYR"
    )
    expect(created.exitCode).toBe(0)
    expect(created.stdout).toContain("created tenant 'acme-my'")
    expect(created.stdout).toContain("schema tenant_acme_my of the control database")

    const listed = await h.run("tenant", "list")
    expect(listed.exitCode).toBe(0)
    const lines = listed.stdout.split("\n")
    expect(lines[0]).toMatch(/^ID\s+NAME\s+STATUS\s+COUNTRY\s+TIMEZONE\s+CURRENCY\s+STORAGE\s+LOYALTY$/)
    expect(lines[1]?.split(/\s{2,}/)).toEqual([
      "acme-my",
      "Acme Malaysia",
      "active",
      "MY",
      "Asia/Kuala_Lumpur",
      "MYR",
      "tenant_acme_my",
      "no"
    ])
  })

  it("applies the defaults and canonicalises the time zone's spelling", async () => {
    const h = await setup()
    expect((await h.run("tenant", "create", "plain", "--timezone", "asia/tokyo")).exitCode).toBe(0)
    const row = (await h.run("tenant", "list")).stdout.split("\n")[1]?.split(/\s{2,}/)
    expect(row).toEqual(["plain", "plain", "active", "SG", "Asia/Tokyo", "SGD", "tenant_plain", "no"])
  })

  it("never shows a database URL's password", async () => {
    const h = await setup()
    const created = await h.run(
      "tenant",
      "create",
      "own",
      "--database-url",
      "postgres://app:hunter2@db.internal:5432/own"
    )
    expect(created.exitCode).toBe(0)
    expect(created.stdout).toContain("own database postgres://app:***@db.internal:5432/own")
    const listed = await h.run("tenant", "list")
    expect(listed.stdout.split("\n")[1]?.split(/\s{2,}/)).toEqual([
      "own",
      "own",
      "active",
      "SG",
      "Asia/Singapore",
      "SGD",
      "own database",
      "no"
    ])
    expect(h.transcript.join("\n")).not.toContain("hunter2")
  })

  it("refuses a duplicate tenant", async () => {
    const h = await setup()
    expect((await h.run("tenant", "create", "acme")).exitCode).toBe(0)
    const again = await h.run("tenant", "create", "acme")
    expect(again.exitCode).toBe(1)
    expect(again.stderr).toBe("error: tenant 'acme' already exists")
  })

  it.each([
    [["Acme"], "argument <id>", "a-z, 0-9 and '-'"],
    [["_acme"], "argument <id>", "starting with a letter or digit"],
    [["a".repeat(57)], "argument <id>", "1 to 56 characters"],
    [["acme", "--country", "sg"], "flag --country", "ISO 3166-1"],
    [["acme", "--country", "SGP"], "flag --country", "ISO 3166-1"],
    [["acme", "--currency", "S$"], "flag --currency", "ISO 4217"],
    [["acme", "--timezone", "Mars/Olympus_Mons"], "flag --timezone", "IANA time zone"],
    [["acme", "--timezone", "+08:00"], "flag --timezone", "IANA time zone"],
    [["acme", "--database-url", "mysql://db/x"], "flag --database-url", "postgres://"]
  ])("refuses tenant create %j", async (args, what, rule) => {
    const h = await setup()
    const result = await h.run("tenant", "create", ...args)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain(`Invalid value for ${what}`)
    expect(result.stderr).toContain(rule)
    expect((await h.run("tenant", "list")).stdout).toBe("no tenants")
  })
})

describe("keys", () => {
  const withTenant = async () => {
    const h = await setup()
    expect((await h.run("tenant", "create", "acme")).exitCode).toBe(0)
    return h
  }

  it("issue prints the key alone on stdout, and storage holds only its hash", async () => {
    const h = await withTenant()
    const issued = await h.run("key", "issue", "acme", "--kind", "partner", "--name", "Grab")
    expect(issued.exitCode).toBe(0)
    expect(issued.stdout.split("\n")).toHaveLength(1)
    expect(issued.stdout).toMatch(keyLine)
    expect(issued.stderr).toContain("issued key 1 ('Grab', partner) for tenant 'acme'")
    expect(issued.stderr).not.toContain(issued.stdout)

    const parsed = parseApiKey(issued.stdout)!
    const [stored, ...others] = await h.storedKeys("acme")
    expect(others).toEqual([])
    expect(stored?.id).toBe(parsed.keyId)
    expect(stored?.secretHash).toBe(h.hash(parsed.secret))
    expect(JSON.stringify(stored)).not.toContain(parsed.secret)
    expect(stored?.scopes).not.toContain("pos:sync")
  })

  it("list shows the key without its secret or hash", async () => {
    const h = await withTenant()
    const key = (await h.run("key", "issue", "acme", "--kind", "pos")).stdout
    const listed = await h.run("key", "list", "acme")
    expect(listed.exitCode).toBe(0)
    const [header, row] = listed.stdout.split("\n")
    expect(header).toMatch(/^ID\s+NAME\s+KIND\s+SCOPES\s+CREATED\s+EXPIRES\s+REVOKED\s+LAST USED$/)
    const cells = row?.split(/\s{2,}/) ?? []
    expect(cells.slice(0, 4)).toEqual(["1", "pos key", "pos", "pos:sync,outlets:read,products:read"])
    expect(cells.slice(5)).toEqual(["never", "no", "never"])
    const [stored] = await h.storedKeys("acme")
    expect(listed.stdout).not.toContain(parseApiKey(key)!.secret)
    expect(listed.stdout).not.toContain(stored!.secretHash)
  })

  it("revoke marks the key revoked; a second revoke says so", async () => {
    const h = await withTenant()
    await h.run("key", "issue", "acme", "--kind", "editor")
    const revoked = await h.run("key", "revoke", "acme", "1")
    expect(revoked.exitCode).toBe(0)
    expect(revoked.stdout).toMatch(/^revoked key 1 \('editor key'\) of tenant 'acme' at \d{4}-/)

    const row = (await h.run("key", "list", "acme")).stdout.split("\n")[1]?.split(/\s{2,}/) ?? []
    expect(row[6]).toMatch(/^\d{4}-\d{2}-\d{2}T/)
    expect((await h.storedKeys("acme"))[0]?.revokedAt).toBeInstanceOf(Date)

    const again = await h.run("key", "revoke", "acme", "1")
    expect(again.exitCode).toBe(0)
    expect(again.stdout).toContain("was already revoked at")
  })

  it("revoke of an unknown key id fails", async () => {
    const h = await withTenant()
    const result = await h.run("key", "revoke", "acme", "99")
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toBe("error: tenant 'acme' has no key 99")
  })

  it("takes explicit scopes", async () => {
    const h = await withTenant()
    const result = await h.run("key", "issue", "acme", "--kind", "partner", "--scopes", "orders:read, orders:write")
    expect(result.exitCode).toBe(0)
    expect((await h.storedKeys("acme"))[0]?.scopes).toEqual(["orders:read", "orders:write"])
  })

  it.each([
    ["orders:read,orders:delete", "'orders:delete' is not one"],
    [" , ", "at least one scope"]
  ])("refuses --scopes %j, listing the valid ones", async (scopes, problem) => {
    const h = await withTenant()
    const result = await h.run("key", "issue", "acme", "--kind", "partner", "--scopes", scopes)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain("Invalid value for flag --scopes")
    expect(result.stderr).toContain(problem)
    expect(result.stderr).toContain("valid scopes: outlets:read, products:read")
    expect(result.stdout).not.toMatch(/posk_/)
    expect(await h.storedKeys("acme")).toEqual([])
  })

  it("takes --expires-at with an offset", async () => {
    const h = await withTenant()
    const result = await h.run("key", "issue", "acme", "--kind", "pos", "--expires-at", "2999-01-01T08:00:00+08:00")
    expect(result.exitCode).toBe(0)
    expect((await h.storedKeys("acme"))[0]?.expiresAt?.toISOString()).toBe("2999-01-01T00:00:00.000Z")
  })

  it("refuses --expires-at in the past", async () => {
    const h = await withTenant()
    const result = await h.run("key", "issue", "acme", "--kind", "pos", "--expires-at", "2020-01-01T00:00:00Z")
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toBe("error: --expires-at 2020-01-01T00:00:00.000Z is not in the future")
    expect(result.stdout).toBe("")
    expect(await h.storedKeys("acme")).toEqual([])
  })

  it.each([
    "2999-01-01",
    "2999-01-01T00:00:00",
    "2999-02-30T00:00:00Z",
    "2999-01-01T24:00:00Z",
    "2999-01-01T00:00:00+0800",
    "next year"
  ])("refuses a malformed --expires-at %j", async (value) => {
    const h = await withTenant()
    const result = await h.run("key", "issue", "acme", "--kind", "pos", "--expires-at", value)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain("Invalid value for flag --expires-at")
    expect(result.stderr).toContain("RFC 3339")
    expect(await h.storedKeys("acme")).toEqual([])
  })

  it("refuses an unknown --kind", async () => {
    const h = await withTenant()
    const result = await h.run("key", "issue", "acme", "--kind", "admin")
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain("--kind")
  })
})

describe("loyalty", () => {
  it("set-loyalty shows in the list as yes, and the credential appears nowhere", async () => {
    const h = await setup()
    await h.run("tenant", "create", "acme")
    const set = await h.run(
      "tenant",
      "set-loyalty",
      "acme",
      "--url",
      "https://loyalty.example.com",
      "--credential",
      "sk_live_TOPSECRET"
    )
    expect(set.exitCode).toBe(0)
    expect(set.stdout).toContain("loyalty configured for tenant 'acme'")
    const row = (await h.run("tenant", "list")).stdout.split("\n")[1]?.split(/\s{2,}/) ?? []
    expect(row[7]).toBe("yes")
    expect(h.transcript.join("\n")).not.toContain("TOPSECRET")
  })

  it("set-loyalty refuses a URL with a user or password in it, and shows neither", async () => {
    const h = await setup()
    await h.run("tenant", "create", "acme")
    const result = await h.run(
      "tenant",
      "set-loyalty",
      "acme",
      "--url",
      "https://svc:hunter2@loyalty.example.com",
      "--credential",
      "sk_live_TOPSECRET"
    )
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain("without a user or password")
    expect(h.transcript.join("\n")).not.toContain("TOPSECRET")
    const row = (await h.run("tenant", "list")).stdout.split("\n")[1]?.split(/\s{2,}/) ?? []
    expect(row[7]).toBe("no")
  })

  it("set-loyalty needs a credential", async () => {
    const h = await setup()
    await h.run("tenant", "create", "acme")
    const result = await h.run("tenant", "set-loyalty", "acme")
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain("--credential")
  })
})

describe("rewards", () => {
  it("sets, updates, lists and removes a tenant's rewards", async () => {
    const h = await setup()
    await h.run("tenant", "create", "acme")
    expect((await h.run("reward", "list", "acme")).stdout).toBe("no rewards for tenant 'acme'")
    const set = await h.run("reward", "set", "acme", "kopi", "--name", "Kopi O", "--points", "20")
    expect(set.exitCode).toBe(0)
    expect(set.stdout).toContain("reward 'kopi' set for tenant 'acme': Kopi O, 20 points")
    await h.run("reward", "set", "acme", "cake", "--name", "Cake", "--points", "80")
    await h.run("reward", "set", "acme", "kopi", "--name", "Kopi C", "--points", "25")
    const rows = (await h.run("reward", "list", "acme")).stdout.split("\n").map((l) => l.split(/\s{2,}/))
    expect(rows).toEqual([
      ["REWARD", "NAME", "POINTS"],
      ["cake", "Cake", "80"],
      ["kopi", "Kopi C", "25"]
    ])
    expect((await h.run("reward", "remove", "acme", "cake")).exitCode).toBe(0)
    const again = await h.run("reward", "remove", "acme", "cake")
    expect(again.exitCode).toBe(1)
    expect(again.stderr).toContain("no reward 'cake'")
    expect((await h.run("reward", "list", "acme")).stdout.split("\n")).toHaveLength(2)
  })

  it("refuses bad points, names and ids, and unknown tenants", async () => {
    const h = await setup()
    await h.run("tenant", "create", "acme")
    for (const args of [
      ["kopi", "--name", "Kopi", "--points", "0"],
      ["kopi", "--name", "Kopi", "--points", "-3"],
      ["kopi", "--name", "Kopi", "--points", "abc"],
      ["kopi", "--name", "   ", "--points", "5"],
      ["bad id", "--name", "Kopi", "--points", "5"],
      ["kopi", "--points", "5"]
    ]) {
      const result = await h.run("reward", "set", "acme", ...args)
      expect(result.exitCode, args.join(" ")).toBe(1)
    }
    expect((await h.run("reward", "list", "acme")).stdout).toBe("no rewards for tenant 'acme'")
    expect((await h.run("reward", "list", "nobody")).exitCode).toBe(1)
  })
})

describe("unknown tenants", () => {
  it.each([
    [["key", "issue", "ghost", "--kind", "partner"]],
    [["key", "list", "ghost"]],
    [["key", "revoke", "ghost", "1"]],
    [["tenant", "set-loyalty", "ghost", "--credential", "c"]],
    [["key", "list", "NOT_AN_ID"]]
  ])("%j fails with a clear error", async (argv) => {
    const h = await setup()
    const result = await h.run(...argv)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toBe(`error: no tenant '${argv[2]}'`)
    expect(result.stdout).toBe("")
  })
})

describe("store set-credentials", () => {
  const outlet: StoreRow = {
    id: "out_atlas_1",
    provider: "atlas-kitchen",
    externalId: "1",
    name: "Tanjong Pagar",
    active: true,
    currency: "SGD",
    timezone: "Asia/Singapore",
    country: "SG",
    address: null,
    postalCode: null,
    phone: null,
    taxInclusive: true,
    serviceHours: [],
    identifiers: { outletId: "1" },
    createdAt: new Date("2026-01-01T00:00:00.000Z"),
    updatedAt: new Date("2026-01-01T00:00:00.000Z")
  }
  const secret = "atlas-secret-api-key-7f3a9c"
  const valid = JSON.stringify({ apiKey: secret, merchantId: "m-1", channelId: "c-1", webhookToken: "whk-token-91" })

  it("stores the plugin's credentials for the outlet and never prints them", async () => {
    const h = await setup()
    await h.run("tenant", "create", "acme")
    await h.withOutlet("acme", outlet)
    const result = await h.run("store", "set-credentials", "acme", "atlas-kitchen", "1", "--json", valid)
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain("out_atlas_1")
    const stored = JSON.parse((await h.storedSecrets("acme", "out_atlas_1")) ?? "null") as Record<string, string>
    expect(stored).toMatchObject({ apiKey: secret, baseUrl: "https://api.atlas.kitchen/admin/v1" })
    expect(h.transcript.join("\n")).not.toContain(secret)
  })

  it("refuses an unknown provider, bad JSON, credentials of the wrong shape and an unknown outlet", async () => {
    const h = await setup()
    await h.run("tenant", "create", "acme")
    await h.withOutlet("acme", outlet)
    const unknown = await h.run("store", "set-credentials", "acme", "square", "1", "--json", valid)
    expect(unknown.exitCode).toBe(1)
    expect(unknown.stderr).toContain("no POS plugin 'square'")
    const badJson = await h.run("store", "set-credentials", "acme", "atlas-kitchen", "1", "--json", "{not json")
    expect(badJson.stderr).toContain("not valid JSON")
    const wrong = await h.run(
      "store",
      "set-credentials",
      "acme",
      "atlas-kitchen",
      "1",
      "--json",
      JSON.stringify({ apiKey: secret, merchantId: 42 })
    )
    expect(wrong.exitCode).toBe(1)
    expect(wrong.stderr).toContain("merchantId")
    expect(wrong.stderr).toContain("channelId")
    const noOutlet = await h.run("store", "set-credentials", "acme", "atlas-kitchen", "99", "--json", valid)
    expect(noOutlet.exitCode).toBe(1)
    expect(noOutlet.stderr).toContain("no atlas-kitchen outlet '99'")
    expect(await h.storedSecrets("acme", "out_atlas_1")).toBeUndefined()
    expect(h.transcript.join("\n")).not.toContain(secret)
  })
})

describe("value parsers", () => {
  it("masks passwords in URLs", () => {
    expect(maskUrl("postgresql://u:p%40ss@h/db?sslmode=require")).toBe("postgresql://u:***@h/db?sslmode=require")
    expect(maskUrl("postgres://h/db?password=x&user=u")).toBe("postgres://h/db?password=***&user=u")
    expect(maskUrl("postgres://u@h/db")).toBe("postgres://u@h/db")
  })

  it("describes storage failures in one line, without passwords", () => {
    const failure = new StorageError({
      operation: "provision tenant acme",
      cause: new Error("could not reach postgres://app:hunter2@db:5432/acme")
    })
    expect(redactUrls(describeFailure(failure))).toBe(
      "provision tenant acme: could not reach postgres://app:***@db:5432/acme"
    )
    // Some adapters build the error as a plain tagged object.
    expect(describeFailure({ _tag: "StorageError", operation: "open PGlite", cause: "disk full" })).toBe(
      "open PGlite: disk full"
    )
  })

  it("reads IANA zones only", () => {
    expect(parseTimeZone("UTC")).toEqual(Option.some("UTC"))
    expect(parseTimeZone("europe/london")).toEqual(Option.some("Europe/London"))
    expect(parseTimeZone("Nowhere/City")).toEqual(Option.none())
  })

  it("reads RFC 3339 times", () => {
    expect(Option.map(parseRfc3339("2030-06-30T23:59:59.5-05:30"), (d) => d.toISOString())).toEqual(
      Option.some("2030-07-01T05:29:59.500Z")
    )
    expect(parseRfc3339("2028-02-29T00:00:00z")._tag).toBe("Some")
    expect(parseRfc3339("2027-02-29T00:00:00Z")._tag).toBe("None")
  })
})

/** The real entry point, as `npm run admin` runs it. */
describe("the admin process", () => {
  const root = resolve(import.meta.dirname, "../..")
  const admin = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
    const result = spawnSync("npx", ["node", "runtime/cli/main.ts", ...args], {
      cwd: root,
      env: { ...process.env, STORAGE: "memory", ...env },
      encoding: "utf8",
      timeout: 60_000
    })
    return { status: result.status, stdout: result.stdout, stderr: result.stderr }
  }
  const stackTrace = /^\s+at .+[:(]/m

  it("--help prints the command tree and exits 0", { timeout: 60_000 }, () => {
    const result = admin(["--help"])
    expect(result.status).toBe(0)
    expect(result.stdout).toContain("USAGE")
    expect(result.stdout).toMatch(/tenant\s+Manage tenants/)
    expect(result.stdout).toMatch(/key\s+Manage a tenant's API keys/)
    expect(result.stderr).toBe("")
  })

  it("a bad argument exits 1 with a readable error", { timeout: 60_000 }, () => {
    const result = admin(["tenant", "create", "Bad_Id"])
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('Invalid value for argument <id>: "Bad_Id"')
    expect(result.stderr + result.stdout).not.toMatch(stackTrace)
  })

  it("a domain failure exits 1 with `error: ...`, and no demo tenant is bootstrapped", { timeout: 60_000 }, () => {
    const result = admin(["key", "list", "demo"])
    expect(result.status).toBe(1)
    expect(result.stderr.trim()).toBe("error: no tenant 'demo'")
    expect(result.stdout).toBe("")
  })

  it("a locked embedded data directory is reported plainly", { timeout: 60_000 }, () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pos-cli-"))
    try {
      // This test process stands in for the running service that holds the lock.
      writeFileSync(join(dataDir, "pos-integration.lock"), `${process.pid}\n`)
      const result = admin(["tenant", "list"], { STORAGE: "pglite", DATA_DIR: dataDir })
      expect(result.status).toBe(1)
      expect(result.stderr.trim()).toMatch(/^error: lock data directory: .* is in use by process \d+/)
      expect(result.stderr).not.toMatch(stackTrace)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
