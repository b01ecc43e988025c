// Builds dist/pglite-template.tar.gz: a freshly initdb'd PGlite data dir, so that a new data dir starts from it
// instead of running initdb inside the Handoff process (which loads a second WASM instance: the measured first
// start peaked at 837 MB RSS; from the template, about half, and in half the time). Run by `npm run build`.
// Rebuilt only when the installed PGlite version changes (the template is tied to its PostgreSQL version).
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { join } from 'node:path';
import { pgliteVersion, TEMPLATE_DIR, TEMPLATE_FILE, TEMPLATE_META_FILE } from '../dist/db/pglite-template.js';

const version = pgliteVersion();
const tarPath = join(TEMPLATE_DIR, TEMPLATE_FILE);
const metaPath = join(TEMPLATE_DIR, TEMPLATE_META_FILE);
if (existsSync(tarPath) && existsSync(metaPath) && JSON.parse(readFileSync(metaPath, 'utf8')).pglite === version) process.exit(0);

mkdirSync(TEMPLATE_DIR, { recursive: true });
const pg = new PGlite();
await pg.waitReady;
const tar = await pg.dumpDataDir('gzip');
await pg.close();
writeFileSync(tarPath, Buffer.from(await tar.arrayBuffer()));
writeFileSync(metaPath, `${JSON.stringify({ pglite: version })}\n`);
console.log(`wrote ${tarPath} (PGlite ${version}, ${(tar.size / 1e6).toFixed(1)} MB)`);
