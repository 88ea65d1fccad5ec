-- Sessions opened by "login as user" name the administrator behind them.
ALTER TABLE tokens ADD COLUMN impersonator_id uuid NULL;
