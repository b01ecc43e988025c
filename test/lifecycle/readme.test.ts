import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderStateTable } from '../../src/lifecycle/index.js';
import { repoRoot } from '../support/stripe-fixtures.js';

describe('README', () => {
  it('shows the state table exactly as the code declares it', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const block = /<!-- state-table:start -->\n([\s\S]*?)\n<!-- state-table:end -->/.exec(readme)?.[1];
    expect(block).toBe(renderStateTable());
  });
});
