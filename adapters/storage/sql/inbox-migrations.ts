/**
 * The POS inbox (application/ports/pos-inbox.ts): outlets' busy modes, verified webhook deliveries
 * (kept to recognise a delivery made twice), the order events POS systems report, and the durable
 * queue of work that runs after a webhook is answered.
 */
export const inboxSchema: ReadonlyArray<string> = [
  `CREATE TABLE store_status (
    store_id text COLLATE "C" PRIMARY KEY REFERENCES stores (id),
    busy_mode text NOT NULL CHECK (busy_mode IN ('ONLINE', 'BUSY', 'PAUSED')),
    updated_at timestamptz NOT NULL
  )`,
  `CREATE TABLE pos_webhook_deliveries (
    provider text NOT NULL,
    dedupe_key text NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (provider, dedupe_key)
  )`,
  "CREATE INDEX pos_webhook_deliveries_received ON pos_webhook_deliveries (received_at)",
  `CREATE TABLE pos_order_events (
    id text COLLATE "C" PRIMARY KEY,
    provider text NOT NULL,
    ref_code text,
    pos_order_id text,
    status text,
    vendor_status text NOT NULL,
    reason text,
    at timestamptz,
    received_at timestamptz NOT NULL
  )`,
  "CREATE INDEX pos_order_events_ref_code ON pos_order_events (ref_code, received_at) WHERE ref_code IS NOT NULL",
  `CREATE TABLE pos_jobs (
    id text COLLATE "C" PRIMARY KEY,
    kind text NOT NULL,
    provider text NOT NULL,
    external_outlet_id text,
    account_id text,
    reason text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    attempts integer NOT NULL,
    run_after timestamptz NOT NULL,
    lease_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL,
    finished_at timestamptz
  )`,
  // One pending job per target: a second request for the same pull joins the first.
  `CREATE UNIQUE INDEX pos_jobs_pending ON pos_jobs (kind, provider, coalesce(external_outlet_id, ''), coalesce(account_id, ''))
    WHERE status = 'pending'`,
  "CREATE INDEX pos_jobs_due ON pos_jobs (run_after) WHERE status IN ('pending', 'running')",
  "CREATE INDEX pos_jobs_ended ON pos_jobs (finished_at) WHERE status IN ('done', 'failed')"
]
