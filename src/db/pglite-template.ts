import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The data dir a NEW PGlite database starts from: dist/pglite-template.tar.gz, written by `npm run build`
 * (scripts/pglite-template.mjs) with the installed PGlite. Without it (not built, or built with another PGlite
 * version: its PostgreSQL data format may differ) PGlite runs initdb in-process instead: slower, and about
 * twice the peak memory. src/db and dist/db are both two levels below the package root.
 */
export const TEMPLATE_DIR = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'), 'dist');
export const TEMPLATE_FILE = 'pglite-template.tar.gz';
/** Beside the template: `{"pglite": "<version that made it>"}`. */
export const TEMPLATE_META_FILE = 'pglite-template.json';

/** The installed @electric-sql/pglite version (its package.json is not exported: found beside its entry). */
export function pgliteVersion(): string {
  let dir = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('@electric-sql/pglite: package.json not found');
    dir = up;
  }
}

/** The template as PGlite's `loadDataDir`, or undefined (missing, or made by another PGlite version). */
export function pgliteTemplate(dir = TEMPLATE_DIR): Blob | undefined {
  try {
    const meta = JSON.parse(readFileSync(path.join(dir, TEMPLATE_META_FILE), 'utf8')) as { pglite?: string };
    if (meta.pglite !== pgliteVersion()) return undefined;
    return new Blob([readFileSync(path.join(dir, TEMPLATE_FILE))]);
  } catch {
    return undefined; // not built
  }
}
