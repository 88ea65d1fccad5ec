-- Second factors. The TOTP secret must stay readable to check codes; recovery codes are
-- stored only as SHA-256 hashes and deleted when used.
CREATE TABLE totp_factors (
    user_id    uuid    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     text    NOT NULL,
    confirmed  boolean NOT NULL,
    last_step  bigint  NULL,
    created_at bigint  NOT NULL
);

CREATE TABLE recovery_codes (
    user_id   uuid  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash bytea NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);
