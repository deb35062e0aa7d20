// The admin console: one page over the admin API (/admin/api/v1), signed in by an admin key that
// the service exchanges for a session cookie (HttpOnly: this script never sees it). Every change
// sends the session's CSRF token. Text from the API is only ever set as text, never as markup.

const base = location.pathname.replace(/\/admin\/?$/, "")
const apiRoot = `${base}/admin/api/v1`
const sessionUrl = `${base}/admin/session`
const main = document.getElementById("main")
const statusBox = document.getElementById("status")
const alertBox = document.getElementById("alert")
const state = { csrf: null, actor: null }

/** An element with attributes (`on*` functions become listeners) and children (strings become text). */
const h = (tag, attrs = {}, ...children) => {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value)
    else if (name === "text") el.textContent = value
    else el.setAttribute(name, value === true ? "" : String(value))
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return el
}

const say = (message) => {
  alertBox.hidden = true
  statusBox.textContent = message
  statusBox.hidden = false
}
const fail = (error) => {
  statusBox.hidden = true
  alertBox.textContent = error.details ? `${error.message}: ${error.details}` : error.message
  alertBox.hidden = false
}
const quiet = () => {
  statusBox.hidden = true
  alertBox.hidden = true
}

class ApiError extends Error {
  constructor(status, message, details) {
    super(message)
    this.status = status
    this.details = details
  }
}

/** A call to the admin API (or the session); the envelope of an error becomes an ApiError. */
const call = async (method, url, body) => {
  const headers = {}
  if (body !== undefined) headers["content-type"] = "application/json"
  if (method !== "GET" && state.csrf !== null) headers["x-csrf-token"] = state.csrf
  const response = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await response.text()
  const parsed = text === "" ? null : JSON.parse(text)
  if (!response.ok) {
    const error = parsed?.error ?? { message: `HTTP ${response.status}`, details: "" }
    if (response.status === 401 && url !== sessionUrl) {
      state.csrf = null
      location.hash = "#/sign-in"
    }
    throw new ApiError(response.status, error.message, error.details)
  }
  return parsed
}
const api = (method, path, body) => call(method, `${apiRoot}${path}`, body)

/**
 * Runs a change; its confirmation or its error goes to the live regions. With `refresh`, the page
 * is read again first, so the confirmation is said over the page as it now stands.
 */
const act = async (work, confirmation, refresh = false) => {
  try {
    const result = await work()
    if (refresh) await route()
    say(typeof confirmation === "function" ? confirmation(result) : confirmation)
    return result
  } catch (error) {
    fail(error)
    return undefined
  }
}

const field = (label, input) => h("label", {}, label, input)
const when = (iso) => (iso === null || iso === undefined ? "never" : iso.replace("T", " ").replace(/\.\d{3}Z$/, " UTC"))

/**
 * The scopes an OAuth client may be given, in the order the API lists them (domain/api-key.ts; the
 * browser test checks the two agree). `loyalty:*` is both loyalty boxes ticked.
 */
const allScopes = [
  "outlets:read",
  "products:read",
  "menus:read",
  "menus:write",
  "orders:read",
  "orders:write",
  "customers:read",
  "customers:write",
  "loyalty:read",
  "loyalty:write",
  "webhooks:read",
  "webhooks:write",
  "pos:sync"
]
/** The longest overlap of a rotation: 30 days, as the API allows. */
const maxOverlapSeconds = 2592000

/**
 * A table the user can filter (a text box over every cell), sort (a button in each header; the
 * header says which way with aria-sort) and page through (20 rows a page).
 */
const listTable = ({ caption, columns, rows, filterLabel, pageSize = 20 }) => {
  const view = { filter: "", sortBy: 0, ascending: true, page: 0 }
  const holder = h("div")
  const filterInput = h("input", { type: "search", oninput: () => ((view.filter = filterInput.value), (view.page = 0), draw()) })
  const draw = () => {
    const needle = view.filter.trim().toLowerCase()
    const shown = rows
      .filter((row) => needle === "" || columns.some((c) => String(c.value(row) ?? "").toLowerCase().includes(needle)))
      .sort((a, b) => {
        const x = String(columns[view.sortBy].value(a) ?? "")
        const y = String(columns[view.sortBy].value(b) ?? "")
        const order = x.localeCompare(y, undefined, { numeric: true })
        return view.ascending ? order : -order
      })
    const pages = Math.max(1, Math.ceil(shown.length / pageSize))
    view.page = Math.min(view.page, pages - 1)
    const page = shown.slice(view.page * pageSize, (view.page + 1) * pageSize)
    const header = h(
      "tr",
      {},
      columns.map((c, i) =>
        h(
          "th",
          { scope: "col", "aria-sort": view.sortBy === i ? (view.ascending ? "ascending" : "descending") : "none" },
          c.sortable === false
            ? c.title
            : h(
                "button",
                {
                  type: "button",
                  onclick: () => {
                    view.ascending = view.sortBy === i ? !view.ascending : true
                    view.sortBy = i
                    draw()
                  }
                },
                c.title,
                view.sortBy === i ? (view.ascending ? " ▲" : " ▼") : ""
              )
        )
      )
    )
    const body = page.map((row) => h("tr", {}, columns.map((c) => h("td", {}, c.cell ? c.cell(row) : (c.value(row) ?? "")))))
    holder.replaceChildren(
      h("table", {}, h("caption", { class: "muted" }, `${caption}: ${shown.length} of ${rows.length}`), h("thead", {}, header), h("tbody", {}, body)),
      h(
        "div",
        { class: "pager" },
        h("button", { type: "button", disabled: view.page === 0, onclick: () => ((view.page -= 1), draw()) }, "Previous page"),
        h("span", {}, `Page ${view.page + 1} of ${pages}`),
        h("button", { type: "button", disabled: view.page >= pages - 1, onclick: () => ((view.page += 1), draw()) }, "Next page")
      )
    )
  }
  draw()
  return h("div", {}, field(filterLabel ?? "Filter", filterInput), holder)
}

