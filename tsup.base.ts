// Shared tsup configuration: every package builds ESM + .d.ts from src/index.ts (plus extra entries).
import { defineConfig, type Options } from 'tsup';

/** The tsup options every @aiops package uses; `entry` and extras may be overridden. */
export function packageConfig(overrides: Options = {}): ReturnType<typeof defineConfig> {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: true,
    dts: { compilerOptions: { ignoreDeprecations: '6.0', customConditions: [] } },
    ...overrides,
  });
}
