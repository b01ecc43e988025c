import { parseArgs } from 'node:util';
import type { Command, OptionSpec, OptionValues } from './command.js';
import { UsageError } from './errors.js';

/** Options every command accepts. */
const GLOBAL: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  json: { type: 'boolean', description: 'print one JSON document on stdout instead of text' },
};

function specsOf(cmd: Command): Record<string, OptionSpec> {
  const global = cmd.json === false ? { help: GLOBAL.help! } : GLOBAL;
  return { ...(cmd.options ?? {}), ...global };
}

/** Parses argv for `cmd` (node:util parseArgs, strict). Unknown options and wrong arity are UsageErrors. */
export function parseCommandArgs(cmd: Command, argv: string[]): { values: OptionValues; positionals: string[] } {
  const specs = specsOf(cmd);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: Object.fromEntries(
        Object.entries(specs).map(([k, s]) => [k, { type: s.type, ...(s.short ? { short: s.short } : {}), ...(s.multiple ? { multiple: true } : {}) }]),
      ),
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}`);
  }
  const values = parsed.values as OptionValues;
  if (values.help) return { values, positionals: parsed.positionals };
  const [min, max] = cmd.positionals ?? [0, 0];
  const n = parsed.positionals.length;
  if (n < min) throw new UsageError(`missing argument: handoff ${cmd.name} ${cmd.usage ?? ''}`.trimEnd());
  if (n > max) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[max])}`);
  for (const [k, s] of Object.entries(specs)) {
    const v = values[k];
    if (s.type === 'string' && (v === '' || (Array.isArray(v) && v.includes('')))) throw new UsageError(`--${k} needs a value`);
  }
  return { values, positionals: parsed.positionals };
}

export function commandHelp(cmd: Command): string {
  const specs = specsOf(cmd);
  const rows = Object.entries(specs).map(([k, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${k}${s.type === 'string' ? ` ${s.value ?? 'VALUE'}` : ''}`;
    return [flag, s.description];
  });
  const width = Math.max(...rows.map((r) => r[0]!.length));
  return [
    `handoff ${cmd.name} — ${cmd.summary}`,
    '',
    `Usage: handoff ${cmd.name}${cmd.usage ? ` ${cmd.usage}` : ''}${Object.keys(cmd.options ?? {}).length ? ' [options]' : ''}`,
    ...(cmd.details ? ['', cmd.details.trimEnd()] : []),
    '',
    'Options:',
    ...rows.map(([f, d]) => `  ${f!.padEnd(width)}  ${d}`),
    '',
  ].join('\n');
}

/** A string option's value (the last one when given several times). */
export function str(values: OptionValues, key: string): string | undefined {
  const v = values[key];
  if (Array.isArray(v)) return v[v.length - 1];
  return typeof v === 'string' ? v : undefined;
}

/** Every value of a repeatable, comma-separable option: `--scope a,b --scope c` → [a, b, c]. */
export function list(values: OptionValues, key: string): string[] {
  const v = values[key];
  const all = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  return all.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

export function int(values: OptionValues, key: string, min: number, max: number): number | undefined {
  const v = str(values, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${key} must be an integer from ${min} to ${max}`);
  return n;
}
