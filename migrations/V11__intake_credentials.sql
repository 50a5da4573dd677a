-- V11: which configured secret or key proved each authentic delivery, so an operator
-- rotating a secret sees when the old one is no longer used (`GET /api/intake/credentials`,
-- `tds_intake_credential_*` on /metrics). Intake writes `variable#position`
-- (`tds_core::credential::CredentialRef::label`), never a value; refusals write ''.
-- Heal's fold keeps the credential, so the counters gain it in their key.

ALTER TABLE tds_intake_outcomes ADD COLUMN credential text NOT NULL DEFAULT '';
COMMENT ON COLUMN tds_intake_outcomes.credential IS 'The configured credential that proved the delivery, as variable#position (1-based); empty for a refusal.';

ALTER TABLE tds_intake_counters ADD COLUMN credential text NOT NULL DEFAULT '';
ALTER TABLE tds_intake_counters DROP CONSTRAINT tds_intake_counters_pkey;
ALTER TABLE tds_intake_counters ADD PRIMARY KEY (minute, outcome, module, reason, credential, shard);
COMMENT ON COLUMN tds_intake_counters.credential IS 'The configured credential that proved the deliveries counted, as variable#position (1-based); empty for refusals and for counts made before V11.';

