// What the disk alone gives a synchronous commit: an 8 KiB write and fdatasync(), paced like a load, on the file
// system the databases write to. A PostgreSQL commit waits for exactly this (its WAL page written and flushed),
// so a latency target is bounded by this figure's tail whatever runs above it: on a VM whose host stalls
// flushes for hundreds of milliseconds every few seconds, every durable commit in that window waits too.
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { createHistogram, performance } from 'node:perf_hooks';

export interface DiskSyncResult {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Flushes that took 50 ms or more. */
  stalls: number;
  count: number;
}

/** `rate` flushes per second for `seconds` (open loop: a stalled flush delays the ones due meanwhile, counted from their due time). */
export async function diskSyncProbe(dir: string, rate: number, seconds: number): Promise<DiskSyncResult> {
  const scratch = mkdtempSync(path.join(dir, 'handoff-disk-'));
  const fd = openSync(path.join(scratch, 'probe'), 'w');
  const page = Buffer.alloc(8192, 0x5a);
  const h = createHistogram();
  const count = Math.max(10, Math.round(rate * seconds));
  let stalls = 0;
  try {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const started = performance.now();
      // A WAL-like file: the same 1 MiB written over and over, so the file's size (metadata) settles after the first pass.
      writeSync(fd, page, 0, page.length, (i % 128) * page.length);
      fdatasyncSync(fd);
      const done = performance.now();
      if (done - started >= 50) stalls++;
      // From the due time (a flush held up by a stalled one counts its wait), or from its start when the timer let it
      // start up to 1 ms early.
      h.record(Math.max(1, Math.round((done - Math.min(due, started)) * 1e6)));
    }
  } finally {
    closeSync(fd);
    rmSync(scratch, { recursive: true, force: true });
  }
  return { p50Ms: h.percentile(50) / 1e6, p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6, stalls, count };
}
