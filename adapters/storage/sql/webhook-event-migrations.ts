import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Partner webhook events and their deliveries, in a tenant's schema.
 *
 * An event is recorded by the change it reports, in the change's own statement: an AFTER INSERT
 * trigger on `order_timeline` raises the order events (domain/webhook-event.ts `orderEvents` says
 * which, with the same data), so every path that moves an order (placement, the dispatcher, a
 * POS's webhook, a partner's cancellation) raises them, and a change that rolls back raises none.
 * The other events are raised the same way (a menu's publish, an outlet's busy mode, a sync's
 * record), except a product's snooze, which the POS inbox raises itself (sql-pos-inbox.ts: a
 * catalog sync writes the POS's snapshot of snoozes, which is no news).
 * `webhook_emit` records the event; at the commit, each enabled endpoint that hears it (its
 * types, and for an order's events the key or client that placed the order) takes its next
 * sequence number and gets one delivery (`webhook_fan_out`).
 *
 * The functions keep the search_path they were created with (the tenant's schema): on the embedded
 * database one session serves every tenant, each statement under its own search_path.
 */
export const webhookEventSchema: ReadonlyArray<string> = [
  "ALTER TABLE orders ADD COLUMN placed_by text",
  "ALTER TABLE webhook_endpoints ADD COLUMN last_sequence bigint NOT NULL DEFAULT 0",
  "ALTER TABLE webhook_endpoints ADD COLUMN last_success_at timestamptz",
  // Who hears an event, kept for its fan-out at the commit: `owners` null for a tenant-wide event,
  // else only the endpoints owned by one of them; `except_endpoint` left out; `every_type`: whatever
  // types they subscribe to (a notice).
  `CREATE TABLE webhook_events (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text COLLATE "C" NOT NULL UNIQUE,
    type text NOT NULL,
    occurred_at timestamptz NOT NULL,
    data jsonb NOT NULL,
    owners text[],
    except_endpoint text,
    every_type boolean NOT NULL
  )`,
  `CREATE TABLE webhook_deliveries (
    id text COLLATE "C" PRIMARY KEY,
    event_seq bigint NOT NULL REFERENCES webhook_events (seq),
    endpoint_id text COLLATE "C" NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    sequence bigint NOT NULL,
    state text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL,
    tries_since integer NOT NULL DEFAULT 0,
    due_at timestamptz NOT NULL,
    lease_owner text,
    lease_until timestamptz,
    trying_since timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    finished_at timestamptz,
    UNIQUE (endpoint_id, sequence)
  )`,
  // Claims and the next-due question read pending rows only.
  "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at, endpoint_id, sequence) WHERE state = 'pending'",
  "CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_seq)",
  // A prune reads finished rows by when they finished, and events by when they happened.
  "CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE state <> 'pending'",
  "CREATE INDEX webhook_events_occurred ON webhook_events (occurred_at)",
  `CREATE TABLE webhook_delivery_attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id text COLLATE "C" NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt integer NOT NULL,
    started_at timestamptz NOT NULL,
    latency_ms integer NOT NULL,
    status_code integer,
    error text
  )`,
  "CREATE INDEX webhook_delivery_attempts_delivery ON webhook_delivery_attempts (delivery_id, id)",
  // Whether an endpoint hears an event (see webhook_events' columns).
  `CREATE FUNCTION webhook_hears(e webhook_endpoints, p_type text, p_owners text[], p_except text, p_every boolean)
    RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT e.enabled
      AND (p_every OR e.event_types = '' OR p_type = ANY (string_to_array(e.event_types, ' ')))
      AND (p_owners IS NULL OR e.owners && p_owners)
      AND e.id IS DISTINCT FROM p_except
  $$`,
  // Records an event in the change's transaction, unless no endpoint would hear it now (nothing kept,
  // no lock taken: a change in a tenant without endpoints writes nothing more).
  `CREATE FUNCTION webhook_emit(p_type text, p_data jsonb, p_owners text[], p_at timestamptz, p_except text,
      p_every boolean)
    RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE webhook_hears(e, p_type, p_owners, p_except, p_every)) THEN
      RETURN;
    END IF;
    INSERT INTO webhook_events (id, type, occurred_at, data, owners, except_endpoint, every_type)
    VALUES ('evt_' || replace(gen_random_uuid()::text, '-', ''), p_type, p_at, p_data, p_owners, p_except, p_every);
  END $$`,
  // The fan-out, at the commit (a deferred trigger): each endpoint that hears the event then takes
  // its next sequence number and gets a delivery. The endpoints' rows are locked in id order and
  // only from the commit on, so concurrent changes neither deadlock on them nor queue behind them
  // for longer than a commit; sequence order is commit order. An event nobody hears any more goes.
  `CREATE FUNCTION webhook_fan_out() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  BEGIN
    WITH locked AS (
      SELECT e.id FROM webhook_endpoints e
      WHERE webhook_hears(e, NEW.type, NEW.owners, NEW.except_endpoint, NEW.every_type)
      ORDER BY e.id FOR UPDATE
    ), targets AS (
      UPDATE webhook_endpoints e SET last_sequence = e.last_sequence + 1
      FROM locked WHERE e.id = locked.id
      RETURNING e.id, e.last_sequence
    )
    INSERT INTO webhook_deliveries (id, event_seq, endpoint_id, sequence, state, attempts, due_at, trying_since,
                                    created_at)
    SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), NEW.seq, targets.id, targets.last_sequence,
           'pending', 0, NEW.occurred_at, NEW.occurred_at, NEW.occurred_at
    FROM targets;
    IF NOT FOUND THEN DELETE FROM webhook_events WHERE seq = NEW.seq; END IF;
    RETURN NULL;
  END $$`,
  `CREATE CONSTRAINT TRIGGER webhook_events_fan_out AFTER INSERT ON webhook_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION webhook_fan_out()`,
  `CREATE FUNCTION webhook_order_events() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  DECLARE
    o orders%ROWTYPE;
    previous text;
    base jsonb;
    hearer text[];
  BEGIN
    IF NEW.status IS NULL THEN RETURN NULL; END IF;
    SELECT * INTO o FROM orders WHERE order_id = NEW.order_id;
    -- Only the endpoints of the key or client that placed it; an order nobody's placed, none.
    hearer := CASE WHEN o.placed_by IS NULL THEN ARRAY[]::text[] ELSE ARRAY[o.placed_by] END;
    SELECT t.status INTO previous FROM order_timeline t
    WHERE t.order_id = NEW.order_id AND t.id < NEW.id AND t.status IS NOT NULL ORDER BY t.id DESC LIMIT 1;
    base := jsonb_build_object('orderId', o.order_id, 'refCode', o.ref_code, 'outletId', o.outlet_id,
      'status', NEW.status, 'posOrderId', o.pos_order_id,
      'total', jsonb_build_object('amount', o.priced -> 'totals' -> 'total', 'currency', o.priced -> 'currency'));
    IF previous IS NULL THEN
      PERFORM webhook_emit('order.created', base, hearer, NEW.at, NULL, false);
      RETURN NULL;
    END IF;
    PERFORM webhook_emit('order.status_changed', base || jsonb_build_object('from', previous, 'to', NEW.status,
      'reason', NEW.reason, 'source', NEW.source), hearer, NEW.at, NULL, false);
    IF NEW.status = 'REJECTED' THEN
      PERFORM webhook_emit('order.rejected', base || jsonb_build_object('reason', NEW.reason), hearer, NEW.at, NULL, false);
    ELSIF NEW.status = 'FAILED' THEN
      PERFORM webhook_emit('order.failed', base || jsonb_build_object('reason', NEW.reason), hearer, NEW.at, NULL, false);
    END IF;
    RETURN NULL;
  END $$`,
  `CREATE TRIGGER order_timeline_webhook_events AFTER INSERT ON order_timeline
    FOR EACH ROW EXECUTE FUNCTION webhook_order_events()`,
  // An instant in an event's data as JavaScript's toISOString writes it (UTC, milliseconds, Z).
  `CREATE FUNCTION webhook_time(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  $$`,
  // A menu's publish, once its transaction has written everything (the outlets it is on included):
  // a deferred trigger runs at the commit.
  `CREATE FUNCTION webhook_menu_events() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  BEGIN
    PERFORM webhook_emit('menu.published', jsonb_build_object('menuId', NEW.menu_id, 'version', NEW.version,
      'name', NEW.name, 'items', NEW.items, 'publishedAt', webhook_time(NEW.published_at),
      'outletIds', coalesce((SELECT jsonb_agg(store_id ORDER BY store_id) FROM menu_stores
                             WHERE menu_id = NEW.menu_id), '[]'::jsonb)),
      NULL::text[], NEW.published_at, NULL, false);
    RETURN NULL;
  END $$`,
  `CREATE CONSTRAINT TRIGGER menu_versions_webhook_events AFTER INSERT ON menu_versions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION webhook_menu_events()`,
  // An outlet's busy mode: ONLINE when it has no row yet.
  `CREATE FUNCTION webhook_busy_events() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  DECLARE
    previous text := CASE WHEN TG_OP = 'UPDATE' THEN OLD.busy_mode ELSE 'ONLINE' END;
  BEGIN
    IF previous = NEW.busy_mode THEN RETURN NULL; END IF;
    PERFORM webhook_emit('outlet.busy_changed', jsonb_build_object('outletId', NEW.store_id,
      'busyMode', NEW.busy_mode, 'previous', previous), NULL::text[], NEW.updated_at, NULL, false);
    RETURN NULL;
  END $$`,
  `CREATE TRIGGER store_status_webhook_events AFTER INSERT OR UPDATE OF busy_mode ON store_status
    FOR EACH ROW EXECUTE FUNCTION webhook_busy_events()`,
  // A sync's record: completed or failed.
  `CREATE FUNCTION webhook_sync_events() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  BEGIN
    PERFORM webhook_emit(CASE WHEN NEW.status = 'succeeded' THEN 'sync.completed' ELSE 'sync.failed' END,
      jsonb_build_object('syncId', NEW.id, 'kind', NEW.kind, 'provider', NEW.provider, 'outletId', NEW.store_id,
        'status', NEW.status, 'counts', NEW.counts, 'error', NEW.error,
        'startedAt', webhook_time(NEW.started_at), 'finishedAt', webhook_time(NEW.finished_at)),
      NULL::text[], NEW.finished_at, NULL, false);
    RETURN NULL;
  END $$`,
  `CREATE TRIGGER syncs_webhook_events AFTER INSERT ON syncs FOR EACH ROW EXECUTE FUNCTION webhook_sync_events()`
]

/** One statement at a time: the extended protocol (sql-pg) takes a single statement per query. */
export const webhookEventsMigration = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(webhookEventSchema, (statement) => sql.unsafe(statement), { discard: true })
)
