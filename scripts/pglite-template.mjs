// Builds dist/pglite-template/: a freshly initdb'd PGlite data dir, so that a new data dir starts as a copy of it
// instead of running initdb inside the Handoff process (which loads a second WASM instance: the measured first
// start peaked at 837 MB RSS; from the template as a directory, ~270 MB). Run by `npm run build`.
// Rebuilt only when the installed PGlite version changes (the template is tied to its PostgreSQL version).
// Written beside its final place and renamed: an interrupted build never leaves a half template.
import { rmSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { join } from 'node:path';
import { pgliteTemplate, pgliteVersion, TEMPLATE_DATA, TEMPLATE_DIR, TEMPLATE_META_FILE } from '../dist/db/pglite-template.js';

const version = pgliteVersion();
if (pgliteTemplate()) process.exit(0);

const dataPath = join(TEMPLATE_DIR, TEMPLATE_DATA);
const building = `${dataPath}.building`;
const metaPath = join(TEMPLATE_DIR, TEMPLATE_META_FILE);
mkdirSync(TEMPLATE_DIR, { recursive: true });
rmSync(building, { recursive: true, force: true });
rmSync(join(TEMPLATE_DIR, 'pglite-template.tar.gz'), { force: true }); // the archive earlier builds wrote
const pg = new PGlite(building);
await pg.waitReady;
await pg.close();
rmSync(metaPath, { force: true });
rmSync(dataPath, { recursive: true, force: true });
renameSync(building, dataPath);
writeFileSync(metaPath, `${JSON.stringify({ pglite: version })}\n`);
console.log(`wrote ${dataPath} (PGlite ${version})`);
