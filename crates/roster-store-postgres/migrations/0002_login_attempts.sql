-- Login throttling: attempts counted per key (an account's login, a client address) within
-- a window; the count is updated atomically, so parallel guesses cannot exceed the limit.
CREATE TABLE login_attempts (
    key          TEXT    COLLATE "C" NOT NULL PRIMARY KEY,
    attempts     bigint  NOT NULL,
    last_attempt bigint  NOT NULL
);
