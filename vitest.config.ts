import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@aiops/source'] },
  ssr: { resolve: { conditions: ['@aiops/source'] } },
  test: {
    include: ['**/src/**/*.test.ts', '**/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
