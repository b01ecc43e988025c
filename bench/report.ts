// The shape every benchmark section returns; bench/main.ts prints each figure as it is measured and writes
// BENCHMARKS.md from all of them. A figure without a baseline measured in the same run has no ratio.

export interface Figure {
  /** What was measured, e.g. "ingest PostgreSQL c=32". */
  name: string;
  value: number;
  /** "events/s", "jobs/s", "ms", "MB", … */
  unit: string;
  /** The same-run baseline this figure is compared with; ratio = value / baseline.value. */
  baseline?: { name: string; value: number; unit: string };
  /** The target in words ("≥ 0.75 of raw", "p95 ≤ 1000 ms") and whether this run met it. */
  target?: { text: string; met: boolean };
}

export interface Section {
  title: string;
  /** How it was measured, in two or three sentences (what runs where, what the baseline is). */
  method: string;
  figures: Figure[];
  /** What the numbers show; what limits them. */
  notes?: string[];
}

export interface BenchContext {
  /** `--quick` (or BENCH_QUICK=1): smaller counts, for trying the harness; BENCHMARKS.md says so. */
  quick: boolean;
  /** Print one line as soon as a figure is known. */
  print(figure: Figure): void;
  /** Progress on a terminal (stderr); silent otherwise. */
  progress(label: string, done: number, total: number): void;
}

export function ratio(f: Figure): number | undefined {
  return f.baseline && f.baseline.value > 0 ? f.value / f.baseline.value : undefined;
}

export function formatFigure(f: Figure): string {
  const r = ratio(f);
  const parts = [`${f.name}: ${round(f.value)} ${f.unit}`];
  if (f.baseline) parts.push(`baseline ${f.baseline.name} ${round(f.baseline.value)} ${f.baseline.unit}`, `ratio ${r === undefined ? 'n/a' : r.toFixed(2)}`);
  if (f.target) parts.push(`target ${f.target.text}: ${f.target.met ? 'met' : 'NOT met'}`);
  return parts.join(' · ');
}

function round(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}
