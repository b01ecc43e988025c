export { startServer, runOnce, peaks, recordPeak, serverCommand, serverOverrides, type BenchServer, type ServerPeak } from './server.js';
export { closedLoop, openLoop, loadClient, percentile, type BenchRequest, type LoadResult, type LoadClient } from './load.js';
export { benchDb, serverVersion, DB_LABEL, type BenchDb } from './db.js';
export { signedStripeRequest, STRIPE_BENCH_SECRET } from './stripe.js';