/** A key's secret, shown once with a copy button. */
const secretBox = (label, secret) => {
  const code = h("code", { id: "new-secret" }, secret)
  return h(
    "div",
    { class: "secret", role: "region", "aria-label": label },
    h("strong", {}, `${label} (shown once, copy it now): `),
    code,
    h(
      "button",
      {
        type: "button",
        onclick: async () => {
          try {
            await navigator.clipboard.writeText(secret)
            say("Copied to the clipboard")
          } catch {
            const range = document.createRange()
            range.selectNodeContents(code)
            getSelection().removeAllRanges()
            getSelection().addRange(range)
            say("Selected: copy it with Ctrl+C")
          }
        }
      },
      "Copy"
    )
  )
}

const heading = (text) => h("h2", { tabindex: "-1" }, text)

// ---- Views ----

const signIn = () => {
  const key = h("input", { type: "password", name: "adminKey", autocomplete: "off", required: true, id: "admin-key" })
  const form = h(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault()
        try {
          const session = await call("POST", sessionUrl, { adminKey: key.value })
          key.value = ""
          signedIn(session)
          say(`Signed in as ${session.actor}`)
          location.hash = "#/tenants"
        } catch (error) {
          fail(error.status === 401 ? { message: "Sign-in refused", details: "that is not a live admin key" } : error)
        }
      }
    },
    field("Admin key", key),
    h("button", { type: "submit", class: "primary" }, "Sign in")
  )
  return [heading("Sign in"), h("p", {}, "Sign in with an admin key (posa_...). Issue the first one with npm run admin -- admin-key issue."), form]
}

const tenants = async () => {
  const { data } = await api("GET", "/tenants")
  const id = h("input", { name: "tenantId", required: true })
  const name = h("input", { name: "name" })
  const country = h("input", { name: "country", value: "SG", size: 3 })
  const timezone = h("input", { name: "timezone", value: "Asia/Singapore" })
  const currency = h("input", { name: "currency", value: "SGD", size: 4 })
  const create = h(
    "form",
    {
      "aria-label": "Create a tenant",
      onsubmit: async (event) => {
        event.preventDefault()
        const body = { tenantId: id.value.trim(), country: country.value.trim(), timezone: timezone.value.trim(), currency: currency.value.trim() }
        if (name.value.trim() !== "") body.name = name.value.trim()
        const created = await act(() => api("POST", "/tenants", body), (t) => `Created tenant '${t.tenantId}'`)
        if (created) location.hash = `#/tenants/${created.tenantId}`
      }
    },
    field("Tenant id", id),
    field("Name", name),
    field("Country", country),
    field("Time zone", timezone),
    field("Currency", currency),
    h("button", { type: "submit", class: "primary" }, "Create tenant")
  )
  return [
    heading("Tenants"),
    listTable({
      caption: "Tenants",
      filterLabel: "Filter tenants",
      rows: data,
      columns: [
        { title: "Id", value: (t) => t.tenantId, cell: (t) => h("a", { href: `#/tenants/${t.tenantId}` }, t.tenantId) },
        { title: "Name", value: (t) => t.name },
        { title: "Status", value: (t) => t.status },
        { title: "Country", value: (t) => t.country },
        { title: "Currency", value: (t) => t.currency },
        { title: "Created", value: (t) => when(t.createdAt) }
      ]
    }),
    h("h3", {}, "Create a tenant"),
    create
  ]
}

