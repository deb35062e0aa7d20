import { Effect } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import { StorageError } from "../../../domain/errors.ts"
import { adminControlMigration } from "./admin-migrations.ts"
import { catalogGenerationMigration } from "./catalog-generation-migration.ts"
import { posCredentialsMigration } from "./credential-migrations.ts"
import { inboxSchema } from "./inbox-migrations.ts"
import { menuMigration } from "./menu-migrations.ts"
import { oauthControlMigration, oauthTenantMigration } from "./oauth-migrations.ts"
import { orderControlMigration } from "./order-control-migrations.ts"
import { orderMigration } from "./order-migrations.ts"
import { pullControlMigration, pullTenantMigration } from "./pull-migrations.ts"
import { rateLimitControlMigration } from "./rate-limit-migrations.ts"
import { webhookEventsMigration } from "./webhook-event-migrations.ts"
import { webhookEndpointsMigration } from "./webhook-migrations.ts"
import { webhookScopesMigration } from "./webhook-scope-migration.ts"

/**
 * Versioned migrations, in code. The SQL runs on PostgreSQL 15 and later and on PGlite (18).
 * Each set runs in the connection's search_path: the control schema, or one tenant's schema.
 */
const controlMigrations = {
  "1_tenants": Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`
      CREATE TABLE tenants (
        id text PRIMARY KEY,
        name text NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        country text NOT NULL,
        timezone text NOT NULL,
        currency text NOT NULL,
        database_url text,
        schema_name text NOT NULL,
        loyalty_url text,
        loyalty_credential text,
        created_at timestamptz NOT NULL
      )`
  ),
  "2_pull_schedules": pullControlMigration,
  "3_orders": orderControlMigration,
  "4_admin": adminControlMigration,
  "5_oauth": oauthControlMigration,
  "6_rate_limits": rateLimitControlMigration
}

/**
 * Outlets, the synced catalog (SPEC 8) and the sync history. Every id column is `COLLATE "C"`: ids
 * are compared and paginated byte-wise, as the in-memory adapter compares strings, whatever the
 * database's default collation, and the primary-key indexes serve those range scans.
 *
 * A synced object's id is derived from (provider, external id) (domain/ids.ts), so the primary key
 * already keys products, groups and options by it. They carry no second UNIQUE (provider,
 * external_id) index: nothing looks them up by external id, and maintaining it cost about a
 * quarter of a 10,000-product first sync (130,000 rows). Stores keep theirs: outlets are found by
 * external id.
 */
const catalogSchema: ReadonlyArray<string> = [
  `CREATE TABLE stores (
    id text COLLATE "C" PRIMARY KEY,
    provider text NOT NULL,
    external_id text NOT NULL,
    name text NOT NULL,
    active boolean NOT NULL,
    currency text NOT NULL,
    timezone text,
    country text,
    address text,
    postal_code text,
    phone text,
    tax_inclusive boolean,
    service_hours jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (provider, external_id)
  )`,
  // Kept apart from stores: secrets are set by an operator, never by a sync.
  `CREATE TABLE store_credentials (
    store_id text COLLATE "C" PRIMARY KEY REFERENCES stores (id),
    identifiers jsonb NOT NULL,
    secrets text,
    updated_at timestamptz NOT NULL
  )`,
  `CREATE TABLE items (
    id text COLLATE "C" PRIMARY KEY,
    provider text NOT NULL,
    external_id text NOT NULL,
    pos_code text NOT NULL,
    name text NOT NULL,
    description text,
    image_url text,
    modifier_group_ids text[] NOT NULL,
    updated_at timestamptz NOT NULL
  )`,
  `CREATE INDEX items_updated_at ON items (updated_at)`,
  // Modifier groups.
  `CREATE TABLE item_modifiers (
    id text COLLATE "C" PRIMARY KEY,
    provider text NOT NULL,
    external_id text NOT NULL,
    pos_code text,
    name text NOT NULL,
    min integer NOT NULL,
    max integer NOT NULL,
    max_per_option integer NOT NULL,
    option_ids text[] NOT NULL,
    updated_at timestamptz NOT NULL
  )`,
  `CREATE TABLE item_modifier_options (
    id text COLLATE "C" PRIMARY KEY,
    provider text NOT NULL,
    external_id text NOT NULL,
    pos_code text NOT NULL,
    name text NOT NULL,
    price bigint NOT NULL,
    snoozed_until timestamptz,
    updated_at timestamptz NOT NULL
  )`,
  // What an outlet sells at which POS price. The key serves both a store's list (keyset by item)
  // and the sync's load; the item index serves an item's links and "sold anywhere" (index-only).
  `CREATE TABLE item_store (
    store_id text COLLATE "C" NOT NULL REFERENCES stores (id),
    item_id text COLLATE "C" NOT NULL REFERENCES items (id),
    price bigint NOT NULL,
    tax_rate_bps integer,
    snoozed_until timestamptz,
    active boolean NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (store_id, item_id)
  )`,
  `CREATE INDEX item_store_item ON item_store (item_id) INCLUDE (active)`,
  `CREATE TABLE menus_v1 (
    id text COLLATE "C" PRIMARY KEY,
    store_id text COLLATE "C" NOT NULL REFERENCES stores (id),
    provider text NOT NULL,
    external_id text NOT NULL,
    name text NOT NULL,
    availabilities jsonb NOT NULL,
    active boolean NOT NULL,
    updated_at timestamptz NOT NULL
  )`,
  `CREATE INDEX menus_v1_store ON menus_v1 (store_id, id)`,
  // A menu's section tree in pre-order: seq numbers the sections, parent_seq points at a
  // sub-section's parent. Keyed by position rather than by the section id, because a derived
  // section id is only unique among siblings (a sub-section may share its parent's external id).
  `CREATE TABLE menu_v1_sections (
    menu_id text COLLATE "C" NOT NULL REFERENCES menus_v1 (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    parent_seq integer,
    id text COLLATE "C" NOT NULL,
    external_id text NOT NULL,
    name text NOT NULL,
    position integer NOT NULL,
    item_ids text[] NOT NULL,
    PRIMARY KEY (menu_id, seq)
  )`,
  `CREATE TABLE syncs (
    id text COLLATE "C" PRIMARY KEY,
    kind text NOT NULL,
    provider text NOT NULL,
    store_id text COLLATE "C",
    status text NOT NULL,
    counts jsonb NOT NULL,
    error text,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL
  )`,
  `CREATE INDEX syncs_store ON syncs (store_id, id)`
]

