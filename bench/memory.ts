// Memory (issue 7, item 4): the peak RSS of every Handoff server the earlier sections ran, each its kernel
// high-water mark (VmHWM of the child process, read just before it was stopped; see support/server.ts).
// The figure with the target is the largest of them: no single Handoff process went above it.
import type { BenchContext, Figure, Section } from './report.js';
import { peaks, serverCommand } from './support/index.js';

const TARGET_MB = 200;

export async function runMemory(ctx: BenchContext): Promise<Section> {
  const all = peaks();
  const target = (mb: number) => ({ text: `≤ ${TARGET_MB} MB`, met: mb <= TARGET_MB });
  const figures: Figure[] = all.map((p) => ({ name: `peak RSS, ${p.label}`, value: p.peakMb, unit: 'MB', target: target(p.peakMb) }));
  for (const f of figures) ctx.print(f);
  if (all.length) {
    const max = all.reduce((m, p) => (p.peakMb > m.peakMb ? p : m));
    const f: Figure = { name: `peak RSS of any Handoff process (${max.label})`, value: max.peakMb, unit: 'MB', target: target(max.peakMb) };
    ctx.print(f);
    figures.push(f);
  }
  return {
    title: 'Memory',
    method:
      'Each benchmark runs Handoff as its own child process; just before stopping it, the benchmark reads the kernel\'s high-water mark of its resident set (VmHWM in /proc/<pid>/status), which covers the whole life of the process: start-up, migrations, the load. MB here are MiB.',
    figures,
    notes: [
      ...(all.length ? [] : ['No Handoff server ran in this run (run the ingest, dispatch or lag section too).']),
      ...(serverCommand().runner.includes('tsx')
        ? ['The servers ran from src/ through tsx: their RSS includes the TypeScript loader (tens of MB). Run `npm run build` first to measure what production runs.']
        : []),
      'On a new PGlite data dir the first open runs initdb inside the process (a second WASM instance beside the database\'s own); that peak is listed on its own (`handoff migrate` on a new database), separately from the servers under load.',
    ],
  };
}