const tenant = async (tenantId) => {
  const t = await api("GET", `/tenants/${encodeURIComponent(tenantId)}`)
  const keys = (await api("GET", `/tenants/${encodeURIComponent(tenantId)}/keys`)).data
  const secretHolder = h("div")
  const reload = () => route()
  const keyPath = (keyId) => `/tenants/${encodeURIComponent(tenantId)}/keys/${keyId}`

  const kind = h("select", { name: "kind" }, ["partner", "pos", "editor"].map((k) => h("option", { value: k }, k)))
  const keyName = h("input", { name: "name" })
  const expires = h("input", { name: "expiresAt", placeholder: "2027-01-01T00:00:00Z" })
  const issue = h(
    "form",
    {
      "aria-label": "Issue an API key",
      onsubmit: async (event) => {
        event.preventDefault()
        const body = { kind: kind.value }
        if (keyName.value.trim() !== "") body.name = keyName.value.trim()
        if (expires.value.trim() !== "") body.expiresAt = expires.value.trim()
        const issued = await act(() => api("POST", `/tenants/${encodeURIComponent(tenantId)}/keys`, body), (r) => `Issued ${r.key.kind} key ${r.key.keyId}`)
        if (issued) {
          await reload()
          document.getElementById("secret-holder").replaceChildren(secretBox(`Key ${issued.key.keyId}`, issued.secret))
        }
      }
    },
    field("Kind", kind),
    field("Name", keyName),
    field("Expires at (RFC 3339, optional)", expires),
    h("button", { type: "submit", class: "primary" }, "Issue key")
  )
  secretHolder.id = "secret-holder"

  const overlapChoice = (keyId) =>
    h(
      "select",
      { "aria-label": `Overlap for rotating key ${keyId}` },
      [
        ["0", "no overlap"],
        ["3600", "1 hour"],
        ["86400", "1 day"],
        ["604800", "7 days"]
      ].map(([value, text]) => h("option", { value, selected: value === "86400" }, text))
    )
  const keyActions = (k) => {
    if (k.state !== "active") return ""
    const overlap = overlapChoice(k.keyId)
    return h(
      "span",
      {},
      overlap,
      h(
        "button",
        {
          type: "button",
          "aria-label": `Rotate key ${k.keyId}`,
          onclick: async () => {
            const rotated = await act(
              () => api("POST", `${keyPath(k.keyId)}/rotate`, { overlapSeconds: Number(overlap.value) }),
              (r) => `Rotated key ${k.keyId}: new key ${r.key.keyId}; key ${k.keyId} stops working ${when(r.previous.expiresAt)}`
            )
            if (rotated) {
              await reload()
              document.getElementById("secret-holder").replaceChildren(secretBox(`Key ${rotated.key.keyId}`, rotated.secret))
            }
          }
        },
        "Rotate"
      ),
      h(
        "button",
        {
          type: "button",
          class: "danger",
          "aria-label": `Revoke key ${k.keyId}`,
          onclick: async () => {
            if (!confirm(`Revoke key ${k.keyId} ('${k.name}')? Its holder is refused at once.`)) return
            await act(() => api("POST", `${keyPath(k.keyId)}/revoke`), `Revoked key ${k.keyId}`, true)
          }
        },
        "Revoke"
      )
    )
  }

  const toggle = h(
    "button",
    {
      type: "button",
      class: t.status === "active" ? "danger" : "primary",
      onclick: async () => {
        const suspend = t.status === "active"
        if (suspend && !confirm(`Suspend tenant '${t.tenantId}'? Its partners get 401 until it is reactivated.`)) return
        await act(
          () => api("POST", `/tenants/${encodeURIComponent(tenantId)}/${suspend ? "suspend" : "reactivate"}`),
          `${suspend ? "Suspended" : "Reactivated"} tenant '${t.tenantId}'`
        , true)
      }
    },
    t.status === "active" ? "Suspend tenant" : "Reactivate tenant"
  )

  const tenantPath = `/tenants/${encodeURIComponent(tenantId)}`
  const clients = (await api("GET", `${tenantPath}/oauth-clients`)).data
  const clientPath = (clientId) => `${tenantPath}/oauth-clients/${encodeURIComponent(clientId)}`
  /** A client's id and secret, together: the secret is in this answer only. */
  const showClientSecret = (clientId, secret) =>
    document
      .getElementById("oauth-secret-holder")
      .replaceChildren(
        h(
          "div",
          { class: "client-secret" },
          h(
            "p",
            {},
            "Client id: ",
            h("code", { id: "new-client-id" }, clientId),
            ". The client sends its id and secret to POST /oauth/token on the tenant's host (grant_type=client_credentials)."
          ),
          secretBox(`Secret of client ${clientId}`, secret)
        )
      )

  const clientName = h("input", { name: "clientName", required: true, maxlength: 200 })
  const scopeBoxes = allScopes.map((scope) => h("input", { type: "checkbox", name: "scopes", value: scope }))
  const clientExpires = h("input", { name: "clientExpiresAt", placeholder: "2027-01-01T00:00:00Z" })
  const createClient = h(
    "form",
    {
      "aria-label": "Create an OAuth client",
      onsubmit: async (event) => {
        event.preventDefault()
        const scopes = scopeBoxes.filter((box) => box.checked).map((box) => box.value)
        if (scopes.length === 0) {
          fail({ message: "invalid request", details: "tick at least one scope" })
          return
        }
        const body = { name: clientName.value.trim(), scopes }
        if (clientExpires.value.trim() !== "") body.expiresAt = clientExpires.value.trim()
        const created = await act(
          () => api("POST", `${tenantPath}/oauth-clients`, body),
          (r) => `Created OAuth client ${r.client.clientId}`
        )
        if (created) {
          await reload()
          showClientSecret(created.client.clientId, created.clientSecret)
        }
      }
    },
    field("Client name", clientName),
    h(
      "fieldset",
      { class: "scopes" },
      h("legend", {}, "Scopes the client may ask for"),
      scopeBoxes.map((box) => h("label", { class: "inline" }, box, ` ${box.value}`))
    ),
    field("Client expiry (RFC 3339, optional)", clientExpires),
    h("button", { type: "submit", class: "primary" }, "Create client")
  )

  const clientActions = (c) => {
    if (c.state !== "active") return ""
    const overlap = h("input", {
      type: "number",
      min: "0",
      max: String(maxOverlapSeconds),
      step: "1",
      value: "86400",
      size: 8,
      "aria-label": `Overlap in seconds for rotating client ${c.clientId}`
    })
    return h(
      "span",
      {},
      overlap,
      h(
        "button",
        {
          type: "button",
          "aria-label": `Rotate the secret of client ${c.clientId}`,
          onclick: async () => {
            const seconds = Number(overlap.value)
            if (overlap.value.trim() === "" || !Number.isInteger(seconds) || seconds < 0 || seconds > maxOverlapSeconds) {
              fail({ message: "invalid request", details: `the overlap is a whole number of seconds from 0 to ${maxOverlapSeconds} (30 days)` })
              return
            }
            const rotated = await act(
              () => api("POST", `${clientPath(c.clientId)}/rotate`, { overlapSeconds: seconds }),
              (r) =>
                `Rotated the secret of client ${c.clientId}; the old secret ${
                  r.client.previousSecretExpiresAt === null ? "stops working now" : `works until ${when(r.client.previousSecretExpiresAt)}`
                }`
            )
            if (rotated) {
              await reload()
              showClientSecret(rotated.client.clientId, rotated.clientSecret)
            }
          }
        },
        "Rotate secret"
      ),
      h(
        "button",
        {
          type: "button",
          class: "danger",
          "aria-label": `Revoke client ${c.clientId}`,
          onclick: async () => {
            if (!confirm(`Revoke OAuth client ${c.clientId} ('${c.name}')? It gets no more tokens, and its tokens are refused.`)) return
            await act(() => api("POST", `${clientPath(c.clientId)}/revoke`), `Revoked OAuth client ${c.clientId}`, true)
          }
        },
        "Revoke"
      )
    )
  }
  const endpoints = (await api("GET", `${tenantPath}/webhook-endpoints`)).data
  /** An owner as the tables above name it: `apiKey:3` is key 3, `oauthClient:2` is client posc_2. */
  const ownerName = (owner) => {
    const [kind, id] = owner.split(":")
    return kind === "apiKey" ? `API key ${id}` : kind === "oauthClient" ? `OAuth client posc_${id}` : owner
  }
  /** An endpoint's health in words: what waits for it and how its latest try went. */
  const healthText = (e) => {
    const { pending, oldestPendingAt, lastSuccessAt, lastError } = e.health
    const waiting = pending === 0 ? "" : `${pending} waiting since ${when(oldestPendingAt)}; `
    if (lastError !== null) return `failing: ${waiting}last try: ${lastError}; last delivered ${when(lastSuccessAt)}`
    if (lastSuccessAt !== null) return `ok: ${waiting}last delivered ${when(lastSuccessAt)}`
    return pending === 0 ? "nothing sent yet" : `${waiting}not tried yet`
  }
  /** An endpoint's latest deliveries, each with its tries, below the table. */
  const showDeliveries = async (e) => {
    const path = `${tenantPath}/webhook-endpoints/${encodeURIComponent(e.endpointId)}/deliveries`
    const deliveries = (await api("GET", path)).data
    const tries = (d) =>
      d.attempts
        .map((a) => `#${a.attempt} ${when(a.startedAt)} ${a.statusCode ?? "-"} ${a.latencyMs} ms${a.error === null ? "" : ` (${a.error})`}`)
        .join("; ")
    document.getElementById("webhook-deliveries").replaceChildren(
      h("h4", {}, `Recent deliveries to ${e.endpointId}`),
      listTable({
        caption: `Recent deliveries to ${e.url}`,
        filterLabel: "Filter deliveries",
        rows: deliveries,
        columns: [
          { title: "Sequence", value: (d) => String(d.sequence).padStart(12, "0"), cell: (d) => String(d.sequence) },
          { title: "Event", value: (d) => d.eventType },
          { title: "Event id", value: (d) => d.eventId },
          { title: "State", value: (d) => (d.state === "pending" ? `pending, next try ${when(d.nextAttemptAt)}` : d.state) },
          { title: "Created", value: (d) => d.createdAt, cell: (d) => when(d.createdAt) },
          { title: "Tries", value: tries }
        ]
      })
    )
  }
  // Operators only stop an endpoint: its owner registers, changes and enables it through the partner API.
  const endpointActions = (e) => {
    const deliveriesButton = h(
      "button",
      { type: "button", "aria-label": `Deliveries to endpoint ${e.endpointId}`, onclick: () => showDeliveries(e).catch(fail) },
      "Deliveries"
    )
    if (!e.enabled) return deliveriesButton
    const reason = h("input", {
      name: "disableReason",
      maxlength: 500,
      size: 24,
      placeholder: "reason (optional)",
      "aria-label": `Reason for disabling endpoint ${e.endpointId}`
    })
    return h(
      "span",
      {},
      deliveriesButton,
      reason,
      h(
        "button",
        {
          type: "button",
          class: "danger",
          "aria-label": `Disable endpoint ${e.endpointId}`,
          onclick: async () => {
            const why = reason.value.trim()
            const question = `Disable webhook endpoint ${e.endpointId} (${e.url})? Nothing more is sent to it until its owner enables it again.`
            if (!confirm(question)) return
            const path = `${tenantPath}/webhook-endpoints/${encodeURIComponent(e.endpointId)}/disable`
            await act(
              () => api("POST", path, why === "" ? {} : { reason: why }),
              `Disabled webhook endpoint ${e.endpointId}`,
              true
            )
          }
        },
        "Disable"
      )
    )
  }
  const outlets = (await api("GET", `${tenantPath}/outlets?limit=500`)).data
  const failedOnly = new URLSearchParams(location.hash.split("?")[1] ?? "").get("syncs") === "failed"
  const syncs = (await api("GET", `${tenantPath}/syncs?limit=100${failedOnly ? "&outcome=failed" : ""}`)).data
  const credentialsHolder = h("div", { id: "credentials-form" })
  const credentialsForm = (outlet) => {
    const text = h("textarea", { name: "credentials", spellcheck: "false", autocomplete: "off" })
    return h(
      "form",
      {
        "aria-label": `POS credentials of outlet ${outlet.name}`,
        onsubmit: async (event) => {
          event.preventDefault()
          let value
          try {
            value = JSON.parse(text.value)
          } catch {
            fail({ message: "invalid request", details: "the credentials are not JSON" })
            return
          }
          // The value is never kept in the page, set or not.
          text.value = ""
          await act(
            () => api("PUT", `${tenantPath}/outlets/${encodeURIComponent(outlet.outletId)}/credentials`, value),
            `Set the POS credentials of outlet ${outlet.name}`,
            true
          )
        }
      },
      field(`Credentials of ${outlet.name} (JSON, as the ${outlet.provider} plugin's README lists them; never shown again)`, text),
      h("button", { type: "submit", class: "primary" }, "Save credentials")
    )
  }
  const outletActions = (o) =>
    h(
      "button",
      {
        type: "button",
        "aria-label": `Set credentials of outlet ${o.name}`,
        onclick: () => {
          const holder = document.getElementById("credentials-form")
          holder.replaceChildren(credentialsForm(o))
          holder.querySelector("textarea").focus()
        }
      },
      o.credentials === "set" ? "Replace credentials" : "Set credentials"
    )

  const rewards = (await api("GET", `${tenantPath}/rewards`)).data
  const orders = (await api("GET", `${tenantPath}/orders?limit=50`)).data

  const loyaltyUrl = h("input", { name: "loyaltyUrl", value: t.loyaltyUrl ?? "", placeholder: "https://loyalty.example" })
  const loyaltyCredential = h("input", { name: "loyaltyCredential", type: "password", autocomplete: "off", required: true })
  const loyaltyForm = h(
    "form",
    {
      "aria-label": "Loyalty service",
      onsubmit: async (event) => {
        event.preventDefault()
        const body = { url: loyaltyUrl.value.trim() === "" ? null : loyaltyUrl.value.trim(), credential: loyaltyCredential.value }
        loyaltyCredential.value = ""
        await act(() => api("PUT", `${tenantPath}/loyalty`, body), `Set the loyalty service of tenant '${tenantId}'`, true)
      }
    },
    field("Loyalty service URL (empty: the default)", loyaltyUrl),
    field("Loyalty credential (never shown again)", loyaltyCredential),
    h("button", { type: "submit" }, "Save loyalty service")
  )
  const inclusive = h("input", { type: "checkbox", name: "taxInclusive", checked: t.taxInclusive })
  const rate = h("input", {
    name: "taxRate",
    value: t.taxRatePpm === null ? "" : String(t.taxRatePpm / 10000),
    placeholder: "9",
    inputmode: "decimal",
    size: 8
  })
  const taxForm = h(
    "form",
    {
      "aria-label": "Tax defaults",
      onsubmit: async (event) => {
        event.preventDefault()
        const text = rate.value.trim()
        const match = /^(\d{1,3})(?:\.(\d{1,4}))?$/.exec(text)
        if (text !== "" && match === null) {
          fail({ message: "invalid request", details: "the rate is a percentage with at most 4 decimals, e.g. 9 or 8.875" })
          return
        }
        const ppm = match === null ? null : Number(match[1]) * 10000 + Number((match[2] ?? "").padEnd(4, "0"))
        await act(
          () => api("PUT", `${tenantPath}/tax`, { taxInclusive: inclusive.checked, taxRatePpm: ppm }),
          `Set the tax defaults of tenant '${tenantId}'`
        , true)
      }
    },
    h("label", { class: "inline" }, inclusive, " Prices include tax"),
    field("Default tax rate, % (empty: none)", rate),
    h("button", { type: "submit" }, "Save tax defaults")
  )

  // Rate limits: a rate (requests a second) and a burst per caller and class; both empty: no limit.
  const limitWho = [
    ["partner", "Each partner key or OAuth client"],
    ["pos", "Each POS key"],
    ["editor", "Each editor key"],
    ["tenant", "The whole tenant"]
  ]
  const limitClasses = ["reads", "writes", "syncs"]
  const limitOf = (who, cls) => (who === "tenant" ? t.rateLimits.tenant?.[cls] : t.rateLimits.keys?.[who]?.[cls])
  const limitInputs = {}
  for (const [who] of limitWho) {
    for (const cls of limitClasses) {
      const current = limitOf(who, cls)
      limitInputs[`${who}.${cls}`] = {
        rate: h("input", { name: `${who}.${cls}.rate`, "aria-label": `${who} ${cls} rate`, value: current?.rate ?? "", inputmode: "decimal", size: 6 }),
        burst: h("input", { name: `${who}.${cls}.burst`, "aria-label": `${who} ${cls} burst`, value: current?.burst ?? "", inputmode: "numeric", size: 6 })
      }
    }
  }
  const rateLimitsForm = h(
    "form",
    {
      "aria-label": "Rate limits",
      onsubmit: async (event) => {
        event.preventDefault()
        const limits = {}
        for (const [who] of limitWho) {
          for (const cls of limitClasses) {
            const { rate, burst } = limitInputs[`${who}.${cls}`]
            if (rate.value.trim() === "" && burst.value.trim() === "") continue
            // The service checks the numbers; an empty burst is the rate rounded up.
            const r = Number(rate.value.trim())
            const b = burst.value.trim() === "" ? Math.max(1, Math.ceil(r)) : Number(burst.value.trim())
            const limit = { rate: r, burst: b }
            if (who === "tenant") limits.tenant = { ...limits.tenant, [cls]: limit }
            else limits.keys = { ...limits.keys, [who]: { ...limits.keys?.[who], [cls]: limit } }
          }
        }
        await act(() => api("PUT", `${tenantPath}/rate-limits`, limits), `Set the rate limits of tenant '${tenantId}'`, true)
      }
    },
    h(
      "table",
      {},
      h("caption", {}, "Rate limits: requests a second / burst; empty: not limited"),
      h("thead", {}, h("tr", {}, h("th", {}, "Who"), ...limitClasses.map((cls) => h("th", {}, cls)))),
      h(
        "tbody",
        {},
        ...limitWho.map(([who, label]) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, label),
            ...limitClasses.map((cls) => h("td", {}, limitInputs[`${who}.${cls}`].rate, " / ", limitInputs[`${who}.${cls}`].burst))
          )
        )
      )
    ),
    h("button", { type: "submit" }, "Save rate limits")
  )

  const rewardId = h("input", { name: "rewardId", required: true })
  const rewardName = h("input", { name: "rewardName", required: true })
  const rewardPoints = h("input", { name: "rewardPoints", type: "number", min: "1", required: true })
  const rewardForm = h(
    "form",
    {
      "aria-label": "Set a reward",
      onsubmit: async (event) => {
        event.preventDefault()
        const id = rewardId.value.trim()
        await act(
          () =>
            api("PUT", `${tenantPath}/rewards/${encodeURIComponent(id)}`, {
              name: rewardName.value.trim(),
              points: Number(rewardPoints.value)
            }),
          `Set reward '${id}'`
        , true)
      }
    },
    field("Reward id", rewardId),
    field("Reward name", rewardName),
    field("Points", rewardPoints),
    h("button", { type: "submit" }, "Save reward")
  )
  const orderDetail = h("div", { id: "order-detail" })
  const showOrder = async (orderId) => {
    try {
      const order = await api("GET", `${tenantPath}/orders/${encodeURIComponent(orderId)}`)
      orderDetail.replaceChildren(
        h("h4", {}, `Order ${order.orderId} (${order.refCode}): ${order.status}`),
        listTable({
          caption: "Timeline",
          filterLabel: "Filter the timeline",
          rows: order.timeline,
          columns: [
            { title: "When", value: (e) => e.at, cell: (e) => when(e.at) },
            { title: "Status", value: (e) => e.status ?? "(recorded)" },
            { title: "From", value: (e) => e.source },
            { title: "POS status", value: (e) => e.vendorStatus ?? "" },
            { title: "Reason", value: (e) => e.reason ?? "" }
          ]
        }),
        listTable({
          caption: "Deliveries to the POS",
          filterLabel: "Filter the deliveries",
          rows: order.deliveries,
          columns: [
            { title: "Kind", value: (d) => d.kind },
            { title: "Attempt", value: (d) => d.attempt },
            { title: "Started", value: (d) => d.startedAt, cell: (d) => when(d.startedAt) },
            { title: "Outcome", value: (d) => d.outcome },
            { title: "Reason", value: (d) => d.reason ?? "" }
          ]
        })
      )
      orderDetail.querySelector("h4").setAttribute("tabindex", "-1")
      orderDetail.querySelector("h4").focus()
    } catch (error) {
      fail(error)
    }
  }

  return [
    heading(`Tenant ${t.tenantId}`),
    h(
      "dl",
      {},
      [
        ["Name", t.name],
        ["Status", t.status],
        ["Country", t.country],
        ["Time zone", t.timezone],
        ["Currency", t.currency],
        ["Storage", t.ownDatabase ? "its own database" : "a schema of the control database"],
        ["Loyalty", `${t.loyaltyUrl ?? "the default service"}; credential ${t.loyaltyCredentialSet ? "set" : "not set"}`],
        ["Prices include tax", t.taxInclusive ? "yes" : "no"],
        ["Created", when(t.createdAt)]
      ].flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])
    ),
    toggle,
    h("h3", {}, "API keys"),
    secretHolder,
    listTable({
      caption: "API keys",
      filterLabel: "Filter keys",
      rows: keys,
      columns: [
        { title: "Id", value: (k) => k.keyId },
        { title: "Name", value: (k) => k.name },
        { title: "Kind", value: (k) => k.kind },
        { title: "Scopes", value: (k) => k.scopes.join(", ") },
        { title: "State", value: (k) => k.state },
        { title: "Expires", value: (k) => when(k.expiresAt) },
        { title: "Last used", value: (k) => when(k.lastUsedAt) },
        { title: "Actions", value: () => "", sortable: false, cell: keyActions }
      ]
    }),
    h("h4", {}, "Issue a key"),
    issue,
    h("h3", {}, "OAuth clients"),
    h("div", { id: "oauth-secret-holder" }),
    listTable({
      caption: "OAuth clients",
      filterLabel: "Filter OAuth clients",
      rows: clients,
      columns: [
        { title: "Client id", value: (c) => c.clientId },
        { title: "Name", value: (c) => c.name },
        { title: "Scopes", value: (c) => c.scopes.join(", ") },
        { title: "State", value: (c) => c.state },
        { title: "Expires", value: (c) => when(c.expiresAt) },
        { title: "Last used", value: (c) => when(c.lastUsedAt) },
        {
          title: "Old secret until",
          value: (c) => (c.previousSecretExpiresAt === null ? "" : when(c.previousSecretExpiresAt))
        },
        { title: "Actions", value: () => "", sortable: false, cell: clientActions }
      ]
    }),
    h("h4", {}, "Create an OAuth client"),
    createClient,
    h("h3", {}, "Webhook endpoints"),
    h("p", {}, "The partners register their endpoints themselves (POST /api/v1/webhook-endpoints); a disabled endpoint hears nothing until its owner enables it again. An endpoint failing every try for a day is disabled by the service."),
    listTable({
      caption: "Webhook endpoints",
      filterLabel: "Filter webhook endpoints",
      rows: endpoints,
      columns: [
        { title: "Endpoint id", value: (e) => e.endpointId },
        { title: "Owners", value: (e) => e.owners.map(ownerName).join(", ") },
        { title: "URL", value: (e) => e.url, cell: (e) => h("span", { class: "url" }, e.url) },
        { title: "Event types", value: (e) => (e.eventTypes.length === 0 ? "all" : e.eventTypes.join(", ")) },
        { title: "State", value: (e) => (e.enabled ? "enabled" : `disabled: ${e.disabledReason ?? "no reason given"}`) },
        { title: "Health", value: healthText },
        { title: "Updated", value: (e) => e.updatedAt, cell: (e) => when(e.updatedAt) },
        { title: "Actions", value: () => "", sortable: false, cell: endpointActions }
      ]
    }),
    h("div", { id: "webhook-deliveries" }),
    h("h3", {}, "Outlets and POS credentials"),
    listTable({
      caption: "Outlets",
      filterLabel: "Filter outlets",
      rows: outlets,
      columns: [
        { title: "Outlet", value: (o) => o.name },
        { title: "POS", value: (o) => o.provider },
        { title: "POS id", value: (o) => o.externalId },
        { title: "Active", value: (o) => (o.active ? "yes" : "no") },
        { title: "Busy mode", value: (o) => o.busyMode },
        { title: "Credentials", value: (o) => o.credentials },
        { title: "Account credentials", value: (o) => o.accountCredentials ?? "n/a" },
        { title: "Actions", value: () => "", sortable: false, cell: outletActions }
      ]
    }),
    credentialsHolder,
    h("h3", {}, "Loyalty and tax"),
    loyaltyForm,
    taxForm,
    h("h3", {}, "Rate limits"),
    rateLimitsForm,
    h("h3", {}, "Rewards"),
    listTable({
      caption: "Rewards",
      filterLabel: "Filter rewards",
      rows: rewards,
      columns: [
        { title: "Id", value: (r) => r.rewardId },
        { title: "Name", value: (r) => r.name },
        { title: "Points", value: (r) => r.points },
        {
          title: "Actions",
          value: () => "",
          sortable: false,
          cell: (r) =>
            h(
              "button",
              {
                type: "button",
                class: "danger",
                "aria-label": `Remove reward ${r.rewardId}`,
                onclick: async () => {
                  if (!confirm(`Remove reward '${r.rewardId}'?`)) return
                  await act(
                    () => api("DELETE", `${tenantPath}/rewards/${encodeURIComponent(r.rewardId)}`),
                    `Removed reward '${r.rewardId}'`
                  , true)
                }
              },
              "Remove"
            )
        }
      ]
    }),
    rewardForm,
    h("h3", {}, "Orders"),
    listTable({
      caption: "The latest orders",
      filterLabel: "Filter orders",
      rows: orders,
      columns: [
        { title: "Created", value: (o) => o.createdAt, cell: (o) => when(o.createdAt) },
        {
          title: "Order",
          value: (o) => o.orderId,
          cell: (o) => h("button", { type: "button", onclick: () => showOrder(o.orderId) }, o.orderId)
        },
        { title: "refCode", value: (o) => o.refCode },
        { title: "Outlet", value: (o) => o.outletId },
        { title: "Status", value: (o) => o.status },
        { title: "Total", value: (o) => `${(o.totals.total.amount / 100).toFixed(2)} ${o.currency}` }
      ]
    }),
    orderDetail,
    h("h3", {}, "Syncs"),
    h(
      "p",
      {},
      failedOnly
        ? h("a", { href: `#/tenants/${tenantId}` }, "Show every sync")
        : h("a", { href: `#/tenants/${tenantId}?syncs=failed` }, "Show failed syncs only")
    ),
    listTable({
      caption: failedOnly ? "Failed syncs, newest first" : "Syncs, newest first",
      filterLabel: "Filter syncs",
      rows: syncs,
      columns: [
        { title: "Finished", value: (x) => x.finishedAt, cell: (x) => when(x.finishedAt) },
        { title: "Kind", value: (x) => `${x.kind} (${x.source})` },
        { title: "POS", value: (x) => x.provider },
        { title: "Outlet", value: (x) => x.outletId ?? "" },
        { title: "Outcome", value: (x) => x.status },
        {
          title: "Counts or problem",
          value: (x) => x.error ?? JSON.stringify(x.counts),
          cell: (x) => (x.error === null ? JSON.stringify(x.counts) : h("code", { class: "problem" }, x.error))
        }
      ]
    })
  ]
}

