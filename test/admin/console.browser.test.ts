/**
 * The admin console in a real browser (Debian's Chromium driven by playwright-core) against the
 * real service process, on the embedded default and on PostgreSQL: sign in with an admin key, create
 * a tenant, issue a partner key and call the partner API with it, rotate it, revoke the old key and
 * see the API refuse it, set an outlet's POS credentials and see a webhook signed with them
 * accepted, see a failed sync's problem, create an OAuth client whose secret gets access tokens,
 * rotate and revoke it, see a partner's webhook endpoint and disable it with a reason its owner then
 * reads, publish the next token signing key, and sign out. A change without the
 * session's CSRF token (or with another session's) is refused and changes nothing; no page, answer,
 * log line or audit entry holds a secret after the answer that first showed it. On a failure, every
 * section of the console is screenshotted under test-results/console/.
 */
import type { ChildProcess } from "node:child_process"
import { createHmac, randomBytes } from "node:crypto"
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Browser, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { allScopes } from "../../domain/api-key.ts"
import menuSync from "../../plugins/deliverect/fixtures/menu-sync.json" with { type: "json" }
import outletsBatch from "../../plugins/deliverect/fixtures/outlets-batch.json" with { type: "json" }
import { endpointFileName } from "../../runtime/http/local-admin.ts"
import { makeScratchDatabases } from "../support/admin-cli.ts"
import { freePort, repoRoot, requestOf, runAdminProcess, spawnService, statusOf } from "../support/processes.ts"

const root = repoRoot
const chromiumPath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
const screenshots = join(root, "test-results", "console")

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

const admin = runAdminProcess

interface Storage {
  readonly name: string
  readonly available: boolean
  readonly env: () => Promise<Record<string, string>>
  readonly cleanup: () => Promise<void>
}

const storages = (): ReadonlyArray<Storage> => {
  const dataDir = mkdtempSync(join(tmpdir(), "pos-console-"))
  const serverUrl = process.env["DATABASE_URL"] ?? ""
  const databases = serverUrl === "" ? undefined : makeScratchDatabases(serverUrl)
  return [
    {
      name: "embedded default",
      available: true,
      env: async () => ({ STORAGE: "pglite", DATA_DIR: dataDir, DATABASE_URL: "" }),
      cleanup: async () => rmSync(dataDir, { recursive: true, force: true })
    },
    {
      name: "PostgreSQL",
      available: databases !== undefined,
      env: async () => ({ STORAGE: "postgres", DATABASE_URL: (await databases!.create()).url, DEMO: "false" }),
      cleanup: async () => databases?.close()
    }
  ]
}

const hasChromium = existsSync(chromiumPath)

