import { defineConfig } from 'vitest/config';

// Two projects: `unit` is fast and pure-ish (seconds); `slow` builds real
// kernels, boots real guests and spawns the built bundle (minutes).
// `npm test` runs both; `npm run test:unit` only the first.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.slow.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'slow',
          include: ['test/**/*.slow.test.ts'],
          testTimeout: 30 * 60_000,
          hookTimeout: 30 * 60_000,
          // real kernels and guests: one file at a time on a 2-core host
          fileParallelism: false,
          // one ccache for every test's kernel builds, kept between runs, so
          // that only the first clean build on a machine is slow
          env: { CCACHE_DIR: process.env.CCACHE_DIR ?? '/var/cache/kbisect-fixtures/ccache' },
        },
      },
    ],
  },
});