const adminKeys = async () => {
  const { data } = await api("GET", "/admin-keys")
  // The signing keys may be unreadable (their store fails) while the admin keys are not: the page still serves.
  let signingKeys
  try {
    signingKeys = (await api("GET", "/oauth/signing-keys")).data
  } catch (error) {
    if (error.status === 401) throw error
    signingKeys = error
  }
  const name = h("input", { name: "name", required: true })
  const holder = h("div", { id: "secret-holder" })
  const form = h(
    "form",
    {
      "aria-label": "Issue an admin key",
      onsubmit: async (event) => {
        event.preventDefault()
        const issued = await act(() => api("POST", "/admin-keys", { name: name.value.trim() }), (r) => `Issued admin key ${r.key.keyId}`)
        if (issued) {
          await route()
          document.getElementById("secret-holder").replaceChildren(secretBox(`Admin key ${issued.key.keyId}`, issued.secret))
        }
      }
    },
    field("Whose key (name)", name),
    h("button", { type: "submit", class: "primary" }, "Issue admin key")
  )
  return [
    heading("Admin and signing keys"),
    h("h3", {}, "Admin keys"),
    holder,
    listTable({
      caption: "Admin keys",
      filterLabel: "Filter admin keys",
      rows: data,
      columns: [
        { title: "Id", value: (k) => k.keyId },
        { title: "Name", value: (k) => k.name },
        { title: "State", value: (k) => k.state },
        { title: "Issued by", value: (k) => k.createdBy },
        { title: "Last used", value: (k) => when(k.lastUsedAt) },
        {
          title: "Actions",
          value: () => "",
          sortable: false,
          cell: (k) =>
            k.state !== "active"
              ? ""
              : h(
                  "button",
                  {
                    type: "button",
                    class: "danger",
                    "aria-label": `Revoke admin key ${k.keyId}`,
                    onclick: async () => {
                      if (!confirm(`Revoke admin key ${k.keyId} ('${k.name}')?`)) return
                      await act(() => api("POST", `/admin-keys/${k.keyId}/revoke`), `Revoked admin key ${k.keyId}`, true)
                    }
                  },
                  "Revoke"
                )
        }
      ]
    }),
    h("h3", {}, "Issue an admin key"),
    form,
    h("h3", {}, "Token signing keys"),
    h(
      "p",
      {},
      "These keys sign every tenant's OAuth access tokens. The service publishes the next key itself before it is due; publishing one now makes it sign after the lead time, and the current key then only checks its tokens until they expire."
    ),
    signingKeys instanceof Error
      ? h("p", { class: "problem" }, `The signing keys cannot be read: ${signingKeys.message}${signingKeys.details ? `: ${signingKeys.details}` : ""}`)
      : listTable({
          caption: "Signing keys",
          filterLabel: "Filter signing keys",
          rows: signingKeys,
          columns: [
            // By the time each signs from: the order the keys take turns in.
            { title: "Signs from", value: (k) => k.activatesAt, cell: (k) => when(k.activatesAt) },
            { title: "Key id (kid)", value: (k) => k.kid },
            { title: "Status", value: (k) => k.status },
            { title: "Removable at", value: (k) => k.removableAt ?? "", cell: (k) => (k.removableAt === null ? "" : when(k.removableAt)) },
            {
              title: "Problem",
              value: (k) => k.problem ?? "",
              cell: (k) => (k.problem === null ? "" : h("code", { class: "problem" }, k.problem))
            }
          ]
        }),
    h(
      "button",
      {
        type: "button",
        class: "primary",
        onclick: () =>
          act(
            () => api("POST", "/oauth/signing-keys/rotate"),
            (r) =>
              r.created
                ? `Published signing key ${r.key.kid}; it signs from ${when(r.key.activatesAt)}`
                : `Signing key ${r.key.kid} is already waiting; it signs from ${when(r.key.activatesAt)}`,
            true
          )
      },
      "Publish next signing key"
    )
  ]
}

