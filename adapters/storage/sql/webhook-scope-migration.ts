import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * The partner preset gained `webhooks:read` and `webhooks:write` (partner webhooks). A key issued
 * with exactly the preset before, in any order, gains them too, so today's partners need no new
 * key; a key given other scopes on purpose keeps exactly those.
 */
const oldPartnerPreset = [
  "customers:read",
  "customers:write",
  "loyalty:read",
  "loyalty:write",
  "menus:read",
  "orders:read",
  "orders:write",
  "outlets:read",
  "products:read"
]

// Constants of this file only, written into the statement as literals.
const presetArray = `ARRAY[${oldPartnerPreset.map((s) => `'${s}'`).join(", ")}]::text[]`

export const webhookScopesMigration = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
    UPDATE api_keys SET scopes = scopes || ' webhooks:read webhooks:write'
    WHERE (
      SELECT array_agg(s ORDER BY s COLLATE "C") FROM unnest(string_to_array(scopes, ' ')) AS s
    ) = ${presetArray}`)
)
