import { describe, expect, it } from 'vitest';
import { systemIds } from '../../src/clock.js';
import type { Connector, ConnectorResult, JobToRun } from '../../src/connectors/types.js';
import { Dispatcher } from '../../src/dispatcher/index.js';
import { ProviderError } from '../../src/errors.js';
import { createMetrics } from '../../src/monitor/index.js';
import { captureLogger, testConfig } from '../support/app.js';
import { DB_KINDS, type TestDb, useTestDb } from '../support/db.js';
import { waitUntil } from '../support/wait.js';
import { connectorState, queueJobs, sleep } from './gate-support.js';

/**
 * A connector that counts its concurrent runs. `hold` keeps each run open until the dispatcher's stop aborts it;
 * `failing` makes each run a retryable provider failure (503).
 */
class CountingConnector implements Connector {
  readonly name = 'webhook' as const;
  callsPerJob = 1;
  runs: number[] = [];
  running = 0;
  maxRunning = 0;
  hold = false;
  failing = false;
  /** At the start of each run: jobs leased (running in the database) that have not started yet, i.e. claimed ahead. */
  ahead: number[] = [];
  constructor(private readonly t: TestDb) {}

  async run(job: JobToRun, _customer: unknown, signal: AbortSignal): Promise<ConnectorResult> {
    this.runs.push(job.id);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      const { rows } = await this.t.db.query<{ id: number }>(`SELECT id::integer AS id FROM jobs WHERE status = 'running'`);
      this.ahead.push(rows.filter((r) => !this.runs.includes(r.id)).length);
      if (this.hold) {
        await new Promise<void>((_, reject) => {
          const abort = () => reject(new ProviderError('webhook', 'timeout', 'webhook POST: aborted by the caller'));
          if (signal.aborted) abort();
          else signal.addEventListener('abort', abort, { once: true });
        });
      }
      await sleep(5);
      if (this.failing) throw new ProviderError('webhook', 'http', 'webhook POST → HTTP 503', { httpStatus: 503 });
      return { status: 'done' };
    } finally {
      this.running--;
    }
  }
}

interface JobState {
  id: number;
  status: string;
  attempts: number;
  locked_by: string | null;
  due: boolean;
}

/**
 * DISPATCH_PREFETCH: jobs claimed ahead of a free slot start the moment one frees (no claim round trip between a
 * job ending and the next starting), never beyond DISPATCH_CONCURRENCY at once. Jobs claimed ahead that never start
 * (a stop, a circuit that opened since their claim) go back to the queue at once, their attempt uncounted.
 */
describe.each(DB_KINDS)('dispatcher prefetch on %s', (kind) => {
  const t = useTestDb(kind, { emptyEach: true });

  function dispatcher(connector: CountingConnector, env: Record<string, string>, circuit?: { failureThreshold: number; cooldownMs: number }): Dispatcher {
    const config = testConfig(env);
    return new Dispatcher({
      db: t.db,
      connectors: new Map([['webhook', connector]]),
      config: config.dispatcher,
      logger: captureLogger().logger,
      metrics: createMetrics(),
      ids: systemIds,
      circuit,
      stopGraceMs: 200,
    });
  }
  const jobStates = async () =>
    (await t.db.query<JobState>(`SELECT id::integer AS id, status, attempts, locked_by, run_at <= now() AS due FROM jobs ORDER BY id`)).rows;

  it('runs every job once, never more than DISPATCH_CONCURRENCY at a time, with jobs leased ahead of the slots', async () => {
    await queueJobs(t.db, 'webhook', 60);
    const c = new CountingConnector(t);
    const d = dispatcher(c, { DISPATCH_CONCURRENCY: '4', DISPATCH_BATCH_SIZE: '12', DISPATCH_PREFETCH: '8' });
    await d.start();
    try {
      await waitUntil(async () => (await jobStates()).every((j) => j.status === 'done'), 30_000, 'every job to be done');
    } finally {
      await d.stop();
    }
    expect(c.runs).toHaveLength(60);
    expect(new Set(c.runs).size).toBe(60);
    expect(c.maxRunning).toBeLessThanOrEqual(4);
    expect(Math.max(...c.ahead)).toBeGreaterThan(0);
    expect(Math.max(...c.ahead)).toBeLessThanOrEqual(8);
    expect((await jobStates()).every((j) => j.attempts === 1 && j.locked_by === null)).toBe(true);
  });

  it('a connector of several requests per job (each job holding its reservation while it runs) is never claimed ahead', async () => {
    await queueJobs(t.db, 'webhook', 20);
    const c = new CountingConnector(t);
    c.callsPerJob = 3;
    const d = dispatcher(c, { DISPATCH_CONCURRENCY: '2', DISPATCH_BATCH_SIZE: '10', DISPATCH_PREFETCH: '8' });
    await d.start();
    try {
      await waitUntil(async () => (await jobStates()).every((j) => j.status === 'done'), 30_000, 'every job to be done');
    } finally {
      await d.stop();
    }
    expect(c.runs).toHaveLength(20);
    expect(Math.max(...c.ahead)).toBe(0);
  });

  it('stop gives back the jobs claimed ahead at once: pending, due, uncounted, unleased', async () => {
    await queueJobs(t.db, 'webhook', 6);
    const c = new CountingConnector(t);
    c.hold = true;
    const d = dispatcher(c, { DISPATCH_CONCURRENCY: '1', DISPATCH_BATCH_SIZE: '6', DISPATCH_PREFETCH: '5' });
    await d.start();
    await waitUntil(async () => c.runs.length === 1 && (await jobStates()).every((j) => j.status === 'running'), 10_000, 'one run and six leases');
    await d.stop(); // the held run is aborted after stopGraceMs and retried later; the five never started
    expect(c.runs).toHaveLength(1);
    const rest = (await jobStates()).filter((j) => j.id !== c.runs[0]);
    expect(rest).toHaveLength(5);
    expect(rest.every((j) => j.status === 'pending' && j.attempts === 0 && j.locked_by === null && j.due)).toBe(true);
  });

  it('a circuit that opens gives back the jobs claimed ahead instead of sending them to the failing provider', async () => {
    await queueJobs(t.db, 'webhook', 6);
    const c = new CountingConnector(t);
    c.failing = true;
    const d = dispatcher(c, { DISPATCH_CONCURRENCY: '1', DISPATCH_BATCH_SIZE: '6', DISPATCH_PREFETCH: '5' }, { failureThreshold: 1, cooldownMs: 600_000 });
    await d.start();
    try {
      await waitUntil(async () => (await connectorState(t.db, 'webhook'))?.status === 'open', 10_000, 'the circuit to open');
      await waitUntil(async () => (await jobStates()).every((j) => j.locked_by === null), 10_000, 'every lease to be given back');
      await sleep(200);
    } finally {
      await d.stop();
    }
    expect(c.runs).toHaveLength(1);
    const states = await jobStates();
    expect(states.find((j) => j.id === c.runs[0])).toMatchObject({ status: 'pending', attempts: 1 });
    const rest = states.filter((j) => j.id !== c.runs[0]);
    expect(rest).toHaveLength(5);
    expect(rest.every((j) => j.status === 'pending' && j.attempts === 0)).toBe(true);
  });
});