const plugins = async () => {
  const { data } = await api("GET", "/plugins")
  return [
    heading("Plugins"),
    listTable({
      caption: "Loaded POS plugins",
      filterLabel: "Filter plugins",
      rows: data,
      columns: [
        { title: "Id", value: (p) => p.id },
        { title: "Name", value: (p) => p.displayName },
        { title: "Version", value: (p) => p.version },
        { title: "SDK", value: (p) => p.sdkVersion },
        { title: "Capabilities", value: (p) => p.capabilities.join(", ") }
      ]
    })
  ]
}

const audit = async (query) => {
  const params = new URLSearchParams(query)
  const page = await api("GET", `/audit?${params}`)
  const tenantFilter = h("input", { name: "tenantId", value: params.get("tenantId") ?? "" })
  const actionFilter = h("input", { name: "action", value: params.get("action") ?? "", placeholder: "api-key." })
  const go = (next) => {
    const q = new URLSearchParams()
    if (tenantFilter.value.trim() !== "") q.set("tenantId", tenantFilter.value.trim())
    if (actionFilter.value.trim() !== "") q.set("action", actionFilter.value.trim())
    if (next) q.set("cursor", next)
    location.hash = `#/audit?${q}`
  }
  return [
    heading("Audit log"),
    h(
      "form",
      { "aria-label": "Filter the audit log", onsubmit: (event) => (event.preventDefault(), go(null)) },
      field("Tenant", tenantFilter),
      field("Action or resource (e.g. api-key.)", actionFilter),
      h("button", { type: "submit" }, "Apply filters")
    ),
    listTable({
      caption: "Audit entries, newest first",
      filterLabel: "Filter this page",
      pageSize: 50,
      rows: page.data,
      columns: [
        { title: "When", value: (e) => e.at, cell: (e) => when(e.at) },
        { title: "Who", value: (e) => e.actor },
        { title: "Action", value: (e) => e.action },
        { title: "Tenant", value: (e) => e.tenantId ?? "" },
        { title: "What", value: (e) => e.summary },
        { title: "From", value: (e) => e.address ?? "" }
      ]
    }),
    h(
      "div",
      { class: "pager" },
      params.has("cursor") ? h("button", { type: "button", onclick: () => go(null) }, "Newest entries") : "",
      page.nextCursor ? h("button", { type: "button", onclick: () => go(page.nextCursor) }, "Older entries") : ""
    )
  ]
}

