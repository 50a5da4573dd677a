-- V15: defaults that can evolve (tds_core::config_values, "Defaults that evolve";
-- docs/configuration.md, "Runtime configuration").
--
-- A tds_config row holds either the default the migrations seeded or a value an operator
-- set. A later migration may move the rows still holding a key's default to a new default,
-- through tds_config_new_default below, and never changes an operator's value.
--
-- set_by_operator says that an operator set the row through the stats API
-- (PATCH /api/config sets it on every key it writes). Rows written before this migration
-- name who set them through the API in updated_by; rows without updated_by were seeded, or
-- written by hand in SQL.
ALTER TABLE tds_config ADD COLUMN set_by_operator boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN tds_config.set_by_operator IS 'An operator set this value through the stats API: no migration changes it. False for a seeded default (which a migration may move to a new default) and for a value written by hand in SQL.';
UPDATE tds_config SET set_by_operator = true WHERE updated_by IS NOT NULL;

-- Moves key config_key from old_default to new_default where no operator set it: the row is
-- not set_by_operator and still holds old_default, so a value written by hand in SQL is kept
-- too, unless it is the old default itself. A migration that changes a default in the
-- registry calls it once for that key, with the default the key had until then; a key with
-- no row (never seeded, or deleted) already means the registry's default.
CREATE FUNCTION tds_config_new_default(config_key text, old_default jsonb, new_default jsonb)
RETURNS void LANGUAGE sql AS $$
    UPDATE tds_config SET value = new_default, updated_at = now()
    WHERE key = config_key AND NOT set_by_operator AND value = old_default
$$;
