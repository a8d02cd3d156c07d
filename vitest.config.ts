import { defineConfig } from 'vitest/config';

// Three projects: unit tests (no server), integration tests (*.int.test.ts), which need the real
// Elasticsearch and Redis that deploy/dev/services.sh starts, and the console's component tests
// (jsdom). All run in `npm test`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{core,ingest,engine,playbooks,backends,api,reports,cli,test}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**', 'test/fixtures/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'int',
          include: ['{core,ingest,engine,playbooks,backends,api,reports,cli,test}/**/*.int.test.ts'],
          exclude: ['**/node_modules/**', 'test/fixtures/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Integration suites share one Elasticsearch and one Redis; unique prefixes keep them apart,
          // but on two cores running them one file at a time is faster and steadier.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        // The console's component tests: React in jsdom, with Testing Library.
        esbuild: { jsx: 'automatic' },
        test: {
          name: 'console',
          include: ['console/src/**/*.test.tsx'],
          environment: 'jsdom',
          setupFiles: ['console/src/test/setup.ts'],
          testTimeout: 20_000,
        },
      },
    ],
  },
});
