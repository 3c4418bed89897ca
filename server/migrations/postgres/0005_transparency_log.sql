-- The public transparency log (docs/log.md). Every table is append-only: triggers refuse UPDATE,
-- DELETE and TRUNCATE. A leaf's index is fixed in the transaction of its event: the transaction
-- takes the one `log_head` row FOR UPDATE (held until it commits or rolls back), then appends one
-- past the largest index, so indexes are gapless however many servers share the database.

-- The log's identity: its origin line and the verifier key of its checkpoints, recorded by the
-- first server (every server on this database must sign with that key).
CREATE TABLE log_identity (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    origin         TEXT NOT NULL,
    log_vkey       TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);

-- The lock every leaf append takes (never updated: only locked).
CREATE TABLE log_head (
    id INTEGER PRIMARY KEY CHECK (id = 1)
);
INSERT INTO log_head (id) VALUES (1);

-- One row per leaf: its index (gapless from 0), exact bytes (UTF-8 text), leaf hash (hex of
-- SHA-256(0x00 || leaf)), when it was logged, and the subject (a manifest hash, a device key, an
-- election id) the capture status looks leaves up by.
CREATE TABLE log_leaves (
    leaf_index   BIGINT PRIMARY KEY,
    leaf         TEXT NOT NULL,
    leaf_hash    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    logged_at_ms BIGINT NOT NULL
);
CREATE INDEX log_leaves_subject ON log_leaves(subject, leaf_index);

-- The tree's stored hashes (tlog_tiles' layout), hex, written by the sequencer.
CREATE TABLE log_hashes (
    hash_index BIGINT PRIMARY KEY,
    hash       TEXT NOT NULL
);

-- Every signed checkpoint, one per tree size (the sequencer never signs two of one size).
CREATE TABLE log_checkpoints (
    tree_size    BIGINT PRIMARY KEY,
    root_hash    TEXT NOT NULL,
    note         TEXT NOT NULL,
    signed_at_ms BIGINT NOT NULL
);

-- Witnesses' cosignature lines, one per checkpoint and witness (its vkey).
CREATE TABLE log_cosignatures (
    tree_size      BIGINT NOT NULL,
    witness_vkey   TEXT NOT NULL,
    line           TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    PRIMARY KEY (tree_size, witness_vkey)
);

CREATE FUNCTION log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the log is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER log_identity_append_only BEFORE UPDATE OR DELETE ON log_identity
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_head_append_only BEFORE UPDATE OR DELETE ON log_head
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_leaves_append_only BEFORE UPDATE OR DELETE ON log_leaves
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_hashes_append_only BEFORE UPDATE OR DELETE ON log_hashes
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_checkpoints_append_only BEFORE UPDATE OR DELETE ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_cosignatures_append_only BEFORE UPDATE OR DELETE ON log_cosignatures
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_leaves_no_truncate BEFORE TRUNCATE ON log_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_checkpoints_no_truncate BEFORE TRUNCATE ON log_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION log_append_only();
