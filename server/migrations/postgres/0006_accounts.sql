-- Console accounts (server/src/accounts/, docs/console.md). Nothing here is updated in place:
-- an account's current state (password, enabled) is its latest `account_changes` row; login
-- attempts are appended once each; the triggers refuse UPDATE, DELETE and TRUNCATE. Only
-- `console_sessions` (who is signed in right now) changes and is purged: it is access state, not
-- a record, and logging out or disabling an account must really remove it.

CREATE TABLE accounts (
    user_id       TEXT PRIMARY KEY,               -- u-<hex>: what events name
    login         TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'ro', 'operator', 'observer')),
    scope_all     BIGINT NOT NULL CHECK (scope_all IN (0, 1)),
    created_by    TEXT NOT NULL,                  -- a user id, or 'cli'
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE account_scopes (
    user_id      TEXT NOT NULL REFERENCES accounts(user_id),
    election     TEXT NOT NULL,
    constituency TEXT NOT NULL,
    PRIMARY KEY (user_id, election, constituency)
);

-- kind: 'password' (password_hash set: the first one, or a reset), 'disabled', 'enabled'.
CREATE TABLE account_changes (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES accounts(user_id),
    kind          TEXT NOT NULL CHECK (kind IN ('password', 'disabled', 'enabled')),
    password_hash TEXT,
    by_user       TEXT NOT NULL,
    at_ms         BIGINT NOT NULL,
    CHECK ((kind = 'password') = (password_hash IS NOT NULL))
);
CREATE INDEX account_changes_user ON account_changes(user_id, id);

-- outcome: 'ok', 'failed' (wrong password or unknown login), 'refused' (locked or disabled).
CREATE TABLE login_attempts (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms   BIGINT NOT NULL,
    login   TEXT NOT NULL,
    client  TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'refused'))
);
CREATE INDEX login_attempts_login ON login_attempts(login, at_ms);
CREATE INDEX login_attempts_client ON login_attempts(client, at_ms);

CREATE TABLE console_sessions (
    token_hash    TEXT PRIMARY KEY,               -- SHA-256 of the cookie's value
    user_id       TEXT NOT NULL REFERENCES accounts(user_id),
    csrf_token    TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    seen_at_ms    BIGINT NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions(user_id);

CREATE FUNCTION accounts_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER accounts_no_update_delete BEFORE UPDATE OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_append_only();
CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_append_only();
CREATE TRIGGER account_scopes_no_update_delete BEFORE UPDATE OR DELETE ON account_scopes
    FOR EACH ROW EXECUTE FUNCTION accounts_append_only();
CREATE TRIGGER account_scopes_no_truncate BEFORE TRUNCATE ON account_scopes
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_append_only();
CREATE TRIGGER account_changes_no_update_delete BEFORE UPDATE OR DELETE ON account_changes
    FOR EACH ROW EXECUTE FUNCTION accounts_append_only();
CREATE TRIGGER account_changes_no_truncate BEFORE TRUNCATE ON account_changes
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_append_only();
CREATE TRIGGER login_attempts_no_update_delete BEFORE UPDATE OR DELETE ON login_attempts
    FOR EACH ROW EXECUTE FUNCTION accounts_append_only();
CREATE TRIGGER login_attempts_no_truncate BEFORE TRUNCATE ON login_attempts
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_append_only();
