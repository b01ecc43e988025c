import { defineConfig } from 'vitest/config';

// `npm run test:reliability`: crash, provider and database faults, fuzzing and duplicate load, with fixed seeds.
// One file at a time: these suites load the machine on purpose and some restart their own database server.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
