import { copyFileSync, cpSync, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The data dir a NEW PGlite database starts from: dist/pglite-template/, a freshly initdb'd data dir written by
 * `npm run build` (scripts/pglite-template.mjs) with the installed PGlite, copied file by file into the new
 * data dir. Without it (not built, or built with another PGlite version: its PostgreSQL data format may differ)
 * PGlite runs initdb in-process instead: slower, and about twice the peak memory. A directory, not an archive:
 * PGlite unpacks an archive inside the process (decompressed in memory, written through the WASM file
 * system), which took the first start's peak RSS from ~270 to ~390 MB. src/db and dist/db are both two levels
 * below the package root.
 */
export const TEMPLATE_DIR = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'), 'dist');
/** The template data dir, inside TEMPLATE_DIR. */
export const TEMPLATE_DATA = 'pglite-template';
/** Beside the template: `{"pglite": "<version that made it>"}`. */
export const TEMPLATE_META_FILE = 'pglite-template.json';
/** Written last: a data dir holding it is complete (PostgreSQL's own marker of an initialised data dir). */
const COMPLETE_MARKER = 'PG_VERSION';

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

/** The template data dir, or undefined (missing, incomplete, or made by another PGlite version). */
export function pgliteTemplate(dir = TEMPLATE_DIR): string | undefined {
  try {
    const meta = JSON.parse(readFileSync(path.join(dir, TEMPLATE_META_FILE), 'utf8')) as { pglite?: string };
    const data = path.join(dir, TEMPLATE_DATA);
    return meta.pglite === pgliteVersion() && existsSync(path.join(data, COMPLETE_MARKER)) ? data : undefined;
  } catch {
    return undefined; // not built
  }
}

/**
 * Copies the template into `dataDir` (which may already hold Handoff's lock file), PG_VERSION last: a copy cut
 * short (the process killed, a full disk) leaves no PG_VERSION, so the next start copies again over it instead
 * of opening half a database.
 */
export function seedDataDir(template: string, dataDir: string): void {
  cpSync(template, dataDir, { recursive: true, force: true, filter: (src) => src !== path.join(template, COMPLETE_MARKER) });
  copyFileSync(path.join(template, COMPLETE_MARKER), path.join(dataDir, COMPLETE_MARKER));
}
