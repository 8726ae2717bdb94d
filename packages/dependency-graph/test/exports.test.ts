import { spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { dependencyGraph, subgraph, toDot, toJson, toMermaid } from '../src/index.ts';
import { checkoutRows, span } from './fixtures.ts';

// fixtures.ts checkoutRows, plus a second trace whose call to api.fx.example fails (HTTP 503):
//   a frontend GET /checkout  server |====================|  0..100
//   e frontend GET rates      client       |===|             40..60  server.address=api.fx.example, 503
const table = spanTableFromRows([
  ...checkoutRows,
  span(2, 'a', undefined, 'frontend', 'GET /checkout', 0, 100, { kind: 'server' }),
  span(2, 'e', 'a', 'frontend', 'GET rates', 40, 60, {
    kind: 'client',
    attributes: { 'server.address': 'api.fx.example', 'http.response.status_code': 503 },
  }),
]);
const g = dependencyGraph(table);

describe('toDot', () => {
  it('draws nodes shaped by kind and edges labelled with calls, P99 and errors', () => {
    expect(toDot(g)).toBe(
      [
        'digraph dependencies {',
        '  rankdir=LR;',
        '  node [fontname="Helvetica"];',
        '  "api.fx.example" [shape=box, style=dashed, label="api.fx.example\\n2 calls, p99 0.020 ms"];',
        '  "frontend" [shape=box, style=rounded, label="frontend\\n2 calls, p99 0.100 ms"];',
        '  "payment" [shape=box, style=rounded, label="payment\\n1 call, p99 0.050 ms"];',
        '  "postgresql" [shape=cylinder, label="postgresql\\n1 call, p99 0.037 ms"];',
        '  "frontend" -> "api.fx.example" [label="2 calls\\np99 0.020 ms\\n50% errors", color=red, fontcolor=red];',
        '  "frontend" -> "payment" [label="1 call\\np99 0.060 ms"];',
        '  "payment" -> "postgresql" [label="1 call\\np99 0.037 ms"];',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('escapes quotes and backslashes in names', () => {
    const odd = dependencyGraph(
      spanTableFromRows([span(1, 'a', undefined, 'we"b\\1', 'GET /', 0, 10), span(1, 'b', 'a', 'api', 'GET /x', 1, 5)]),
    );
    expect(toDot(odd)).toContain('  "we\\"b\\\\1" -> "api" [label="1 call\\np99 0.004 ms"];');
  });
});

describe('toMermaid', () => {
  it('writes a flowchart with shapes by kind and red failing edges', () => {
    expect(toMermaid(g)).toBe(
      [
        'flowchart LR',
        '  n0{{"api.fx.example<br/>2 calls"}}',
        '  n1("frontend<br/>2 calls")',
        '  n2("payment<br/>1 call")',
        '  n3[("postgresql<br/>1 call")]',
        '  n1 -->|"2 calls, p99 0.020 ms, 50% errors"| n0',
        '  n1 -->|"1 call, p99 0.060 ms"| n2',
        '  n2 -->|"1 call, p99 0.037 ms"| n3',
        '  linkStyle 0 stroke:#d33,color:#d33',
        '',
      ].join('\n'),
    );
  });
});

describe('toJson', () => {
  const json = toJson(g);

  it('uses the documented field names and JSON-safe values', () => {
    expect(Object.keys(json).sort()).toEqual([
      'anomalies',
      'criticalPaths',
      'edges',
      'endpoints',
      'services',
      'singlePointsOfFailure',
      'spanCount',
      'traceCount',
      'warnings',
      'window',
    ]);
    const e = json.edges[0]!;
    expect({
      from: e.from,
      to: e.to,
      calls: e.calls,
      errorRate: e.errorRate,
      p50Ms: e.p50Ms,
      p95Ms: e.p95Ms,
      p99Ms: e.p99Ms,
    }).toEqual({
      from: 'frontend',
      to: 'api.fx.example',
      calls: 2,
      errorRate: 0.5,
      p50Ms: 0.015,
      p95Ms: 0.02,
      p99Ms: 0.02,
    });
    const s = json.services.find((x) => x.name === 'postgresql')!;
    expect([s.name, s.kind, s.calls, s.errorRate, s.p50Ms, s.p95Ms, s.p99Ms]).toEqual([
      'postgresql',
      'database',
      1,
      0,
      0.037,
      0.037,
      0.037,
    ]);
    expect(json.window).toEqual({
      fromUnixNano: '1700000000000000000',
      toUnixNano: '1700000000000100000',
      seconds: 0.0001,
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});

describe('subgraph', () => {
  it('keeps what a service calls, transitively', () => {
    const down = subgraph(g, { service: 'payment', direction: 'downstream' });
    expect(down.services.map((s) => s.name)).toEqual(['payment', 'postgresql']);
    expect(down.edges.map((e) => `${e.from} -> ${e.to}`)).toEqual(['payment -> postgresql']);
    expect(down.graph.order).toBe(2);
    expect(down.endpoints.map((e) => e.entry)).toEqual(['frontend GET /checkout']);
  });

  it('keeps what calls a service, transitively', () => {
    const up = subgraph(g, { service: 'postgresql', direction: 'upstream' });
    expect(up.services.map((s) => s.name)).toEqual(['frontend', 'payment', 'postgresql']);
    expect(up.edges.map((e) => `${e.from} -> ${e.to}`)).toEqual(['frontend -> payment', 'payment -> postgresql']);
  });

  it('returns an empty graph with a warning for an unknown service', () => {
    const none = subgraph(g, { service: 'nope', direction: 'upstream' });
    expect(none.services).toEqual([]);
    expect(none.warnings).toContain('service "nope" is not in the graph');
  });
});
