/**
 * The error answers every operation documents, in one place: what each status means for a partner
 * and an example envelope. The middleware and the request pipeline answer them outside the
 * endpoints' declarations (405, 413, 500, the JSON content type), so they are added here.
 */

const envelopeRef = { $ref: "#/components/schemas/ErrorEnvelope" }

const example = (code: number, message: string, details: string) => ({
  "application/json": { schema: envelopeRef, example: { error: { code, message, details } } }
})

const requestIdHeader = {
  "X-Request-Id": {
    description: "The caller's X-Request-Id when it matches `[A-Za-z0-9._:-]{1,128}`, else a new one.",
    schema: { type: "string", pattern: "^[A-Za-z0-9._:-]{1,128}$" }
  }
}

/** The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers), with Retry-After on a 429. */
export const rateLimitHeaders = {
  "Retry-After": {
    description: "Seconds until the empty bucket holds a token again.",
    schema: { type: "integer", minimum: 1 }
  },
  "RateLimit-Policy": {
    description:
      "Each limit that applies, as a token bucket: `q` requests at once (its burst) over a window `w` of seconds (the time it takes to refill). `key-*` is this key's (or client's) own bucket, `tenant-*` the bucket every caller of the tenant shares.",
    schema: { type: "string" },
    example: '"key-reads";q=10;w=1'
  },
  RateLimit: {
    description: "What is left of each limit: `r` requests now, `t` seconds until the bucket is full again.",
    schema: { type: "string" },
    example: '"key-reads";r=0;t=1'
  }
}

export interface ErrorResponse {
  readonly description: string
  readonly headers: Record<string, unknown>
  readonly content: Record<string, unknown>
}

const response = (
  code: number,
  description: string,
  message: string,
  details: string,
  headers: Record<string, unknown> = {}
): ErrorResponse => ({
  description,
  headers: { ...requestIdHeader, ...headers },
  content: example(code, message, details)
})

/** Each error status with the meaning it has on every operation that can answer it. */
export const errorResponses: Record<number, ErrorResponse> = {
  400: response(
    400,
    "Invalid request: the body, path, query or a header failed validation; `details` names the field and the problem.",
    "invalid request",
    "query.limit: must be an integer from 1 to 500, got 0"
  ),
  401: response(
    401,
    "Invalid api key: X-Api-Key is missing, malformed, unknown, expired or revoked, or the host names no tenant. Always these same bytes; do not retry, re-authenticate.",
    "invalid api key",
    "the provided X-Api-Key is invalid or expired"
  ),
  403: response(
    403,
    "Forbidden: a valid key without any of the scopes this operation needs.",
    "forbidden",
    "this API key lacks the scope 'products:read'"
  ),
  404: response(
    404,
    "Not found: the resource this request names does not exist in this tenant (an id of another shape than ours never does).",
    "outlet not found",
    "no outlet with id 'out_9' in this tenant"
  ),
  405: response(
    405,
    "Method not allowed: the path exists, with the methods listed in `Allow`.",
    "method not allowed",
    "PUT is not allowed here; allowed: GET, HEAD",
    { Allow: { description: "The methods this path answers to.", schema: { type: "string" }, example: "GET, HEAD" } }
  ),
  409: response(
    409,
    "Conflict: the request cannot be applied in the current state (see the operation's description).",
    "refcode conflict",
    "refCode 'order-1001' was used with another request"
  ),
  413: response(
    413,
    "Payload too large: the body is over MAX_BODY_BYTES (1 MB by default), MAX_SYNC_BODY_BYTES (32 MB) on the sync endpoints, or WEBHOOK_MAX_BODY_BYTES (1 MiB) on POS webhooks.",
    "payload too large",
    "the request body exceeds the size limit"
  ),
  415: response(
    415,
    "Unsupported media type: the body must be sent as `Content-Type: application/json`.",
    "unsupported media type",
    "expected Content-Type: application/json, got 'text/plain'"
  ),
  428: response(
    428,
    "Precondition required: a write to a Menu V2 draft must name the version it applies to in `If-Match` (the ETag a read or the last write of the draft answered).",
    "precondition required",
    "a write to draft 'drf_0f6a1d2b3c4d5e6f7a8b9c0d1e2f3a4b' needs If-Match with its current ETag (a GET of it answers the ETag)"
  ),
  500: response(
    500,
    "Internal error: a defect on our side; `details` carries the request id to quote to support. Safe to retry with backoff.",
    "internal error",
    "request id 6f1c2a9e-3c1d-4a57-9b8e-0d5f1e2a3b4c"
  ),
  429: response(
    429,
    "Rate limited: a limit the operator set for this key (or OAuth client), or for the whole tenant, is used up for this class of operation (reads, writes, syncs). Wait `Retry-After` seconds. Limits are off unless the operator sets them; every answer under a limit carries `RateLimit-Policy` and `RateLimit` too.",
    "rate limited",
    "the key's limit for reads (10 a second, burst 10) is used up; retry after 1 s",
    rateLimitHeaders
  ),
  502: response(
    502,
    "Upstream error: the loyalty-service answered with an error, garbage, a reset, or refused our credential. Retry later; a retry with the same refCode is safe.",
    "upstream error",
    "the loyalty-service answered 500"
  ),
  503: response(
    503,
    "Not configured (the tenant has no loyalty credential yet), or temporarily unavailable (the upstream's circuit breaker is open: see `Retry-After`; or the tenant's database is unreachable; or, for a catalog push, other pushes held the turn longer than SYNC_QUEUE_WAIT_MS).",
    "not configured",
    "this tenant has no loyalty credential",
    {
      "Retry-After": {
        description: "Seconds until the circuit breaker lets a trial call through (when it is open).",
        schema: { type: "integer", minimum: 0 }
      }
    }
  ),
  504: response(
    504,
    "Upstream timeout: the loyalty-service did not answer within the deadline (LOYALTY_TIMEOUT_MS, 5 s by default). Retry with the same refCode.",
    "upstream timeout",
    "the loyalty-service did not answer within 5000 ms"
  )
}
