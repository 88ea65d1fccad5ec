-- Second factors. The TOTP secret must stay readable to check codes; recovery codes are
-- stored only as SHA-256 hashes and deleted when used.
CREATE TABLE totp_factors (
    user_id    BLOB    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     TEXT    NOT NULL,
    confirmed  INTEGER NOT NULL,
    last_step  INTEGER NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE recovery_codes (
    user_id   BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BLOB NOT NULL,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;
