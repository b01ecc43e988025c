// `npm run bench`: runs the benchmark sections in order — ingest, dispatch, sync lag, memory — printing one line
// per figure as it is measured, then writes BENCHMARKS.md (machine, versions, date, every figure with its
// same-run baseline, ratio and target, each section's method and notes). See --help.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { repoRoot } from '../test/support/stripe-fixtures.js';
import { TEST_DATABASE_URL } from '../test/support/db.js';
import { formatFigure, ratio, type BenchContext, type Section } from './report.js';
import { serverCommand, serverOverrides } from './support/index.js';

const SECTIONS = ['ingest', 'dispatch', 'lag', 'memory'] as const;
type SectionName = (typeof SECTIONS)[number];

const HELP = `Usage: npm run bench -- [--quick] [--only ${SECTIONS.join(',')}] [--out FILE]

Runs Handoff's benchmarks on this machine, each against a baseline measured in the same run, prints one line
per figure and writes BENCHMARKS.md at the repository root (or FILE).

  --quick         smaller counts, to try the harness (figures are labelled quick in the file)
  --only LIST     comma-separated sections to run (default: all, in the order ${SECTIONS.join(', ')})
  --out FILE      where to write the report (default: BENCHMARKS.md at the repository root)
  -h, --help      this help

Needs PostgreSQL at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; the benchmarks create
and drop their own databases). Runs the built server (dist/) when it is newer than src/, else src/ through tsx;
BENCH_SERVER=dist|tsx forces one. The servers log at LOG_LEVEL info, production's default (BENCH_LOG_LEVEL
overrides). BENCH_SERVER_NODE_ARGS (node flags) and BENCH_SERVER_ENV (NAME=value pairs, space-separated) apply to
every Handoff process started; the report names them. Run on an otherwise idle machine (no stray handoff
processes): the figures are only as quiet as it is.
Exit codes: 0 done (targets met or not), 1 a benchmark failed, 2 usage error.`;

type Runner = (ctx: BenchContext) => Promise<Section>;

/** Each section's runner, loaded only when it runs; undefined when its module does not provide it yet. */
async function load(name: SectionName): Promise<Runner | undefined> {
  switch (name) {
    case 'ingest':
      return (await import('./ingest.js')).runIngest;
    case 'dispatch': {
      const m = (await import('./dispatch.js')) as { runDispatch?: Runner };
      return m.runDispatch;
    }
    case 'lag': {
      const m = (await import('./lag.js')) as { runLag?: Runner };
      return m.runLag;
    }
    case 'memory':
      return (await import('./memory.js')).runMemory;
  }
}

