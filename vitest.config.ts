import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);
const harness = (file: string) => fileURLToPath(new URL(`./test/tronweb/harness/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (index.js) and ESM (index.mjs) without an exports map: Node gives Pothos and
    // yoga the CJS build, Vite would give our files the ESM one, and two copies refuse each other's schema.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { NODE_ENV: 'test', LOG_LEVEL: 'silent' },
    projects: [
      {
        extends: true,
        test: {
          name: 'app',
          // Test files share their worker process (and its loaded modules): isolating each in a process of its own
          // spent about 2 s per file importing the app again (360 of a run's ~1,180 worker-seconds). So a test
          // file must leave the process as it found it: restore what it sets in process.env, stop its apps,
          // servers and pools in afterAll.
          isolate: false,
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/tronweb/upstream/**'],
          globalSetup: ['test/helpers/global-setup.ts'],
        },
      },
      {
        // tronweb's own tests (test/tronweb/README.md), against a devnet started by the setup file
        extends: true,
        resolve: {
          alias: [
            { find: /^chai$/, replacement: harness('chai.ts') },
            { find: /^chalk$/, replacement: harness('chalk.ts') },
            { find: /^(.*\/)?wait\.js$/, replacement: harness('virtual-wait.ts') },
            {
              find: /^.*\/src\/lib\/TransactionBuilder\/(TransactionBuilder\.js|helper)$/,
              replacement: harness('transaction-builder.ts'),
            },
          ],
        },
        test: {
          name: 'tronweb',
          include: ['test/tronweb/upstream/test/lib/*.test.ts'],
          setupFiles: ['test/tronweb/harness/setup.ts'],
        },
      },
    ],
  },
});
