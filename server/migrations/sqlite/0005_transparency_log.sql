-- The public transparency log (docs/log.md). Every table is append-only: triggers refuse UPDATE
-- and DELETE. A leaf's index is fixed in the transaction of its event: on SQLite the single
-- writer serialises those transactions; the next index is one past the largest.

-- The log's identity: its origin line and the verifier key of its checkpoints, recorded by the
-- first server (every server on this database must sign with that key).
CREATE TABLE log_identity (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    origin         TEXT NOT NULL,
    log_vkey       TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);

-- Taken FOR UPDATE by PostgreSQL before a leaf is appended; kept here so both schemas match.
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

CREATE TRIGGER log_identity_no_update BEFORE UPDATE ON log_identity
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_identity_no_delete BEFORE DELETE ON log_identity
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_head_no_update BEFORE UPDATE ON log_head
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_head_no_delete BEFORE DELETE ON log_head
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_leaves_no_update BEFORE UPDATE ON log_leaves
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_leaves_no_delete BEFORE DELETE ON log_leaves
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_hashes_no_update BEFORE UPDATE ON log_hashes
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_hashes_no_delete BEFORE DELETE ON log_hashes
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_checkpoints_no_update BEFORE UPDATE ON log_checkpoints
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_checkpoints_no_delete BEFORE DELETE ON log_checkpoints
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_cosignatures_no_update BEFORE UPDATE ON log_cosignatures
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_cosignatures_no_delete BEFORE DELETE ON log_cosignatures
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
