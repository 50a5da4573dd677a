-- V9: a stored delivery's raw body, document and headers are compressed with lz4 rather
-- than PostgreSQL's default pglz. A delivery's row is about 2 KB, at the size where
-- PostgreSQL starts compressing its largest values; pglz took about 4 % of PostgreSQL's CPU
-- per webhook doing so (perf), more than any other function of PostgreSQL's. With
-- lz4, intake cost PostgreSQL 3-5.5 % less per webhook and the raw body took 577 bytes
-- against 552 (BENCHMARKS.md). Rows stored before keep pglz; both read the same.
--
-- lz4 needs PostgreSQL 14 or newer built with lz4, as the PGDG and distribution packages
-- and the managed services are; on a server without it the columns keep pglz and the
-- migration leaves a warning in PostgreSQL's log.
DO $$
BEGIN
    ALTER TABLE tds_inbox_events
        ALTER COLUMN raw_body SET COMPRESSION lz4,
        ALTER COLUMN document SET COMPRESSION lz4,
        ALTER COLUMN headers SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE WARNING 'this PostgreSQL server has no lz4: tds_inbox_events keeps pglz compression';
END
$$;
