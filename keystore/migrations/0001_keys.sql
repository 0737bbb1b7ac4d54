-- Keys. seq orders keys newest first and makes list cursors stable: it only
-- grows, so a key created while a client pages never lands behind its cursor.
-- Only a digest of the secret is stored, never the secret.
CREATE TABLE keys (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	id           TEXT    NOT NULL UNIQUE,
	name         TEXT    NOT NULL,
	application  TEXT    NOT NULL,
	scopes       TEXT    NOT NULL,           -- space-separated; scopes hold no spaces
	digest       BLOB    NOT NULL UNIQUE,
	hint         TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,           -- unix seconds, UTC
	expires_at   INTEGER NOT NULL,
	revoked_at   INTEGER,                    -- in the future during a rotation grace period
	last_used_at INTEGER,
	rotated_from TEXT REFERENCES keys (id),
	replaced_by  TEXT REFERENCES keys (id)
);

CREATE INDEX keys_application_seq ON keys (application, seq);

-- The audit trail: one row per change, written in the change's transaction.
CREATE TABLE audit (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	at          INTEGER NOT NULL,
	actor       TEXT    NOT NULL,
	action      TEXT    NOT NULL,
	key_id      TEXT,
	application TEXT,
	outcome     TEXT    NOT NULL,
	detail      TEXT
);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
	SELECT RAISE(ABORT, 'the audit trail is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
	SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
