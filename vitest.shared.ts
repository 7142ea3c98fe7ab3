import { defineConfig } from 'vitest/config';

// Every package's tests: test/**/*.test.ts, plus a JSON report that scripts/test-summary.mjs adds up.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    testTimeout: 120_000,
  },
});
