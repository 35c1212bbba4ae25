import { defineConfig } from 'vitest/config';

// Two projects, immich-style:
// - unit: *.spec.ts beside the code, no external processes.
// - integration: *.int.spec.ts / *.e2e.spec.ts, against real Azurite and a Cosmos DB emulator
//   started once by test/global-setup.ts on free loopback ports.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{functions,shared,worker,local,infra,bin,cli,eval,bench,models,console}/**/*.spec.ts'],
          exclude: ['**/node_modules/**', '**/*.int.spec.ts', '**/*.e2e.spec.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{functions,shared,worker,local,infra,cli,test}/**/*.{int,e2e}.spec.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
