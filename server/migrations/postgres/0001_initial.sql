-- tallyseal server schema, PostgreSQL. Keep in step with ../sqlite/0001_initial.sql (same tables,
-- same columns, same meaning); the server runs one set of queries against both.
-- Times are Unix milliseconds; hashes and keys are lowercase hex.

CREATE TABLE elections (
    id            TEXT PRIMARY KEY,
    package_note  TEXT NOT NULL,      -- the signed note, verbatim
    package_hash  TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE enrolment_codes (
    code_hash     TEXT PRIMARY KEY,   -- SHA-256 of the code; the code itself is never stored
    election_id   TEXT NOT NULL REFERENCES elections(id),
    constituency  TEXT NOT NULL,
    station       BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms    BIGINT,
    used_by_key   TEXT
);

CREATE TABLE devices (
    device_key     TEXT PRIMARY KEY,
    election_id    TEXT NOT NULL REFERENCES elections(id),
    constituency   TEXT NOT NULL,
    station        BIGINT NOT NULL,
    officer_name   TEXT NOT NULL,
    enrolled_at_ms BIGINT NOT NULL,
    revoked_at_ms  BIGINT
);

CREATE TABLE submissions (
    manifest_hash        TEXT PRIMARY KEY,   -- the submission's identity
    device_key           TEXT NOT NULL REFERENCES devices(device_key),
    election_id          TEXT NOT NULL,
    constituency         TEXT NOT NULL,
    station              BIGINT NOT NULL,
    form                 TEXT NOT NULL,
    seq                  BIGINT NOT NULL,
    signature            TEXT NOT NULL,
    image_sha256         TEXT NOT NULL,      -- as signed in the manifest
    image_bytes          BIGINT NOT NULL,
    media_type           TEXT NOT NULL,
    received_at_ms       BIGINT NOT NULL,
    status               TEXT NOT NULL,      -- manifest_received | verified
    image_received_at_ms BIGINT,
    image_phash          TEXT,
    verdict              TEXT,
    receipt              TEXT NOT NULL       -- the latest signed receipt (JSON)
);
CREATE INDEX submissions_image ON submissions(image_sha256);
CREATE INDEX submissions_device_seq ON submissions(device_key, seq);
CREATE INDEX submissions_station ON submissions(election_id, constituency, station);

CREATE TABLE uploads (
    id              TEXT PRIMARY KEY,
    manifest_hash   TEXT NOT NULL UNIQUE REFERENCES submissions(manifest_hash),
    device_key      TEXT NOT NULL,
    upload_length   BIGINT NOT NULL,
    upload_offset   BIGINT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    completed_at_ms BIGINT
);
CREATE INDEX uploads_device_open ON uploads(device_key, completed_at_ms);

CREATE TABLE verification_reports (
    manifest_hash  TEXT PRIMARY KEY REFERENCES submissions(manifest_hash),
    verdict        TEXT NOT NULL,
    report         TEXT NOT NULL,           -- VerificationReport (JSON)
    verified_at_ms BIGINT NOT NULL
);

-- Append-only audit log: every state change. Never updated, never deleted (triggers below).
CREATE TABLE events (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms   BIGINT NOT NULL,
    kind    TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL
);
CREATE INDEX events_subject ON events(subject);

CREATE FUNCTION events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();

CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
