/** The channel dispatchers LISTEN on: "pending jobs were committed". */
export const JOBS_CHANNEL = 'handoff_jobs';

/**
 * Post-commit NOTIFY, coalesced per channel: at most one in flight; calls made meanwhile become ONE more, sent
 * after it (a listener woken by the first may already have looked, before the later commit). So a burst of N
 * commits sends about (N / calls per round trip) notifications, not N, and every commit is followed by one.
 *
 * Why not `pg_notify` inside the writing transaction: PostgreSQL serialises the commits of all transactions that
 * NOTIFY (a database-wide lock held from pre-commit through the WAL flush), so per-event notifies turned
 * concurrent ingest into one commit at a time. A NOTIFY on its own writes no WAL and holds that lock briefly.
 *
 * A hint only: a failed send is ignored (dispatchers poll anyway). Call it only AFTER the commit that made the
 * work visible. `settled()` resolves when nothing is in flight (close() waits for it).
 */
export function coalescedNotify(send: (channel: string) => Promise<unknown>): { notify(channel: string): void; settled(): Promise<void> } {
  const inFlight = new Map<string, Promise<void>>();
  const again = new Set<string>();
  const run = (channel: string): void => {
    const p = send(channel).then(
      () => undefined,
      () => undefined,
    ).then(() => {
      inFlight.delete(channel);
      if (again.delete(channel)) run(channel);
    });
    inFlight.set(channel, p);
  };
  return {
    notify(channel) {
      if (inFlight.has(channel)) again.add(channel);
      else run(channel);
    },
    async settled() {
      while (inFlight.size) await Promise.all(inFlight.values());
    },
  };
}
