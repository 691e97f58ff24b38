-- The layer of the suite that failed (tunnel, proxy, origin) when the answers said; NULL when they did not.
ALTER TABLE incident ADD COLUMN layer VARCHAR(16);
