-- V14: a delivery is stored in one form. Its document (jsonb) is what the processor
-- applies and what an ERP row's source_document is copied from, in SQL; the raw body is
-- kept only for an invalid delivery, whose document could not be read from it (so the
-- dead letter still shows what was sent). Rows stored before keep their raw body until
-- retention removes them; the check holds for rows written from now on.
ALTER TABLE tds_inbox_events ALTER COLUMN raw_body DROP NOT NULL;
ALTER TABLE tds_inbox_events
    ADD CONSTRAINT tds_inbox_events_raw_body_only_when_invalid
    CHECK (raw_body IS NULL OR status = 'invalid') NOT VALID;
COMMENT ON COLUMN tds_inbox_events.raw_body IS 'The request body as received, kept only for an invalid delivery (the document holds every other delivery).';