const tenantMigrations = {
  "1_api_keys": Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`
      CREATE TABLE api_keys (
        id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        name text NOT NULL,
        kind text NOT NULL,
        scopes text NOT NULL,
        secret_hash text NOT NULL,
        expires_at timestamptz,
        revoked_at timestamptz,
        last_used_at timestamptz,
        created_at timestamptz NOT NULL
      )`
  ),
  // One statement at a time: the extended protocol (sql-pg) takes a single statement per query.
  "2_catalog": Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.forEach(catalogSchema, (statement) => sql.unsafe(statement), { discard: true })
  ),
  // A products sync remembers what exactly it applied, so an identical push can be recognised.
  "3_sync_fingerprint": Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.forEach(
      [
        "ALTER TABLE syncs ADD COLUMN fingerprint text",
        "ALTER TABLE syncs ADD COLUMN callback_url text",
        "ALTER TABLE syncs ADD COLUMN pushed_outlets integer",
        "CREATE INDEX syncs_fingerprint ON syncs (fingerprint, id) WHERE fingerprint IS NOT NULL"
      ],
      (statement) => sql.unsafe(statement),
      { discard: true }
    )
  ),
  "4_customers_loyalty": Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.forEach(customersAndLoyalty, (statement) => sql.unsafe(statement), { discard: true })
  ),
  // SDK 2: tax rates in parts per million (exact for 8.875%), and the POS account of an outlet.
  "5_plugin_platform": Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.forEach(
      [
        "ALTER TABLE item_store RENAME COLUMN tax_rate_bps TO tax_rate_ppm",
        "UPDATE item_store SET tax_rate_ppm = tax_rate_ppm * 100 WHERE tax_rate_ppm IS NOT NULL",
        "ALTER TABLE stores ADD COLUMN account_id text",
        "CREATE INDEX stores_account ON stores (provider, account_id) WHERE account_id IS NOT NULL"
      ],
      (statement) => sql.unsafe(statement),
      { discard: true }
    )
  ),
  "6_pos_credentials": posCredentialsMigration,
  "7_pos_inbox": Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.forEach(inboxSchema, (statement) => sql.unsafe(statement), { discard: true })
  ),
  "8_pull": pullTenantMigration,
  "9_menus_v2": menuMigration,
  "10_catalog_generation": catalogGenerationMigration,
  "11_orders": orderMigration,
  // A product's tax rates by fulfilment type at an outlet, where its POS gives them apart.
  "12_item_tax_rates": Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`ALTER TABLE item_store ADD COLUMN tax_rates jsonb NOT NULL DEFAULT '{}'::jsonb`
  ),
  // Why a delivery is made, for the POS: a cancellation's reason as the partner gave it.
  "13_order_outbox_reason": Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`ALTER TABLE order_outbox ADD COLUMN reason text`
  ),
  "14_oauth_clients": oauthTenantMigration,
  "15_webhook_scopes": webhookScopesMigration,
  "16_webhook_endpoints": webhookEndpointsMigration,
  "17_webhook_events": webhookEventsMigration,
  // The W3C traceparent of the request that queued a delivery (and of the one that placed an order,
  // whose partner webhook deliveries continue it): the delivery continues that trace.
  "18_trace_context": Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.forEach(
      ["ALTER TABLE order_outbox ADD COLUMN trace_context text", "ALTER TABLE orders ADD COLUMN trace_context text"],
      (statement) => sql.unsafe(statement),
      { discard: true }
    )
  )
}

/**
 * Customers, refCode claims (SPEC section 6) and the embedded loyalty ledger. A ledger transaction
 * is unique by (type, refCode): the refCode is the ledger's own idempotency key, so a retry whose
 * claim was taken over still earns once.
 */
