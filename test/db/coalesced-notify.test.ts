import { describe, expect, it } from 'vitest';
import { coalescedNotify } from '../../src/db/notify.js';

/** A send whose completion the test decides. */
function manualSend() {
  const sent: Array<{ channel: string; finish: (ok: boolean) => void }> = [];
  const send = (channel: string) =>
    new Promise<void>((resolve, reject) => sent.push({ channel, finish: (ok) => (ok ? resolve() : reject(new Error('connection lost'))) }));
  return { sent, send };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('coalescedNotify', () => {
  it('one send in flight per channel; calls meanwhile become exactly one more, sent after it settles', async () => {
    const { sent, send } = manualSend();
    const n = coalescedNotify(send);
    n.notify('jobs');
    for (let i = 0; i < 5; i++) n.notify('jobs');
    n.notify('other');
    expect(sent.map((s) => s.channel)).toEqual(['jobs', 'other']);
    sent[0]!.finish(true);
    await tick();
    expect(sent.map((s) => s.channel)).toEqual(['jobs', 'other', 'jobs']);
    sent[2]!.finish(true);
    sent[1]!.finish(true);
    await tick();
    expect(sent).toHaveLength(3); // nothing was called after the second send started
    await n.settled();
  });

  it('minGapMs spaces the sends: the follow-up waits until that long after the previous one started', async () => {
    const { sent, send } = manualSend();
    const n = coalescedNotify(send, { minGapMs: 60 });
    const t0 = performance.now();
    n.notify('jobs');
    n.notify('jobs');
    sent[0]!.finish(true);
    await tick();
    expect(sent).toHaveLength(1); // not yet: the gap has not passed
    await new Promise((r) => setTimeout(r, 80));
    expect(sent).toHaveLength(2);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(60);
    sent[1]!.finish(true);
    await n.settled();
  });

  it('a failed send is ignored (a hint only) and does not stop later ones; settled() waits for the follow-up too', async () => {
    const { sent, send } = manualSend();
    const n = coalescedNotify(send);
    n.notify('jobs');
    n.notify('jobs');
    let settled = false;
    const done = n.settled().then(() => (settled = true));
    sent[0]!.finish(false);
    await tick();
    expect(sent).toHaveLength(2);
    expect(settled).toBe(false);
    sent[1]!.finish(true);
    await done;
    expect(settled).toBe(true);
    n.notify('jobs');
    expect(sent).toHaveLength(3);
    sent[2]!.finish(true);
    await n.settled();
  });
});
