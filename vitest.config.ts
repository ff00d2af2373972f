import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'packages/*/{src,test}/**/*.test.ts',
      'examples/*/{src,test}/**/*.test.ts',
      'bench/src/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    typecheck: {
      enabled: true,
      include: ['packages/*/{src,test}/**/*.test-d.ts', 'examples/*/{src,test}/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
});