function progressPrinter(): BenchContext['progress'] {
  if (!process.stderr.isTTY) return () => undefined;
  let last = 0;
  return (label, done, total) => {
    const now = Date.now();
    if (done < total && now - last < 100) return;
    last = now;
    const width = 30;
    const filled = total > 0 ? Math.round((done / total) * width) : 0;
    process.stderr.write(`\r\x1b[2K${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    if (done >= total) process.stderr.write('\r\x1b[2K');
  };
}

function pkgVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function osName(): string {
  try {
    const m = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]+)"?/m);
    if (m) return `${m[1]} (${os.type()} ${os.release()})`;
  } catch {
    // not Linux
  }
  return `${os.type()} ${os.release()}`;
}

async function machine(overrides: string): Promise<Array<[string, string]>> {
  const cpus = os.cpus();
  let pgVersion = 'unreachable';
  try {
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    pgVersion = ((await c.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v ?? 'unknown').replace(/ on .*$/, '');
    await c.end();
  } catch (err) {
    pgVersion = `unreachable (${(err as Error).message})`;
  }
  const lite = new PGlite();
  const liteServer = (await lite.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?';
  await lite.close();
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    if (execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot, encoding: 'utf8' }).trim()) commit += ' (with uncommitted changes)';
  } catch {
    // not a git checkout
  }
  return [
    ['CPU', `${cpus[0]?.model ?? 'unknown'}, ${cpus.length} logical cores`],
    ['RAM', `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`],
    ['OS', osName()],
    ['Node.js', process.version],
    ['PostgreSQL server', pgVersion],
    ['PGlite', `@electric-sql/pglite ${pkgVersion('@electric-sql/pglite')} (PostgreSQL ${liteServer})`],
    ['Handoff', `${commit}; server run as ${serverCommand().runner}${overrides}`],
    ['Packages', Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((n) => !n.startsWith('@types/')).map((n) => `${n} ${pkgVersion(n)}`).join(', ')],
  ];
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
const cell = (s: string) => s.replace(/\|/g, '\\|');

function markdown(opts: { quick: boolean; started: Date; seconds: number; machine: Array<[string, string]>; sections: Section[]; failures: string[]; only: readonly string[] }): string {
  const out: string[] = [];
  out.push('# Benchmarks', '');
  out.push(`Written by \`npm run bench${opts.quick ? ' -- --quick' : ''}\` on ${opts.started.toISOString().replace('T', ' ').slice(0, 16)} UTC (${Math.round(opts.seconds)} s). Every ratio compares two figures measured on the same machine in the same run.`, '');
  if (opts.quick) out.push('> **Quick run** (`--quick`): smaller counts, to try the harness. The figures are noisier and are not the ones to quote.', '');
  if (opts.only.length < SECTIONS.length) out.push(`> Sections run: ${opts.only.join(', ')} (\`--only\`).`, '');
  out.push('## Machine', '', '| | |', '|---|---|');
  for (const [k, v] of opts.machine) out.push(`| ${k} | ${cell(v)} |`);
  out.push('');
  const all = opts.sections.flatMap((s) => s.figures.filter((f) => f.target));
  if (all.length) {
    out.push('## Targets', '', '| Figure | Value | Target | |', '|---|---|---|---|');
    for (const f of all) {
      const r = ratio(f);
      out.push(`| ${cell(f.name)} | ${fmt(f.value)} ${f.unit}${r !== undefined ? ` (${r.toFixed(2)} × baseline)` : ''} | ${cell(f.target!.text)} | ${f.target!.met ? 'met' : '**not met**'} |`);
    }
    out.push('');
  }
  for (const s of opts.sections) {
    out.push(`## ${s.title}`, '', s.method, '');
    if (s.figures.length) {
      out.push('| Figure | Value | Baseline | Ratio | Target |', '|---|---|---|---|---|');
      for (const f of s.figures) {
        const r = ratio(f);
        out.push(
          `| ${cell(f.name)} | ${fmt(f.value)} ${f.unit} | ${f.baseline ? `${cell(f.baseline.name)}: ${fmt(f.baseline.value)} ${f.baseline.unit}` : ''} | ${r !== undefined ? r.toFixed(2) : ''} | ${f.target ? `${cell(f.target.text)}: ${f.target.met ? 'met' : '**not met**'}` : ''} |`,
        );
      }
      out.push('');
    }
    for (const n of s.notes ?? []) out.push(`- ${n}`);
    if (s.notes?.length) out.push('');
  }
  if (opts.failures.length) {
    out.push('## Sections that did not complete', '');
    for (const f of opts.failures) out.push(`- ${f}`);
    out.push('');
  }
  return out.join('\n');
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : [...SECTIONS];
  const unknown = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length) {
    process.stderr.write(`unknown section(s): ${unknown.join(', ')} (choose from ${SECTIONS.join(', ')})\n`);
    return 2;
  }
  let overrides: string;
  try {
    overrides = serverOverrides();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const quick = Boolean(values.quick) || process.env.BENCH_QUICK === '1';
  const ctx: BenchContext = { quick, print: (f) => process.stdout.write(`${formatFigure(f)}\n`), progress: progressPrinter() };
  const started = new Date();
  const t0 = performance.now();
  const info = await machine(overrides);
  process.stdout.write(`${info.map(([k, v]) => `${k}: ${v}`).join('\n')}\n${quick ? '(quick run)\n' : ''}\n`);
  const sections: Section[] = [];
  const failures: string[] = [];
  for (const name of SECTIONS.filter((s) => only.includes(s))) {
    process.stdout.write(`== ${name}\n`);
    try {
      const run = await load(name);
      if (!run) {
        failures.push(`${name}: its module does not export a runner yet`);
        process.stdout.write(`${name}: not available yet (skipped)\n`);
        continue;
      }
      sections.push(await run(ctx));
    } catch (err) {
      const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
      failures.push(`${name}: ${(err as Error).message ?? msg}`);
      process.stderr.write(`\n${name} failed: ${msg}\n`);
    }
  }
  const file = values.out ? path.resolve(values.out) : path.join(repoRoot, 'BENCHMARKS.md');
  writeFileSync(file, markdown({ quick, started, seconds: (performance.now() - t0) / 1000, machine: info, sections, failures, only }));
  process.stdout.write(`\nwrote ${path.relative(process.cwd(), file) || file}${existsSync(file) ? '' : ' (missing?)'}\n`);
  return failures.length ? 1 : 0;
}

process.exitCode = await main();
