import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under the "@atb/source" condition,
// so tests run against src/ without a rebuild; `tsc --build` type-checks everything first.
export default defineConfig({
  resolve: { conditions: ['@atb/source'] },
  ssr: { resolve: { conditions: ['@atb/source'], externalConditions: ['@atb/source'] } },
  test: {
    include: ['{apps,packages,bench}/*/{src,test}/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
