import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { type FakeDeliverectRequest, startFakeDeliverect } from "../../plugins/deliverect/fake-deliverect.ts"

/**
 * The fake Deliverect Channel API (plugins/deliverect/fake-deliverect.ts) as a process of its own for
 * `BENCH=orders`, so its CPU is measured apart from the service's and the load generator's. Its order
 * endpoint answers after BENCH_FAKE_DELAY_MS (20 by default).
 *
 * Prints one JSON line on stdout once both servers listen: `{"url", "control", "credentials"}`, the
 * fake's base URL, the control server's, and outlet credentials that reach the fake. The control
 * server (GET only) answers:
 * - `/stats`: `{orderRequests, tokenRequests, taken, duplicates}` (counts);
 * - `/arrivals`: `{arrivals: [[channelOrderId, receivedAtMs, status], ...], taken: [...], duplicates: [...]}`,
 *   one arrival per order request in the order received (`status` is the order's Deliverect status:
 *   100 for a cancellation), and the fake's own lists of the channelOrderIds it took and those it
 *   filed as duplicates.
 *
 * Usage: BENCH_FAKE_DELAY_MS=20 node test/bench/fake-pos.ts
 */

const delayMs = Number(process.env["BENCH_FAKE_DELAY_MS"] ?? "20")
if (!Number.isFinite(delayMs) || delayMs < 0) {
  process.stderr.write(
    `fake-pos.ts: BENCH_FAKE_DELAY_MS must be a number >= 0, got "${process.env["BENCH_FAKE_DELAY_MS"]}"\n`
  )
  process.exit(2)
}

const fake = await startFakeDeliverect({ delayMs })

/**
 * When each request arrived (epoch ms, sub-millisecond), by its index in `fake.requests`. The fake
 * appends a request to that list as soon as its body has arrived, before it answers: stamping that
 * same append gives the receive time without another server in front of the fake. The list is the
 * fake's own array (it hands out the array it appends to); if that ever changes, the check below
 * fails rather than stamping nothing.
 */
const receivedAt: Array<number> = []
const requests = fake.requests as Array<FakeDeliverectRequest>
if (!Array.isArray(requests) || requests.length !== 0) {
  throw new Error("fake-pos.ts: the fake's request list is not the empty array it appends to")
}
const append = requests.push.bind(requests)
requests.push = (...items: Array<FakeDeliverectRequest>) => {
  const at = performance.timeOrigin + performance.now()
  for (let i = 0; i < items.length; i++) receivedAt.push(at)
  return append(...items)
}

/** channelOrderId and status of an order request's body (parsed only when asked, not while under load). */
const orderOf = (body: string): { readonly channelOrderId: string; readonly status: number | null } => {
  try {
    const json = JSON.parse(body) as { channelOrderId?: unknown; status?: unknown }
    return {
      channelOrderId: typeof json.channelOrderId === "string" ? json.channelOrderId : "",
      status: typeof json.status === "number" ? json.status : null
    }
  } catch {
    return { channelOrderId: "", status: null }
  }
}

const control = createServer((request, response) => {
  request.resume()
  const path = new URL(request.url ?? "/", "http://control").pathname
  const send = (status: number, body: unknown) => {
    response.writeHead(status, { "content-type": "application/json" })
    response.end(JSON.stringify(body))
  }
  if (request.method !== "GET") return send(405, { error: "GET only" })
  if (path === "/stats") {
    return send(200, {
      orderRequests: fake.orderRequests(),
      tokenRequests: fake.tokenRequests(),
      taken: fake.taken.length,
      duplicates: fake.duplicates.length
    })
  }
  if (path === "/arrivals") {
    const arrivals: Array<[string, number, number | null]> = []
    requests.forEach((r, i) => {
      if (r.kind !== "order") return
      const { channelOrderId, status } = orderOf(r.body)
      arrivals.push([channelOrderId, receivedAt[i] ?? Number.NaN, status])
    })
    return send(200, { arrivals, taken: fake.taken, duplicates: fake.duplicates })
  }
  send(404, { error: "unknown path" })
})
await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve))

process.stdout.write(
  `${JSON.stringify({
    url: fake.url,
    control: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
    credentials: fake.credentials
  })}\n`
)

const stop = () => {
  control.close()
  control.closeAllConnections()
  void fake.close().finally(() => process.exit(0))
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
