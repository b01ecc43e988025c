/** The channel dispatchers LISTEN on: "pending jobs were committed". */
export const JOBS_CHANNEL = 'handoff_jobs';

/**
 * Post-commit NOTIFY to OTHER processes, coalesced per channel: at most one in flight, and the next no sooner than
 * `minGapMs` after the previous one started; calls made meanwhile become ONE more, sent after it (a listener woken
 * by the first may already have looked, before the later commit). So every commit is followed by a send, and a
 * steady stream of commits costs at most 1000 / minGapMs sends a second, not one per commit.
 *
 * Why not `pg_notify` inside the writing transaction: PostgreSQL serialises the commits of all transactions that
 * NOTIFY (a database-wide lock held from pre-commit through the WAL flush), so per-event notifies turned
 * concurrent ingest into one commit at a time. A NOTIFY on its own writes no WAL and holds that lock briefly.
 *
 * A hint only: a failed send is ignored (dispatchers poll anyway). Call it only AFTER the commit that made the
 * work visible. `settled()` resolves when nothing is in flight or waiting (close() waits for it).
 */
export function coalescedNotify(send: (channel: string) => Promise<unknown>, opts: { minGapMs?: number } = {}): { notify(channel: string): void; settled(): Promise<void> } {
  const minGapMs = opts.minGapMs ?? 0;
  const inFlight = new Map<string, Promise<void>>();
  const again = new Set<string>();
  const run = (channel: string, delayMs: number): void => {
    const started = performance.now() + delayMs;
    // Sent at once when due (a synchronous throw becomes a rejection: the caller's commit already happened).
    const sending = delayMs > 0 ? new Promise((r) => setTimeout(r, delayMs)).then(() => send(channel)) : new Promise((r) => r(send(channel)));
    const p = sending
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        inFlight.delete(channel);
        if (again.delete(channel)) run(channel, Math.max(0, started + minGapMs - performance.now()));
      });
    inFlight.set(channel, p);
  };
  return {
    notify(channel) {
      if (inFlight.has(channel)) again.add(channel);
      else run(channel, 0);
    },
    async settled() {
      while (inFlight.size) await Promise.all(inFlight.values());
    },
  };
}

/**
 * This process's own listeners, woken directly (no statement, no round trip), a macrotask after the call so the
 * caller's commit has returned; calls before that macrotask share it.
 */
export function localWaker(): { add(channel: string, cb: () => void): () => void; wake(channel: string): void } {
  const listeners = new Map<string, Set<() => void>>();
  const waking = new Set<string>();
  return {
    add(channel, cb) {
      const own = () => cb();
      listeners.set(channel, (listeners.get(channel) ?? new Set()).add(own));
      return () => void listeners.get(channel)?.delete(own);
    },
    wake(channel) {
      const set = listeners.get(channel);
      if (!set?.size || waking.has(channel)) return;
      waking.add(channel);
      setImmediate(() => {
        waking.delete(channel);
        set.forEach((cb) => cb());
      });
    },
  };
}
