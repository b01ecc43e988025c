-- Makes sure every monitored URL ($1) has a row; rows of URLs no longer configured are kept (ignored).
INSERT INTO uptime_checks (url) SELECT unnest($1::text[]) ON CONFLICT (url) DO NOTHING
