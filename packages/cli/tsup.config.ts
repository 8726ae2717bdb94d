import { packageConfig } from '../../tsup.base.ts';

// The @aiops/* packages are bundled into the cli, so that `npm i -g` of the packed cli alone gives a working
// `aiops`. The pure-JS libraries every run touches are bundled too: loading one pre-linked file instead of the
// hundreds of ES and CommonJS modules of apache-arrow, graphology and the DuckDB API halves the CPU time of
// `aiops trace` (0.33 → 0.17 s user). Commands are split into chunks loaded on demand (see src/commands/index.ts).
// Native or rarely used dependencies stay external: @duckdb/node-bindings (the .node addon), @grpc/grpc-js,
// @clickhouse/client, echarts (read as a file by the HTML renderer).
export default packageConfig({
  entry: ['src/index.ts', 'src/bin.ts', 'src/serve/store-worker.ts'],
  noExternal: [/^@aiops\//, 'apache-arrow', 'graphology', 'ml-isolation-forest', '@duckdb/node-api'],
  // Bundled CommonJS code calls require() for Node built-ins and for @duckdb/node-bindings.
  banner: {
    js: "import { createRequire as __aiopsCreateRequire } from 'node:module'; const require = __aiopsCreateRequire(import.meta.url);",
  },
});