for (const storage of storages()) {
  const why = !hasChromium
    ? `, SKIPPED: no Chromium at ${chromiumPath} (install Debian's chromium, or set CHROMIUM_PATH)`
    : storage.available
      ? ""
      : ", SKIPPED: DATABASE_URL is not set"
  const suite = why === "" ? describe : describe.skip
  suite(`the admin console in Chromium (${storage.name}${why})`, () => {
    let service: ChildProcess
    let serviceLog: () => string = () => ""
    let env: Record<string, string>
    let origin: string
    let browser: Browser
    let page: Page
    /** Every answer the browser got: where from, and its body. */
    const answers: Array<{ url: string; body: string }> = []
    /** Script errors in the page: a failure reports them. */
    const pageErrors: Array<string> = []
    /** Every secret shown, with the answer that showed it. */
    const secrets: Array<{ secret: string; shownBy: string }> = []

    beforeAll(async () => {
      const port = await freePort()
      origin = `http://127.0.0.1:${port}`
      // On PostgreSQL credentials are stored only under CREDENTIALS_KEYS; the embedded default has its key file too.
      // WEBHOOK_ALLOW_LOOPBACK: the partner's webhook endpoint is on this machine, over plain http.
      env = {
        ...(await storage.env()),
        PORT: String(port),
        LOG_LEVEL: "info",
        CREDENTIALS_KEYS: `console:${randomBytes(32).toString("base64")}`,
        WEBHOOK_ALLOW_LOOPBACK: "true"
      }
      const spawned = spawnService(env)
      service = spawned.child
      serviceLog = spawned.log
      const started = Date.now()
      for (;;) {
        const ready = await fetch(`${origin}/readyz`).then(
          (r) => r.status === 200,
          () => false
        )
        if (ready && (env["STORAGE"] !== "pglite" || existsSync(join(env["DATA_DIR"]!, endpointFileName)))) break
        if (service.exitCode !== null || Date.now() - started > 120_000)
          throw new Error(`the service did not start:\n${serviceLog()}`)
        await sleep(250)
      }
      browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] })
      page = await browser.newPage()
      page.on("pageerror", (error) => pageErrors.push(String(error)))
      page.on("console", (message) => {
        if (message.type() === "error") pageErrors.push(message.text())
      })
      page.on("response", async (response) => {
        if (response.status() >= 400)
          pageErrors.push(`${response.status()} ${response.request().method()} ${response.url()}`)
        const body = await response.text().catch(() => "")
        answers.push({ url: response.url(), body })
      })
    }, 180_000)

    afterAll(async () => {
      await browser?.close()
      if (service !== undefined && service.exitCode === null) {
        service.kill("SIGTERM")
        await new Promise((done) => service.once("exit", done))
      }
      await storage.cleanup()
    })

    /** Runs a step; on a failure, a screenshot of every section first. */
    const step = async (name: string, body: () => Promise<void>) => {
      try {
        await body()
      } catch (error) {
        const failedAt = page.url()
        mkdirSync(screenshots, { recursive: true })
        const tag = `${storage.name.replace(/\W+/g, "-")}-${name.replace(/\W+/g, "-")}`
        await page.screenshot({ path: join(screenshots, `${tag}-failed.png`), fullPage: true }).catch(() => {})
        for (const section of ["tenants", "tenants/browser", "admin-keys", "plugins", "audit"]) {
          await page.goto(`${origin}/admin/#/${section}`).catch(() => {})
          await sleep(500)
          await page
            .screenshot({ path: join(screenshots, `${tag}-${section.replace("/", "-")}.png`), fullPage: true })
            .catch(() => {})
        }
        throw new Error(`${String(error)}\nat ${failedAt}\npage errors:\n${pageErrors.join("\n")}`)
      }
    }

    const status = () => page.getByRole("status")
    const partnerWhoami = (key: string) =>
      statusOf(`${origin}/api/v1/auth/whoami`, { host: `browser.localhost:${new URL(origin).port}`, "x-api-key": key })

    it("signs in, creates a tenant, issues, rotates and revokes keys the partner API then honours, sets credentials a webhook then verifies, shows a failed sync, manages an OAuth client, disables a partner's webhook endpoint, manages the signing keys, and signs out", {
      timeout: 180_000
    }, async () => {
      const issued = await admin(["admin-key", "issue", "--name", "browser-test"], env)
      expect(issued.status).toBe(0)
      const adminKey = issued.stdout
      secrets.push({ secret: adminKey, shownBy: "cli" })

      await step("sign-in", async () => {
        await page.goto(`${origin}/admin`)
        expect(new URL(page.url()).pathname).toBe("/admin/")
        await page.getByLabel("Admin key").fill("posa_1_wrongwrongwrongwrongwrongwrongwrong")
        await page.getByRole("button", { name: "Sign in" }).click()
        await expect.poll(() => page.getByRole("alert").textContent(), { timeout: 15_000 }).toContain("Sign-in refused")
        await page.getByLabel("Admin key").fill(adminKey)
        await page.getByRole("button", { name: "Sign in" }).click()
        await page.getByRole("heading", { name: "Tenants" }).waitFor()
        expect(await page.locator("#actor").textContent()).toBe("Signed in as admin key 1 (browser-test)")
        const cookies = await page.context().cookies()
        const session = cookies.find((c) => c.name === "pos_admin_session")
        expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", secure: false, path: "/admin" })
      })

      await step("create-tenant", async () => {
        await page.getByLabel("Tenant id").fill("browser")
        await page.getByLabel("Name", { exact: true }).fill("Browser Bistro")
        await page.getByRole("button", { name: "Create tenant" }).click()
        await page.getByRole("heading", { name: "Tenant browser" }).waitFor()
        await expect.poll(() => status().textContent(), { timeout: 15_000 }).toBe("Created tenant 'browser'")
        // A second tenant with the same id: the envelope's message is shown.
        await page.goto(`${origin}/admin/#/tenants`)
        await page.getByLabel("Tenant id").fill("browser")
        await page.getByRole("button", { name: "Create tenant" }).click()
        await expect
          .poll(() => page.getByRole("alert").textContent(), { timeout: 15_000 })
          .toContain("tenant 'browser' already exists")
      })

      let firstKey = ""
      await step("issue-key", async () => {
        await page.goto(`${origin}/admin/#/tenants/browser`)
        await page.getByRole("heading", { name: "Tenant browser" }).waitFor()
        await page.getByLabel("Kind").selectOption("partner")
        await page.getByLabel("Name", { exact: true }).fill("kiosk")
        await page.getByRole("button", { name: "Issue key" }).click()
        await expect.poll(() => status().textContent(), { timeout: 15_000 }).toBe("Issued partner key 1")
        await expect.poll(() => page.locator("#new-secret").textContent(), { timeout: 15_000 }).toMatch(/^posk_1_/)
        firstKey = (await page.locator("#new-secret").textContent()) ?? ""
        secrets.push({ secret: firstKey, shownBy: "/admin/api/v1/tenants/browser/keys" })
        expect(await partnerWhoami(firstKey)).toBe(200)
      })

      let secondKey = ""
      await step("rotate-and-revoke", async () => {
        await page.getByLabel("Overlap for rotating key 1").selectOption("86400")
        await page.getByRole("button", { name: "Rotate key 1" }).click()
        await expect.poll(() => status().textContent(), { timeout: 15_000 }).toContain("Rotated key 1: new key 2")
        await expect.poll(() => page.locator("#new-secret").textContent(), { timeout: 15_000 }).toMatch(/^posk_2_/)
        secondKey = (await page.locator("#new-secret").textContent()) ?? ""
        secrets.push({ secret: secondKey, shownBy: "/admin/api/v1/tenants/browser/keys/1/rotate" })
        expect(await partnerWhoami(firstKey)).toBe(200)
        expect(await partnerWhoami(secondKey)).toBe(200)
        page.once("dialog", (dialog) => dialog.accept())
        await page.getByRole("button", { name: "Revoke key 1" }).click()
        await expect.poll(() => status().textContent(), { timeout: 15_000 }).toBe("Revoked key 1")
        expect(await partnerWhoami(firstKey)).toBe(401)
        expect(await partnerWhoami(secondKey)).toBe(200)
        // The secret is gone from the page once it is reloaded.
        await page.reload()
        await page.getByRole("heading", { name: "Tenant browser" }).waitFor()
        expect(await page.content()).not.toContain(secondKey)
      })

      const tenantHost = `browser.localhost:${new URL(origin).port}`
      /** `POST /oauth/token` on the tenant's host with the client's credentials in the form (client_secret_post). */
      const tokenFor = (clientId: string, clientSecret: string) =>
        requestOf(`${origin}/oauth/token`, {
          method: "POST",
          headers: { host: tenantHost, "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            grant_type: "client_credentials",
            client_id: clientId,
            client_secret: clientSecret
          }).toString()
        })
      const accessTokenOf = async (clientId: string, clientSecret: string) => {
        const answer = await tokenFor(clientId, clientSecret)
        expect(answer, answer.body).toMatchObject({ status: 200 })
        const body = JSON.parse(answer.body) as { access_token: string; token_type: string; scope: string }
        expect(body.token_type).toBe("Bearer")
        expect(body.scope).toBe("outlets:read loyalty:read")
        return body.access_token
      }
      const bearerWhoami = (token: string) =>
        statusOf(`${origin}/api/v1/auth/whoami`, { host: tenantHost, authorization: `Bearer ${token}` })
      /** Access tokens issued: never logged. */
      const accessTokens: Array<string> = []

      await step("oauth-clients", async () => {
        // The boxes are the API's scopes, in its order.
        const boxes = await Promise.all(
          (await page.locator('fieldset.scopes input[type="checkbox"]').all()).map((box) => box.getAttribute("value"))
        )
        expect(boxes).toEqual(allScopes)
        // No scope ticked: refused in the page, nothing sent.
        await page.getByLabel("Client name").fill("kiosk vendor")
        await page.getByRole("button", { name: "Create client" }).click()
        await expect
          .poll(() => page.getByRole("alert").textContent(), { timeout: 15_000 })
          .toContain("at least one scope")
        await page.getByLabel("outlets:read", { exact: true }).check()
        await page.getByLabel("loyalty:read", { exact: true }).check()
        await page.getByRole("button", { name: "Create client" }).click()
        await expect.poll(() => status().textContent(), { timeout: 15_000 }).toBe("Created OAuth client posc_1")
        await expect.poll(() => page.locator("#new-secret").textContent(), { timeout: 15_000 }).toMatch(/^poscs_/)
        expect(await page.locator("#new-client-id").textContent()).toBe("posc_1")
        const firstSecret = (await page.locator("#new-secret").textContent()) ?? ""
        secrets.push({ secret: firstSecret, shownBy: "/admin/api/v1/tenants/browser/oauth-clients" })
        const row = page.getByRole("row").filter({ hasText: "kiosk vendor" })
        expect(await row.textContent()).toContain("outlets:read, loyalty:read")
        expect(await row.textContent()).toContain("active")
        const firstToken = await accessTokenOf("posc_1", firstSecret)
        accessTokens.push(firstToken)
        expect(await bearerWhoami(firstToken)).toBe(200)

        await page.getByLabel("Overlap in seconds for rotating client posc_1").fill("3600")
        await page.getByRole("button", { name: "Rotate the secret of client posc_1" }).click()
        await expect
          .poll(() => status().textContent(), { timeout: 15_000 })
          .toMatch(/^Rotated the secret of client posc_1; the old secret works until \d{4}-/)
        await expect.poll(() => page.locator("#new-secret").textContent(), { timeout: 15_000 }).not.toBe(firstSecret)
        const secondSecret = (await page.locator("#new-secret").textContent()) ?? ""
        expect(secondSecret).toMatch(/^poscs_/)
        secrets.push({ secret: secondSecret, shownBy: "/admin/api/v1/tenants/browser/oauth-clients/posc_1/rotate" })
        // Both secrets work during the overlap, and the table says until when the old one does.
        accessTokens.push(await accessTokenOf("posc_1", firstSecret))
        const secondToken = await accessTokenOf("posc_1", secondSecret)
        accessTokens.push(secondToken)
        const oldSecretUntil = page.getByRole("row").filter({ hasText: "kiosk vendor" }).locator("td").nth(6)
        expect(await oldSecretUntil.textContent()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/)

        page.once("dialog", (dialog) => dialog.accept())
        await page.getByRole("button", { name: "Revoke client posc_1" }).click()
        await expect.poll(() => status().textContent(), { timeout: 15_000 }).toBe("Revoked OAuth client posc_1")
        expect(await page.getByRole("row").filter({ hasText: "kiosk vendor" }).textContent()).toContain("revoked")
        expect(await page.getByRole("button", { name: "Rotate the secret of client posc_1" }).count()).toBe(0)
        // A revoked client gets no token, and the one it got is refused by this instance at once.
        const refused = await tokenFor("posc_1", secondSecret)
        expect(refused.status).toBe(401)
        expect(JSON.parse(refused.body)).toMatchObject({ error: "invalid_client" })
        expect(await bearerWhoami(secondToken)).toBe(401)
        await page.reload()
        await page.getByRole("heading", { name: "Tenant browser" }).waitFor()
        expect(await page.content()).not.toContain(secondSecret)
      })

      /** The signing secret of the partner's webhook endpoint: answered to the partner once, never to the console. */
      let endpointSecret = ""
      await step("webhook-endpoints", async () => {
        const partnerCall = (method: string, path: string, body?: unknown) =>
          requestOf(`${origin}/api/v1/webhook-endpoints${path}`, {
            method,
            headers: {
              host: tenantHost,
              "x-api-key": secondKey,
              ...(body === undefined ? {} : { "content-type": "application/json" })
            },
            ...(body === undefined ? {} : { body: JSON.stringify(body) })
          })
        // Nothing listens there: the endpoint is disabled before any event is due to it.
        const hooks = `http://127.0.0.1:${await freePort()}/hooks`
        const registered = await partnerCall("POST", "", { url: hooks, description: "kiosk events" })
        expect(registered, registered.body).toMatchObject({ status: 201 })
        const created = JSON.parse(registered.body) as { endpoint: { endpointId: string }; secret: string }
        endpointSecret = created.secret
        const endpointId = created.endpoint.endpointId
        const partnerView = async () => {
          const answer = await partnerCall("GET", `/${endpointId}`)
          expect(answer, answer.body).toMatchObject({ status: 200 })
          return JSON.parse(answer.body) as { enabled: boolean; disabledReason: string | null }
        }

        // The page shows this tenant from before the endpoint: read it again.
        await page.reload()
        await page.getByRole("heading", { name: "Tenant browser" }).waitFor()
        const row = page.getByRole("row").filter({ hasText: endpointId })
        const cells = async () => (await row.locator("td").allTextContents()).slice(0, 5)
        expect(await cells()).toEqual([endpointId, "API key 2", hooks, "all", "enabled"])
        expect(await row.locator("td").nth(5).textContent()).toBe("nothing sent yet")
        await page.getByRole("button", { name: `Deliveries to endpoint ${endpointId}` }).click()
        await page.getByRole("heading", { name: `Recent deliveries to ${endpointId}` }).waitFor()
        expect(
          await page
            .getByRole("table", { name: `Recent deliveries to ${hooks}` })
            .getByRole("row")
            .count()
        ).toBe(1)

        // Dismissed: nothing is sent, and the endpoint still hears.
        page.once("dialog", (dialog) => dialog.dismiss())
        await page.getByRole("button", { name: `Disable endpoint ${endpointId}` }).click()
        expect(await partnerView()).toMatchObject({ enabled: true, disabledReason: null })

        await page.getByLabel(`Reason for disabling endpoint ${endpointId}`).fill("answers 500 to everything")
        page.once("dialog", (dialog) => dialog.accept())
        await page.getByRole("button", { name: `Disable endpoint ${endpointId}` }).click()
        await expect
          .poll(() => status().textContent(), { timeout: 15_000 })
          .toBe(`Disabled webhook endpoint ${endpointId}`)
        const reason = "disabled by an operator: answers 500 to everything"
        expect((await cells())[4]).toBe(`disabled: ${reason}`)
        expect(await page.getByRole("button", { name: `Disable endpoint ${endpointId}` }).count()).toBe(0)
        // Its owner reads why.
        expect(await partnerView()).toMatchObject({ enabled: false, disabledReason: reason })
      })

      await step("signing-keys", async () => {
        await page.getByRole("link", { name: "Admin and signing keys" }).click()
        await page.getByRole("heading", { name: "Admin and signing keys" }).waitFor()
        // The service published its first key when it started: it signed the tokens above.
        const signing = page.getByRole("row").filter({ hasText: "signing" })
        await expect.poll(() => signing.count(), { timeout: 15_000 }).toBe(1)
        await page.getByRole("button", { name: "Publish next signing key" }).click()
        await expect
          .poll(() => status().textContent(), { timeout: 15_000 })
          .toMatch(/^Published signing key \S+; it signs from \d{4}-/)
        const kid = /^Published signing key (\S+);/.exec((await status().textContent()) ?? "")![1]!
        const pending = page.getByRole("row").filter({ hasText: kid })
        expect(await pending.textContent()).toContain("pending")
        await page.getByRole("button", { name: "Publish next signing key" }).click()
        await expect
          .poll(() => status().textContent(), { timeout: 15_000 })
          .toMatch(new RegExp(`^Signing key ${kid} is already waiting`))
        expect(await page.getByRole("row").filter({ hasText: "pending" }).count()).toBe(1)
        await page.goto(`${origin}/admin/#/tenants/browser`)
        await page.getByRole("heading", { name: "Tenant browser" }).waitFor()
      })

      const channelLink = "649ad021949cfa36470f9ea9"
      const webhookSecret = "whsec-browser-test-5d2e9a"
      const clientSecret = "client-secret-browser-test-81c4"
      await step("credentials-and-syncs", async () => {
        const pos = await admin(["key", "issue", "browser", "--kind", "pos"], env)
        expect(pos.status).toBe(0)
        secrets.push({ secret: pos.stdout, shownBy: "cli" })
        const sync = (path: string, body: unknown) =>
          requestOf(`${origin}${path}`, {
            method: "POST",
            headers: {
              host: tenantHost,
              "x-api-key": pos.stdout,
              "content-type": "application/json",
              "x-provider": "deliverect"
            },
            body: JSON.stringify(body)
          })
        // A key issued by another process is seen within KEY_CACHE_TTL_MS (5 s).
        await expect
          .poll(async () => (await sync("/api/v1/outlets/sync", outletsBatch)).status, { timeout: 10_000 })
          .toBe(200)
        expect((await sync("/api/v1/products/sync", menuSync)).status).toBe(200)
        // A snapshot that would deactivate every product: refused, and kept in the history as a failed sync.
        const emptied = menuSync.map((menu) => ({
          ...menu,
          categories: [],
          products: {},
          modifierGroups: {},
          modifiers: {},
          bundles: {},
          snoozedProducts: {}
        }))
        const refused = await sync("/api/v1/products/sync", emptied)
        expect(refused, refused.body).toMatchObject({ status: 409 })

        const webhook = JSON.stringify({
          accountId: "5b1f3e71c6489f0029a1b2d4",
          locationId: "61c30761e41eefadd03072af",
          channelLinkId: channelLink,
          operations: [{ action: "snooze", data: { items: [{ plu: "WNG-06", snoozeStart: "2026-03-24T16:21:54Z" }] } }]
        })
        const sendWebhook = () =>
          requestOf(`${origin}/api/v1/pos/deliverect/webhooks`, {
            method: "POST",
            headers: {
              host: tenantHost,
              "content-type": "application/json",
              "x-deliverect-signature": createHmac("sha256", webhookSecret).update(webhook).digest("hex")
            },
            body: webhook
          })
        // Without credentials the outlet's webhooks cannot be verified.
        expect((await sendWebhook()).status).not.toBe(200)

        // The page already shows this tenant, from before the syncs: read it again.
        await page.reload()
        await page.getByRole("heading", { name: "Tenant browser" }).waitFor()
        await page.getByRole("button", { name: "Set credentials of outlet Marina Bay Kitchen" }).click()
        const box = page.getByLabel(/^Credentials of /)
        // Not the plugin's credentials: the envelope names the wrong field, never its value.
        await box.fill(JSON.stringify({ channelName: 7, clientId: "client-1", clientSecret, webhookSecret }))
        await page.getByRole("button", { name: "Save credentials" }).click()
        await expect.poll(() => page.getByRole("alert").textContent(), { timeout: 15_000 }).toContain("channelName")
        expect(await page.getByRole("alert").textContent()).not.toContain(clientSecret)
        await page.getByRole("button", { name: "Set credentials of outlet Marina Bay Kitchen" }).click()
        await page
          .getByLabel(/^Credentials of /)
          .fill(JSON.stringify({ channelName: "browser", clientId: "client-1", clientSecret, webhookSecret }))
        await page.getByRole("button", { name: "Save credentials" }).click()
        await expect
          .poll(() => status().textContent(), { timeout: 15_000 })
          .toMatch(/^Set the POS credentials of outlet /)
        const accepted = await sendWebhook()
        expect(accepted.status).toBe(200)
        expect(accepted.body).toContain('"delivery":"applied"')

        await page.getByRole("link", { name: "Show failed syncs only" }).click()
        await page.getByRole("link", { name: "Show every sync" }).waitFor()
        await expect
          .poll(() => page.locator("code.problem").first().textContent(), { timeout: 15_000 })
          .toContain("TooManyDeactivations")
      })

      const loyaltyCredential = "loyalty-credential-browser-test-3f7a"
      await step("loyalty-tax-rewards", async () => {
        await page.getByLabel("Loyalty service URL (empty: the default)").fill("https://loyalty.example")
        await page.getByLabel("Loyalty credential (never shown again)").fill(loyaltyCredential)
        await page.getByRole("button", { name: "Save loyalty service" }).click()
        await expect
          .poll(() => status().textContent(), { timeout: 15_000 })
          .toBe("Set the loyalty service of tenant 'browser'")
        await page.getByLabel("Default tax rate, % (empty: none)").fill("8.875")
        await page.getByRole("button", { name: "Save tax defaults" }).click()
        await expect
          .poll(() => status().textContent(), { timeout: 15_000 })
          .toBe("Set the tax defaults of tenant 'browser'")
        await expect
          .poll(() => page.getByLabel("Default tax rate, % (empty: none)").inputValue(), { timeout: 15_000 })
          .toBe("8.875")
        // Rate limits: each partner key 5 reads a second (burst 10), the tenant's syncs 1 a second.
        await page.getByLabel("partner reads rate").fill("5")
        await page.getByLabel("partner reads burst").fill("10")
        await page.getByLabel("tenant syncs rate").fill("1")
        await page.getByRole("button", { name: "Save rate limits" }).click()
        await expect
          .poll(() => status().textContent(), { timeout: 15_000 })
          .toBe("Set the rate limits of tenant 'browser'")
        await expect.poll(() => page.getByLabel("partner reads burst").inputValue(), { timeout: 15_000 }).toBe("10")
        const limits = await fetch(`${origin}/admin/api/v1/tenants/browser`, { headers: { "x-api-key": adminKey } })
        expect(((await limits.json()) as { rateLimits: unknown }).rateLimits).toEqual({
          keys: { partner: { reads: { rate: 5, burst: 10 } } },
          tenant: { syncs: { rate: 1, burst: 1 } }
        })
        await page.getByLabel("Reward id").fill("kopi")
        await page.getByLabel("Reward name").fill("Kopi O")
        // Exact: "Filter webhook endpoints" holds the word too.
        await page.getByLabel("Points", { exact: true }).fill("20")
        await page.getByRole("button", { name: "Save reward" }).click()
        await expect.poll(() => status().textContent(), { timeout: 15_000 }).toBe("Set reward 'kopi'")
        await page.getByRole("button", { name: "Remove reward kopi" }).waitFor()
        expect(await page.getByRole("heading", { name: "Orders" }).count()).toBe(1)
      })

      await step("csrf", async () => {
        const session = (await page.context().cookies()).find((c) => c.name === "pos_admin_session")!
        const cookie = `pos_admin_session=${session.value}`
        const suspend = (headers: Record<string, string>) =>
          fetch(`${origin}/admin/api/v1/tenants/browser/suspend`, { method: "POST", headers: { cookie, ...headers } })
        // Another session's token: sign in again from here.
        const other = await fetch(`${origin}/admin/session`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ adminKey })
        })
        const otherToken = ((await other.json()) as { csrfToken: string }).csrfToken
        for (const headers of [{}, { "x-csrf-token": otherToken }, { "x-csrf-token": "nonsense" }]) {
          const refused = await suspend(headers)
          expect(refused.status).toBe(403)
        }
        const tenant = await fetch(`${origin}/admin/api/v1/tenants/browser`, { headers: { cookie } })
        expect(((await tenant.json()) as { status: string }).status).toBe("active")
        // Reads need no token; a partner key is no admin key.
        expect((await fetch(`${origin}/admin/api/v1/tenants`, { headers: { cookie } })).status).toBe(200)
        expect((await fetch(`${origin}/admin/api/v1/tenants`, { headers: { "x-api-key": secondKey } })).status).toBe(
          401
        )
      })

      await step("audit-and-sign-out", async () => {
        await page.getByRole("link", { name: "Audit log" }).click()
        await page.getByRole("heading", { name: "Audit log" }).waitFor()
        const text = (await page.locator("table").textContent()) ?? ""
        for (const action of [
          "tenant.create",
          "api-key.issue",
          "api-key.rotate",
          "api-key.revoke",
          "oauth-client.create",
          "oauth-client.rotate",
          "oauth-client.revoke",
          "webhook-endpoint.disable",
          "signing-key.publish",
          "admin-key.issue"
        ]) {
          expect(text).toContain(action)
        }
        expect(text).toContain("admin key 1 (browser-test)")
        await page.getByRole("button", { name: "Sign out" }).click()
        await page.getByRole("heading", { name: "Sign in" }).waitFor()
        await expect.poll(() => status().textContent(), { timeout: 15_000 }).toBe("Signed out")
        expect((await page.context().cookies()).find((c) => c.name === "pos_admin_session")).toBeUndefined()
        await page.goto(`${origin}/admin/#/tenants`)
        await page.getByRole("heading", { name: "Sign in" }).waitFor()
      })

      // Credentials are never shown back, logged or audited.
      expect(endpointSecret).toMatch(/^whsec_/)
      for (const value of [webhookSecret, clientSecret, loyaltyCredential, endpointSecret]) {
        expect(answers.filter((a) => a.body.includes(value)).map((a) => a.url)).toEqual([])
        expect(serviceLog()).not.toContain(value)
      }
      for (const token of accessTokens) expect(serviceLog()).not.toContain(token)
      // No answer but the one that first showed a secret holds it; no log line holds any.
      for (const { secret, shownBy } of secrets) {
        const holders = answers.filter((a) => a.body.includes(secret)).map((a) => new URL(a.url).pathname)
        expect(holders).toEqual(shownBy === "cli" ? [] : [shownBy])
        expect(serviceLog()).not.toContain(secret)
      }
      const audit = await (
        await fetch(`${origin}/admin/api/v1/audit?limit=500`, { headers: { "x-api-key": adminKey } })
      ).text()
      expect(audit).toContain("api-key.rotate")
      for (const value of [
        ...secrets.map((x) => x.secret),
        webhookSecret,
        clientSecret,
        loyaltyCredential,
        endpointSecret
      ])
        expect(audit).not.toContain(value)
    })
  })
}
