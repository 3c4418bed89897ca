-- The documents the console's log leaves name by hash (docs/log.md, "The documents behind the
-- leaves"): a review decision, a confirmation of figures, a release from quarantine (each its
-- record's canonical JSON) and a signed Form-47/48/49 statement (its canonical JSON as signed).
-- Written in the transaction of the leaf; served at GET /api/v1/log-documents/{sha256} so that a
-- monitor can check what a leaf commits to (e.g. that Form-47's figures are the sums of the
-- station figures it cites). Append-only.
CREATE TABLE log_documents (
    document_hash TEXT PRIMARY KEY,
    body          TEXT NOT NULL,
    leaf_index    BIGINT NOT NULL
);

CREATE TRIGGER log_documents_append_only BEFORE UPDATE OR DELETE ON log_documents
    FOR EACH ROW EXECUTE FUNCTION log_append_only();

-- Changes of the log's signing key (docs/log.md, "Log key rotation"): the `log_key_changed` leaf
-- at `leaf_index`, and the boundary — the largest checkpoint signed by `old_vkey`, of size
-- `from_size`, which covers that leaf. Checkpoints of larger trees are signed by `new_vkey`.
CREATE TABLE log_key_changes (
    from_size     BIGINT PRIMARY KEY,
    old_vkey      TEXT NOT NULL,
    new_vkey      TEXT NOT NULL UNIQUE,
    leaf_index    BIGINT NOT NULL,
    boundary      TEXT NOT NULL,
    changed_at_ms BIGINT NOT NULL
);

CREATE TRIGGER log_key_changes_append_only BEFORE UPDATE OR DELETE ON log_key_changes
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
