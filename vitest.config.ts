import { defineConfig } from 'vitest/config';

// Each test file gets its own database (PGlite in memory, and a fresh PostgreSQL database),
// so files run in parallel safely. Two workers: the machine has two cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The reliability suites (crash, faults, fuzzing, load) run on their own: `npm run test:reliability`.
    exclude: ['test/reliability/**', '**/node_modules/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