// ---- Routing ----

const signedIn = (session) => {
  state.csrf = session.csrfToken
  state.actor = session.actor
  document.getElementById("actor").textContent = `Signed in as ${session.actor}`
  document.getElementById("who").hidden = false
  document.getElementById("nav").hidden = false
}
const signedOut = () => {
  state.csrf = null
  state.actor = null
  document.getElementById("who").hidden = true
  document.getElementById("nav").hidden = true
}

const route = async () => {
  const hash = location.hash.replace(/^#/, "") || "/tenants"
  const [path, query = ""] = hash.split("?")
  if (state.csrf === null && path !== "/sign-in") {
    try {
      signedIn(await call("GET", sessionUrl))
    } catch {
      signedOut()
      location.hash = "#/sign-in"
      return
    }
  }
  for (const link of document.querySelectorAll("nav a")) {
    if (path.startsWith(link.getAttribute("href").slice(1))) link.setAttribute("aria-current", "page")
    else link.removeAttribute("aria-current")
  }
  let content
  try {
    const tenantMatch = /^\/tenants\/([a-z0-9-]+)$/.exec(path)
    if (path === "/sign-in") content = signIn()
    else if (path === "/tenants") content = await tenants()
    else if (tenantMatch) content = await tenant(tenantMatch[1])
    else if (path === "/admin-keys") content = await adminKeys()
    else if (path === "/plugins") content = await plugins()
    else if (path === "/audit") content = await audit(query)
    else content = [heading("Not found"), h("p", {}, "No such page."), h("a", { href: "#/tenants" }, "Tenants")]
  } catch (error) {
    if (error.status === 401) return
    fail(error)
    content = [heading("Something went wrong")]
  }
  main.replaceChildren(...content)
  main.querySelector("h2")?.focus()
}

document.getElementById("sign-out").addEventListener("click", async () => {
  try {
    await call("DELETE", sessionUrl)
  } catch (error) {
    fail(error)
    return
  }
  signedOut()
  say("Signed out")
  location.hash = "#/sign-in"
})

// A section chosen from the navigation starts without the last page's messages.
for (const link of document.querySelectorAll("nav a")) link.addEventListener("click", quiet)
window.addEventListener("hashchange", () => route())
route()
