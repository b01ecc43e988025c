// The dispatch benchmark's peer: graphile-worker (devDependency, benchmark only) draining N no-op jobs on its
// own fresh database on the same PostgreSQL server, in the configuration its performance page documents as its
// fastest (https://worker.graphile.org/docs/performance): 24 concurrent jobs, pool of 25, local queue of 500,
// batched completion and failure (delay 0). Jobs are queued with one addJobs call per chunk before the clock starts.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Logger, makeWorkerUtils, run, runMigrations, type AddJobsJobSpec } from 'graphile-worker';
import { TEST_DATABASE_URL } from '../test/support/db.js';
import { BACKENDS_SQL, trackBackendCpu } from './cpu.js';
import { walMark, walSince, type WalUse } from './support/wal.js';

export const GRAPHILE_PRESET = { concurrentJobs: 24, maxPoolSize: 25, localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } as const;

export interface PeerResult {
  version: string;
  config: string;
  jobs: number;
  seconds: number;
  jobsPerSec: number;
  /** CPU per job (µs): this process (the runner) and the PostgreSQL backends of its database. */
  cpuUsPerJob: { process: number; database: number };
  /** The WAL the drain wrote, per job. */
  wal: WalUse;
}

const silent = new Logger(() => () => undefined);

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export async function runGraphile(n: number, progress?: (done: number) => void): Promise<PeerResult> {
  const main = createRequire(import.meta.url).resolve('graphile-worker'); // …/graphile-worker/dist/index.js
  const version = (JSON.parse(readFileSync(path.join(path.dirname(main), '..', 'package.json'), 'utf8')) as { version: string }).version;
  const name = `handoff_bench_gw_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${name}`;
  const connectionString = u.toString();
  try {
    await runMigrations({ connectionString, logger: silent });
    const utils = await makeWorkerUtils({ connectionString, logger: silent });
    try {
      const CHUNK = 10_000;
      for (let i = 0; i < n; i += CHUNK) {
        const specs: AddJobsJobSpec[] = Array.from({ length: Math.min(CHUNK, n - i) }, (_, k) => ({ identifier: 'noop', payload: { i: i + k } }));
        await utils.addJobs(specs);
      }
    } finally {
      await utils.release();
    }

    const observer = new pg.Client({ connectionString });
    await observer.connect();
    const walQuery = (text: string, params?: unknown[]) => observer.query(text, params);
    const walFrom = await walMark(walQuery);
    const backends = async () => (await observer.query<{ pid: number }>(BACKENDS_SQL, [name])).rows.map((r) => r.pid);
    const p0 = process.cpuUsage();
    const database = trackBackendCpu(backends);
    let ran = 0;
    let allRan!: () => void;
    const finished = new Promise<void>((resolve) => (allRan = resolve));
    const t0 = performance.now();
    const runner = await run({
      noHandleSignals: true,
      logger: silent,
      taskList: {
        noop: async () => {
          if (++ran === n) allRan();
        },
      },
      preset: { worker: { connectionString, ...GRAPHILE_PRESET } },
    });
    const tick = setInterval(() => progress?.(ran), 50);
    await finished;
    clearInterval(tick);
    await runner.stop(); // flushes the batched completions
    const seconds = (performance.now() - t0) / 1000;
    const p1 = process.cpuUsage(p0);
    const cpu = { processMs: (p1.user + p1.system) / 1000, databaseMs: await database.stop() };

    const wal = await walSince(walQuery, walFrom, n);
    const left = Number((await observer.query<{ n: string }>('SELECT count(*) AS n FROM graphile_worker.jobs')).rows[0]!.n);
    await observer.end();
    if (left !== 0) throw new Error(`graphile-worker left ${left} of ${n} jobs`);
    return {
      version,
      config: `concurrentJobs ${GRAPHILE_PRESET.concurrentJobs}, maxPoolSize ${GRAPHILE_PRESET.maxPoolSize}, localQueue.size ${GRAPHILE_PRESET.localQueue.size}, completeJobBatchDelay ${GRAPHILE_PRESET.completeJobBatchDelay}, failJobBatchDelay ${GRAPHILE_PRESET.failJobBatchDelay}`,
      jobs: n,
      seconds,
      jobsPerSec: n / seconds,
      cpuUsPerJob: { process: (cpu.processMs * 1000) / n, database: (cpu.databaseMs * 1000) / n },
      wal,
    };
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