const customersAndLoyalty: ReadonlyArray<string> = [
  `CREATE TABLE customers (
    id text COLLATE "C" PRIMARY KEY,
    external_id text,
    name text NOT NULL,
    phone text,
    email text,
    marketing_opt_in boolean NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  )`,
  "CREATE UNIQUE INDEX customers_external_id ON customers (external_id) WHERE external_id IS NOT NULL",
  "CREATE INDEX customers_phone ON customers (phone, created_at) WHERE phone IS NOT NULL",
  "CREATE INDEX customers_email ON customers (email, created_at) WHERE email IS NOT NULL",
  `CREATE TABLE idempotency_keys (
    operation text NOT NULL,
    ref_code text NOT NULL,
    fingerprint text NOT NULL,
    token text NOT NULL,
    claimed_at timestamptz NOT NULL,
    status integer,
    body text,
    completed_at timestamptz,
    PRIMARY KEY (operation, ref_code)
  )`,
  `CREATE TABLE loyalty_accounts (
    customer_id text PRIMARY KEY,
    points bigint NOT NULL CHECK (points >= 0),
    lifetime_points bigint NOT NULL,
    updated_at timestamptz NOT NULL
  )`,
  `CREATE TABLE loyalty_transactions (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    customer_id text NOT NULL,
    type text NOT NULL CHECK (type IN ('EARN', 'REDEEM')),
    points bigint NOT NULL CHECK (points >= 0),
    amount bigint,
    currency text,
    order_id text,
    reward_id text,
    ref_code text NOT NULL,
    balance_after bigint NOT NULL,
    created_at timestamptz NOT NULL,
    UNIQUE (type, ref_code)
  )`,
  "CREATE INDEX loyalty_transactions_customer ON loyalty_transactions (customer_id, seq)",
  `CREATE TABLE loyalty_rewards (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    points bigint NOT NULL CHECK (points > 0),
    updated_at timestamptz NOT NULL
  )`
]

const runMigrator = (migrations: Record<string, Effect.Effect<unknown, unknown, SqlClient.SqlClient>>) =>
  Migrator.make({})({
    loader: Migrator.fromRecord(migrations as Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>>),
    table: "schema_migrations"
  })

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`

/**
 * Brings `schema` to the current migration, creating it first when it is missing (a tenant's fresh
 * database of its own has no `tenant_<id>` schema yet, and its connections' search_path names it).
 * One transaction under an advisory lock keyed by the schema: instances starting together, or a
 * CLI creating a tenant while the service opens it, wait for each other instead of racing on
 * CREATE SCHEMA (which fails, not waits, on a concurrent twin). The schema's existence is checked
 * first because CREATE SCHEMA IF NOT EXISTS still wants CREATE on the database: a role given only
 * its pre-created schema can run.
 */
const migrate = (
  schema: string,
  migrations: Record<string, Effect.Effect<unknown, unknown, SqlClient.SqlClient>>,
  what: string
): Effect.Effect<void, StorageError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql.withTransaction(
      Effect.gen(function* () {
        yield* sql`SELECT pg_advisory_xact_lock(hashtext(${`pos-integration:migrate:${schema}`}))`
        const existing = yield* sql`SELECT 1 FROM pg_namespace WHERE nspname = ${schema}`
        if (existing.length === 0) yield* sql.unsafe(`CREATE SCHEMA ${quoteIdentifier(schema)}`)
        yield* runMigrator(migrations)
      })
    )
  }).pipe(Effect.mapError((cause) => new StorageError({ operation: `migrate ${what}`, cause })))

/** The control schema (the tenant directory), on the control database's `public` schema. */
export const migrateControl = migrate("public", controlMigrations, "control schema")

/** One tenant's schema, on the client whose search_path is that schema; `where` names its own database. */
export const migrateTenant = (schema: string, where?: string) =>
  migrate(schema, tenantMigrations, `tenant schema ${schema}${where === undefined ? "" : ` on ${where}`}`)

const idOf = (key: string) => Number(key.slice(0, key.indexOf("_")))

const upTo = (migrations: Record<string, Effect.Effect<unknown, unknown, SqlClient.SqlClient>>, lastId: number) =>
  Object.fromEntries(Object.entries(migrations).filter(([key]) => idOf(key) <= lastId))

/** The control schema as an older release left it: migrated up to `lastId` only (upgrade tests). */
export const migrateControlTo = (lastId: number) =>
  migrate("public", upTo(controlMigrations, lastId), `control schema to migration ${lastId}`)

/** The ids of the tenant migrations, in order: what a current tenant schema's schema_migrations holds. */
export const tenantMigrationIds: ReadonlyArray<number> = Object.keys(tenantMigrations)
  .map(idOf)
  .sort((a, b) => a - b)

/**
 * A tenant schema as an older release left it: migrated up to `lastId` only. What upgrade tests
 * start from; the service itself always migrates to the current migration.
 */
export const migrateTenantTo = (schema: string, lastId: number) =>
  migrate(schema, upTo(tenantMigrations, lastId), `tenant schema ${schema} to migration ${lastId}`)
