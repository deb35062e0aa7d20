import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Menu V2 (application/ports/menus.ts), in a tenant's schema. A draft is one JSON document written
 * with optimistic concurrency (`version`). A published menu points at its current version; every
 * version is kept whole (its content, with its name and counts beside it so that listing versions
 * reads no document). `menu_stores` holds the current version's assignments only, replaced on
 * publish, keyed by store first: an outlet's effective menu is one index range, joined to its
 * menus' current versions. The assignments reference `stores`: the database refuses a menu
 * assigned to an outlet that does not exist, and a publish that meets that refusal rolls back whole.
 * Ids are `COLLATE "C"`, as the catalog's (migrations.ts).
 */
export const menuSchema: ReadonlyArray<string> = [
  `CREATE TABLE menu_drafts (
    draft_id text COLLATE "C" PRIMARY KEY,
    menu_id text COLLATE "C",
    version integer NOT NULL CHECK (version > 0),
    content jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  )`,
  // A published menu has at most one draft editing it.
  "CREATE UNIQUE INDEX menu_drafts_menu ON menu_drafts (menu_id) WHERE menu_id IS NOT NULL",
  `CREATE TABLE menus (
    menu_id text COLLATE "C" PRIMARY KEY,
    current_version integer NOT NULL,
    published_at timestamptz NOT NULL
  )`,
  `CREATE TABLE menu_versions (
    menu_id text COLLATE "C" NOT NULL REFERENCES menus (menu_id),
    version integer NOT NULL CHECK (version > 0),
    name text NOT NULL,
    items integer NOT NULL,
    stores integer NOT NULL,
    content jsonb NOT NULL,
    published_at timestamptz NOT NULL,
    PRIMARY KEY (menu_id, version)
  )`,
  `CREATE TABLE menu_stores (
    store_id text COLLATE "C" NOT NULL REFERENCES stores (id),
    menu_id text COLLATE "C" NOT NULL REFERENCES menus (menu_id),
    PRIMARY KEY (store_id, menu_id)
  )`,
  // A publish replaces one menu's assignments.
  "CREATE INDEX menu_stores_menu ON menu_stores (menu_id)"
]

export const menuMigration = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  // One statement at a time: the extended protocol (sql-pg) takes a single statement per query.
  Effect.forEach(menuSchema, (statement) => sql.unsafe(statement), { discard: true })
)
