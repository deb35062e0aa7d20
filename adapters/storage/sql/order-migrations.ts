import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Orders (application/ports/orders.ts), in a tenant's schema. An order is one row: the decoded
 * request and the priced order are kept whole as JSON documents (an order never changes after it
 * is placed, only its status and the POS's id for it), and the priced lines are also written as
 * rows of `order_lines`, with their money in bigint columns, for queries and reports over lines.
 * A refCode belongs to one order for ever (SPEC section 6): the unique index is what makes two
 * concurrent placements of one refCode give one order.
 *
 * The timeline and the delivery attempts are append-only, numbered by an identity: read back in
 * the order they were recorded. The outbox holds the deliveries to the POS; unfinished rows are
 * indexed by due time, which is all a claim and the next-due question read. Ids are `COLLATE "C"`,
 * as the catalog's (migrations.ts): the listing's cursor compares them byte-wise, as the in-memory
 * adapter does.
 */
export const orderSchema: ReadonlyArray<string> = [
  `CREATE TABLE orders (
    order_id text COLLATE "C" PRIMARY KEY,
    ref_code text NOT NULL UNIQUE,
    fingerprint text NOT NULL,
    outlet_id text COLLATE "C" NOT NULL,
    provider text NOT NULL,
    outlet_external_id text NOT NULL,
    status text NOT NULL CHECK (status IN ('RECEIVED', 'SUBMITTED', 'ACCEPTED', 'PREPARING', 'READY',
      'IN_DELIVERY', 'COMPLETED', 'CANCELLED', 'REJECTED', 'FAILED')),
    request jsonb NOT NULL,
    priced jsonb NOT NULL,
    menu_source text NOT NULL CHECK (menu_source IN ('menu-v2', 'pos')),
    menus jsonb NOT NULL,
    pos_order_id text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  )`,
  // The listing: newest first, by (created_at, order_id), alone or under one filter.
  "CREATE INDEX orders_created ON orders (created_at DESC, order_id DESC)",
  "CREATE INDEX orders_outlet ON orders (outlet_id, created_at DESC, order_id DESC)",
  "CREATE INDEX orders_status ON orders (status, created_at DESC, order_id DESC)",
  "CREATE INDEX orders_pos_order_id ON orders (provider, pos_order_id, created_at DESC) WHERE pos_order_id IS NOT NULL",
  `CREATE TABLE order_lines (
    order_id text COLLATE "C" NOT NULL REFERENCES orders (order_id),
    line_no integer NOT NULL,
    product_id text COLLATE "C" NOT NULL,
    pos_code text NOT NULL,
    name text NOT NULL,
    quantity integer NOT NULL,
    unit_price bigint NOT NULL,
    subtotal bigint NOT NULL,
    discount bigint NOT NULL,
    tax_rate_ppm integer,
    tax_amount bigint NOT NULL,
    total bigint NOT NULL,
    note text,
    modifiers jsonb NOT NULL,
    PRIMARY KEY (order_id, line_no)
  )`,
  `CREATE TABLE order_timeline (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id text COLLATE "C" NOT NULL REFERENCES orders (order_id),
    at timestamptz NOT NULL,
    status text,
    source text NOT NULL CHECK (source IN ('service', 'partner', 'pos')),
    vendor_status text,
    reason text
  )`,
  "CREATE INDEX order_timeline_order ON order_timeline (order_id, id)",
  `CREATE TABLE order_outbox (
    id text COLLATE "C" PRIMARY KEY,
    order_id text COLLATE "C" NOT NULL REFERENCES orders (order_id),
    kind text NOT NULL CHECK (kind IN ('submit', 'cancel')),
    attempts integer NOT NULL,
    due_at timestamptz NOT NULL,
    lease_owner text,
    lease_until timestamptz,
    created_at timestamptz NOT NULL,
    finished_at timestamptz
  )`,
  // Claims and the next-due question read unfinished rows only, oldest due first.
  "CREATE INDEX order_outbox_due ON order_outbox (due_at, id) WHERE finished_at IS NULL",
  // A cancel row waits for its order's unfinished submit row: looked up by order.
  "CREATE INDEX order_outbox_order ON order_outbox (order_id, kind) WHERE finished_at IS NULL",
  `CREATE TABLE order_delivery_attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id text COLLATE "C" NOT NULL REFERENCES orders (order_id),
    outbox_id text COLLATE "C" NOT NULL REFERENCES order_outbox (id),
    kind text NOT NULL CHECK (kind IN ('submit', 'cancel')),
    attempt integer NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    outcome text NOT NULL,
    reason text
  )`,
  "CREATE INDEX order_delivery_attempts_order ON order_delivery_attempts (order_id, id)"
]

/** One statement at a time: the extended protocol (sql-pg) takes a single statement per query. */
export const orderMigration = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(orderSchema, (statement) => sql.unsafe(statement), { discard: true })
)
