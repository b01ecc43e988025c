-- Rehearse: scratch schemas (rehearse_<yyyymmddhhmmss>_<hex>) left by a rehearsal that could not clean up.
SELECT nspname AS name FROM pg_namespace WHERE nspname ~ '^rehearse_[0-9]{14}_[0-9a-f]+$' ORDER BY nspname
