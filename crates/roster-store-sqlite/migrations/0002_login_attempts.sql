-- Login throttling: attempts counted per key (an account's login, a client address) within
-- a window; the count is updated atomically, so parallel guesses cannot exceed the limit.
CREATE TABLE login_attempts (
    key          TEXT    NOT NULL PRIMARY KEY,
    attempts     INTEGER NOT NULL,
    last_attempt INTEGER NOT NULL
);
