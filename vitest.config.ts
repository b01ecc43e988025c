import { defineConfig } from 'vitest/config';

// Each test file gets its own database (PGlite in memory, and a fresh PostgreSQL database),
// so files run in parallel safely. Two workers: the machine has two cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
