-- Console accounts (server/src/accounts/, docs/console.md). Nothing here is updated in place:
-- an account's current state (password, enabled) is its latest `account_changes` row; login
-- attempts are appended once each; the triggers refuse UPDATE and DELETE. Only
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
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
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
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
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

CREATE TRIGGER accounts_no_update BEFORE UPDATE ON accounts
BEGIN SELECT RAISE(ABORT, 'accounts are append-only'); END;
CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts
BEGIN SELECT RAISE(ABORT, 'accounts are append-only'); END;
CREATE TRIGGER account_scopes_no_update BEFORE UPDATE ON account_scopes
BEGIN SELECT RAISE(ABORT, 'account scopes are append-only'); END;
CREATE TRIGGER account_scopes_no_delete BEFORE DELETE ON account_scopes
BEGIN SELECT RAISE(ABORT, 'account scopes are append-only'); END;
CREATE TRIGGER account_changes_no_update BEFORE UPDATE ON account_changes
BEGIN SELECT RAISE(ABORT, 'account changes are append-only'); END;
CREATE TRIGGER account_changes_no_delete BEFORE DELETE ON account_changes
BEGIN SELECT RAISE(ABORT, 'account changes are append-only'); END;
CREATE TRIGGER login_attempts_no_update BEFORE UPDATE ON login_attempts
BEGIN SELECT RAISE(ABORT, 'login attempts are append-only'); END;
CREATE TRIGGER login_attempts_no_delete BEFORE DELETE ON login_attempts
BEGIN SELECT RAISE(ABORT, 'login attempts are append-only'); END;
