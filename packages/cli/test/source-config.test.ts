import { describe, expect, it } from 'vitest';
import { expandEnv, parseAiopsConfig, redactUri, resolveSource } from '../src/source-config.ts';

const YAML = `# aiops sources
default_source: prod
sources:
  prod:
    uri: clickhouse://aiops@ch.internal:8123/otel?table=otel_traces
    password: \${CLICKHOUSE_PASSWORD}
    timeout_ms: 5000
  jaeger: jaeger://jaeger.internal:16686   # the old cluster
  tempo:
    uri: "tempo://tempo:3200"
    header.X-Scope-OrgID: team-a
`;

describe('aiops.config.yaml', () => {
  it('reads named sources, options and the default', () => {
    const c = parseAiopsConfig(YAML, 'aiops.config.yaml');
    expect(c.defaultSource).toBe('prod');
    expect(c.sources).toEqual([
      {
        name: 'prod',
        uri: 'clickhouse://aiops@ch.internal:8123/otel?table=otel_traces',
        options: { password: '${CLICKHOUSE_PASSWORD}', timeout_ms: '5000' },
      },
      { name: 'jaeger', uri: 'jaeger://jaeger.internal:16686', options: {} },
      { name: 'tempo', uri: 'tempo://tempo:3200', options: { 'header.X-Scope-OrgID': 'team-a' } },
    ]);
    expect(resolveSource('zipkin://z:9411', c).uri).toBe('zipkin://z:9411');
  });

  it('expands credentials from the environment and names (only) a missing variable', () => {
    expect(expandEnv('${CLICKHOUSE_PASSWORD}', { CLICKHOUSE_PASSWORD: 's3cret' })).toBe('s3cret');
    expect(() => expandEnv('x${NOPE}', {})).toThrow('environment variable NOPE is not set');
    expect(redactUri('clickhouse://aiops:s3cret@ch:8123/otel')).toBe('clickhouse://aiops:***@ch:8123/otel');
  });
});
