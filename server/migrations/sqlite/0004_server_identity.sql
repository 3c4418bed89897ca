-- The Commission key the database was first used with (server/src/secrets.rs). Every server on
-- this database must sign with it: receipts, time anchors and packages signed by another key would
-- not verify on the phones. A server with another key (or none, which would generate one) refuses
-- to start instead of signing with a key nobody trusts.
CREATE TABLE server_identity (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    commission_key TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);
