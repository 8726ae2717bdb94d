import { buildTraceIndex, type CriticalPathSegment, type SpanInput, spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { dependencyGraph } from '../src/index.ts';
import { checkoutTable, span } from './fixtures.ts';

const edge = (g: ReturnType<typeof dependencyGraph>, from: string, to: string) =>
  g.edges.find((e) => e.from === from && e.to === to);
const pick = <T extends object, K extends keyof T>(o: T | undefined, ...keys: K[]): Pick<T, K> =>
  Object.fromEntries(keys.map((k) => [k, o?.[k]])) as Pick<T, K>;

describe('dependencyGraph', () => {
  describe('client/server pairs and uninstrumented peers (fixtures.ts checkoutRows)', () => {
    const g = dependencyGraph(checkoutTable());

    it('counts a client span and its server child as one call timed by the client span', () => {
      expect(pick(edge(g, 'frontend', 'payment'), 'calls', 'p50Ms', 'p99Ms', 'latencyFrom', 'share')).toEqual({
        calls: 1,
        p50Ms: 0.06,
        p99Ms: 0.06,
        latencyFrom: 'client',
        share: 0.5,
      });
    });

    it('turns a client span without server span into an edge to the inferred database or external peer', () => {
      expect(g.edges.map((e) => `${e.from} -> ${e.to} (${e.toKind}) ${e.calls} ${e.p50Ms}`)).toEqual([
        'frontend -> api.fx.example (external) 1 0.015',
        'frontend -> payment (service) 1 0.06',
        'payment -> postgresql (database) 1 0.037',
      ]);
      expect(g.services.map((s) => [s.name, s.kind, s.calls, s.p50Ms])).toEqual([
        ['api.fx.example', 'external', 1, 0.015],
        ['frontend', 'service', 1, 0.1],
        ['payment', 'service', 1, 0.05],
        ['postgresql', 'database', 1, 0.037],
      ]);
    });

    it('builds the endpoint call tree with the share of traces reaching each node', () => {
      expect(g.endpoints).toHaveLength(1);
      const ep = g.endpoints[0]!;
      expect(ep.entry).toBe('frontend GET /checkout');
      const flat = (n: typeof ep.tree, depth = 0): string[] => [
        `${'  '.repeat(depth)}${n.service} ${n.traceShare}`,
        ...n.children.flatMap((c) => flat(c, depth + 1)),
      ];
      expect(flat(ep.tree)).toEqual(['frontend 1', '  api.fx.example 1', '  payment 1', '    postgresql 1']);
      expect(ep.reaches.map((r) => r.service).sort()).toEqual(['api.fx.example', 'frontend', 'payment', 'postgresql']);
    });

    it('says that critical paths were not given and leaves them empty', () => {
      expect(g.criticalPaths).toEqual([]);
      expect(g.warnings).toContain('critical paths not given (options.criticalPaths): criticalPaths is empty');
    });
  });

  describe('data without span kinds', () => {
    //   a gateway /api          |==========================|   0..100
    //   b gateway call-users       |=============|             10..50   same service: not a call
    //   c users   GET /user           |========|               15..40   parent b: gateway → users, 25 µs
    //   e users   cache lookup           |==|                  20..25   same service
    //   d users   GET /prefs                        |=====|    60..80   parent a: gateway → users, 20 µs
    const g = dependencyGraph(
      spanTableFromRows([
        span(1, 'a', undefined, 'gateway', '/api', 0, 100),
        span(1, 'b', 'a', 'gateway', 'call-users', 10, 50),
        span(1, 'c', 'b', 'users', 'GET /user', 15, 40),
        span(1, 'e', 'c', 'users', 'cache lookup', 20, 25),
        span(1, 'd', 'a', 'users', 'GET /prefs', 60, 80),
      ]),
    );

    it('makes every parent → child service change a call timed by the child', () => {
      expect(g.edges).toHaveLength(1);
      expect(pick(g.edges[0], 'from', 'to', 'calls', 'p50Ms', 'p99Ms', 'latencyFrom')).toEqual({
        from: 'gateway',
        to: 'users',
        calls: 2,
        p50Ms: 0.02,
        p99Ms: 0.025,
        latencyFrom: 'server',
      });
      expect(g.warnings.some((w) => w.startsWith('no span has a span kind'))).toBe(true);
    });
  });

  describe('concurrent calls', () => {
    //   a frontend GET /cart  server |================================|  0..100
    //   b frontend get item   client    |==========|                       10..40
    //   c frontend get item   client    |==============|                   10..50   in parallel with b
    //   d cart     GET /item  server      |======|                         15..35   under b
    //   e cart     GET /item  server      |==========|                     15..45   under c
    //   f cart     GET        client        |==|                           20..25   db.system=redis, under d
    const g = dependencyGraph(
      spanTableFromRows([
        span(1, 'a', undefined, 'frontend', 'GET /cart', 0, 100, { kind: 'server' }),
        span(1, 'b', 'a', 'frontend', 'get item', 10, 40, { kind: 'client' }),
        span(1, 'c', 'a', 'frontend', 'get item', 10, 50, { kind: 'client' }),
        span(1, 'd', 'b', 'cart', 'GET /item', 15, 35, { kind: 'server' }),
        span(1, 'e', 'c', 'cart', 'GET /item', 15, 45, { kind: 'server' }),
        span(1, 'f', 'd', 'cart', 'GET', 20, 25, { kind: 'client', attributes: { 'db.system': 'redis' } }),
      ]),
    );

    it('counts each parallel call and marks redis as a cache', () => {
      expect(pick(edge(g, 'frontend', 'cart'), 'calls', 'p50Ms', 'p99Ms')).toEqual({
        calls: 2,
        p50Ms: 0.03,
        p99Ms: 0.04,
      });
      expect(pick(edge(g, 'cart', 'redis'), 'calls', 'toKind')).toEqual({ calls: 1, toKind: 'cache' });
      const tree = g.endpoints[0]!.tree;
      expect(tree.children.map((c) => [c.service, c.calls, c.traces])).toEqual([['cart', 2, 1]]);
    });
  });

  describe('percentiles, errors and rates', () => {
    // 100 traces, trace k starts at k s: A GET / (200 ms) calls B with a client span of k + 1 ms; the server spans
    // of traces 7 and 77 fail. Window: 0 .. 99 s + 200 ms.
    const rows: SpanInput[] = [];
    for (let k = 0; k < 100; k++) {
      const t0 = k * 1e6;
      rows.push(span(k + 1, 'a', undefined, 'A', 'GET /', t0, t0 + 200_000, { kind: 'server' }));
      rows.push(span(k + 1, 'b', 'a', 'A', 'call B', t0 + 1000, t0 + 1000 + (k + 1) * 1000, { kind: 'client' }));
      rows.push(
        span(k + 1, 'c', 'b', 'B', 'GET /b', t0 + 1100, t0 + 1000 + (k + 1) * 1000 - 100, {
          kind: 'server',
          ...(k === 7 || k === 77 ? { statusCode: 'error' as const } : {}),
        }),
      );
    }
    const g = dependencyGraph(spanTableFromRows(rows));

    it('gives exact nearest-rank percentiles of the call durations', () => {
      expect(pick(edge(g, 'A', 'B'), 'calls', 'p50Ms', 'p95Ms', 'p99Ms', 'meanMs')).toEqual({
        calls: 100,
        p50Ms: 50,
        p95Ms: 95,
        p99Ms: 99,
        meanMs: 50.5,
      });
    });

    it('counts a failed server span as a failed call and rates calls over the window', () => {
      const e = edge(g, 'A', 'B')!;
      expect(e.errors).toBe(2);
      expect(e.errorRate).toBe(0.02);
      expect(g.window.seconds).toBe(99.2);
      expect(e.ratePerSec).toBeCloseTo(100 / 99.2, 12);
    });
  });

  describe('messaging', () => {
    //   a orders   POST /order  server   |=====================|          0..100
    //   b orders   publish      producer    |===|                          10..20   kafka, topic order-events
    //   c shipping process      consumer          |====================|  30..130  (outlives its parent: async)
    const g = dependencyGraph(
      spanTableFromRows([
        span(1, 'a', undefined, 'orders', 'POST /order', 0, 100, { kind: 'server' }),
        span(1, 'b', 'a', 'orders', 'publish', 10, 20, {
          kind: 'producer',
          attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': 'order-events' },
        }),
        span(1, 'c', 'b', 'shipping', 'process', 30, 130, {
          kind: 'consumer',
          attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': 'order-events' },
        }),
      ]),
    );

    it('routes producer → topic → consumer, timing each side by its own span', () => {
      expect(g.edges.map((e) => `${e.from} -> ${e.to} ${e.p50Ms}`)).toEqual([
        'order-events -> shipping 0.1',
        'orders -> order-events 0.01',
      ]);
      expect(g.services.find((s) => s.name === 'order-events')?.kind).toBe('queue');
      const tree = g.endpoints[0]!.tree;
      expect(tree.children[0]?.service).toBe('order-events');
      expect(tree.children[0]?.children[0]?.service).toBe('shipping');
    });
  });

  describe('messaging without span kinds', () => {
    // The same flow as above with no span kinds (public datasets): the span that enters shipping with messaging
    // attributes is the consumer, the one inside orders the producer.
    const kafka = { 'messaging.system': 'kafka', 'messaging.destination.name': 'order-events' };
    const g = dependencyGraph(
      spanTableFromRows([
        span(1, 'a', undefined, 'orders', 'POST /order', 0, 100),
        span(1, 'b', 'a', 'orders', 'publish', 10, 20, { attributes: kafka }),
        span(1, 'c', 'b', 'shipping', 'process', 30, 130, { attributes: kafka }),
      ]),
    );

    it('still routes producer → topic → consumer', () => {
      expect(g.edges.map((e) => `${e.from} -> ${e.to}`)).toEqual([
        'order-events -> shipping',
        'orders -> order-events',
      ]);
    });

    //   trace 1:  b orders   publish   |=|       parent "ff" missing (dropped): orphan producer
    //             c shipping process       |==|  parent b
    //   trace 2:  d shipping process       |==|  parent "ee" missing: orphan, messaging.operation=process
    it('reads messaging.operation when an orphan messaging span leaves its role open', () => {
      const orphan = dependencyGraph(
        spanTableFromRows([
          span(1, 'b', 'ff', 'orders', 'publish', 10, 20, { attributes: kafka }),
          span(1, 'c', 'b', 'shipping', 'process', 30, 130, { attributes: kafka }),
          span(2, 'd', 'ee', 'shipping', 'process', 30, 130, {
            attributes: { ...kafka, 'messaging.operation': 'process' },
          }),
        ]),
      );
      // Without the attribute, d would look like a producer and add shipping -> order-events.
      expect(orphan.edges.map((e) => `${e.from} -> ${e.to} ${e.calls}`)).toEqual([
        'order-events -> shipping 1',
        'orders -> order-events 1',
      ]);
    });
  });

  describe('critical paths (fixtures.ts checkoutRows)', () => {
    // Critical path of the trace, latest first (µs):
    //   a 95..100, e 80..95, a 70..80, b 65..70, c 62..65, d 25..62, c 15..25, b 10..15, a 0..10
    //   frontend 35 (a 25 + b 10), payment 13, postgresql 37 (d, uninstrumented), api.fx.example 15
    const table = checkoutTable();
    const seg = (row: number, s: number, e: number): CriticalPathSegment => ({
      row,
      startNano: s * 1000,
      endNano: e * 1000,
    });
    const path = [
      seg(0, 95, 100),
      seg(4, 80, 95),
      seg(0, 70, 80),
      seg(1, 65, 70),
      seg(2, 62, 65),
      seg(3, 25, 62),
      seg(2, 15, 25),
      seg(1, 10, 15),
      seg(0, 0, 10),
    ];
    expect(buildTraceIndex(table).traceCount).toBe(1);
    const g = dependencyGraph(table, { criticalPaths: [path] });

    it('names the bottleneck, its share, the path to it and a priority', () => {
      expect(g.criticalPaths).toHaveLength(1);
      const cp = g.criticalPaths[0]!;
      expect(pick(cp, 'entry', 'path', 'p99Ms', 'bottleneck', 'priority', 'tailTraces')).toEqual({
        entry: 'frontend GET /checkout',
        path: ['frontend', 'payment', 'postgresql'],
        p99Ms: 0.1,
        bottleneck: 'postgresql',
        priority: 'medium',
        tailTraces: 1,
      });
      expect(cp.share).toBeCloseTo(0.37, 12);
      expect(cp.contributions.map((c) => [c.service, Math.round(c.share * 100)])).toEqual([
        ['postgresql', 37],
        ['frontend', 35],
        ['api.fx.example', 15],
        ['payment', 13],
      ]);
      expect(g.warnings.some((w) => w.includes('critical paths not given'))).toBe(false);
    });

    it('accepts the same critical paths in columns (the shape of @aiops/critical-path criticalPaths)', () => {
      const columnar = {
        segmentOffsets: Int32Array.of(0, path.length),
        segmentRow: Int32Array.from(path, (s) => s.row),
        segmentStartNano: Float64Array.from(path, (s) => s.startNano),
        segmentEndNano: Float64Array.from(path, (s) => s.endNano),
      };
      expect(dependencyGraph(table, { criticalPaths: columnar }).criticalPaths).toEqual(g.criticalPaths);
    });

    it('warns about tail traces without a critical path', () => {
      const none = dependencyGraph(table, { criticalPaths: [[]] });
      expect(none.criticalPaths).toEqual([]);
      expect(none.warnings).toContain('1 tail traces have no critical path; skipped');
    });
  });

  describe('critical paths: what makes the tail slow', () => {
    // Three traces of frontend GET /; every trace waits 80 µs on the external api.ext, but in trace 3 cart is slow.
    //   trace 1, 2:  a frontend GET /   |==========|            0..100
    //                e frontend rates     |=======|              10..90   client, server.address=api.ext
    //                c cart     GET /item          |            90..95   (no span kind)
    //   trace 3:     a frontend GET /   |================|      0..160
    //                e frontend rates     |=======|              10..90
    //                c cart     GET /item          |=====|      90..150
    //   P99 tail = trace 3. Mean critical time per trace: api.ext 80 in the tail and overall; cart 60 in the tail,
    //   70/3 overall (excess 36.7 µs); frontend 20 in the tail, 50/3 overall. Bottleneck: cart, share 60/160.
    const rows: SpanInput[] = [];
    const paths: CriticalPathSegment[][] = [];
    const us = (row: number, s: number, e: number): CriticalPathSegment => ({
      row,
      startNano: s * 1e3,
      endNano: e * 1e3,
    });
    for (const [t, cartEnd] of [
      [1, 95],
      [2, 95],
      [3, 150],
    ] as const) {
      const end = cartEnd + (t === 3 ? 10 : 5);
      rows.push(span(t, 'a', undefined, 'frontend', 'GET /', 0, end, { kind: 'server' }));
      rows.push(
        span(t, 'e', 'a', 'frontend', 'rates', 10, 90, { kind: 'client', attributes: { 'server.address': 'api.ext' } }),
      );
      rows.push(span(t, 'c', 'a', 'cart', 'GET /item', 90, cartEnd));
      const r = (t - 1) * 3;
      paths.push([us(r, cartEnd, end), us(r + 2, 90, cartEnd), us(r + 1, 10, 90), us(r, 0, 10)]);
    }
    const g = dependencyGraph(spanTableFromRows(rows), { criticalPaths: paths });

    it('blames the node whose critical-path time grew in the tail, not the one that is always slow', () => {
      const cp = g.criticalPaths[0]!;
      expect(pick(cp, 'entry', 'path', 'p99Ms', 'bottleneck', 'priority', 'tailTraces')).toEqual({
        entry: 'frontend GET /',
        path: ['frontend', 'cart'],
        p99Ms: 0.16,
        bottleneck: 'cart',
        priority: 'medium',
        tailTraces: 1,
      });
      expect(cp.share).toBeCloseTo(60 / 160, 12);
      expect(cp.excessMs).toBeCloseTo((60 - 70 / 3) / 1000, 12);
      expect(cp.contributions[0]).toEqual({ service: 'api.ext', share: 0.5 });
    });

    // The same paths in columns, for the traces asked for only (the others get no segments).
    const columnsOf = (traces: Int32Array) => {
      const offsets = new Int32Array(paths.length + 1);
      const segs: CriticalPathSegment[] = [];
      for (let t = 0; t < paths.length; t++) {
        if (traces.includes(t)) segs.push(...paths[t]!);
        offsets[t + 1] = segs.length;
      }
      return {
        segmentOffsets: offsets,
        segmentRow: Int32Array.from(segs, (x) => x.row),
        segmentStartNano: Float64Array.from(segs, (x) => x.startNano),
        segmentEndNano: Float64Array.from(segs, (x) => x.endNano),
      };
    };

    it('computes paths on demand for the tail and the sample only, with the same answer', () => {
      const asked: number[][] = [];
      const lazy = dependencyGraph(spanTableFromRows(rows), {
        criticalPathsOf: (traces) => {
          asked.push([...traces]);
          return columnsOf(traces);
        },
      });
      expect(asked).toEqual([[0, 1, 2]]);
      expect(lazy.criticalPaths).toEqual(g.criticalPaths);
    });

    it('takes the typical time per node from an evenly spaced sample of the traces', () => {
      // criticalPathSample 1: the sample is trace 1 and the tail trace 3; trace 2 is never read.
      //   typical (trace 1): api.ext 80, frontend 15, cart 5; tail (trace 3): cart 60 → excess 55 µs.
      const asked: number[][] = [];
      const sampled = dependencyGraph(spanTableFromRows(rows), {
        criticalPathSample: 1,
        criticalPathsOf: (traces) => {
          asked.push([...traces]);
          return columnsOf(traces);
        },
      });
      expect(asked).toEqual([[0, 2]]);
      const cp = sampled.criticalPaths[0]!;
      expect(cp.bottleneck).toBe('cart');
      expect(cp.excessMs).toBeCloseTo(0.055, 12);
      expect(cp.share).toBeCloseTo(60 / 160, 12);
      // Precomputed paths of every trace give the same answer: the sample rule does not depend on how they come.
      expect(
        dependencyGraph(spanTableFromRows(rows), { criticalPathSample: 1, criticalPaths: paths }).criticalPaths,
      ).toEqual(sampled.criticalPaths);
    });

    it('rejects a sample size that is not a whole number ≥ 1', () => {
      expect(() => dependencyGraph(spanTableFromRows(rows), { criticalPathSample: 0 })).toThrow(
        'dependency-graph: criticalPathSample must be a whole number ≥ 1, got 0',
      );
    });
  });

  describe('single points of failure', () => {
    // Topology (one trace per endpoint):
    //   frontend GET /a → svc-a → main-db (postgresql, uninstrumented, peer.service=main-db)
    //   frontend GET /b → svc-b → main-db
    //   frontend GET /c → svc-c
    // Undirected, only frontend is an articulation point (svc-c hangs off it).
    const rows: SpanInput[] = [];
    const endpoint = (t: number, path: string, svc: string, db: boolean) => {
      rows.push(span(t, 'a', undefined, 'frontend', `GET ${path}`, 0, 100, { kind: 'server' }));
      rows.push(span(t, 'b', 'a', 'frontend', `call ${svc}`, 10, 90, { kind: 'client' }));
      rows.push(span(t, 'c', 'b', svc, 'handle', 15, 85, { kind: 'server' }));
      if (db) {
        rows.push(
          span(t, 'd', 'c', svc, 'SELECT', 20, 40, {
            kind: 'client',
            attributes: { 'db.system': 'postgresql', 'peer.service': 'main-db' },
          }),
        );
      }
    };
    endpoint(1, '/a', 'svc-a', true);
    endpoint(2, '/b', 'svc-b', true);
    endpoint(3, '/c', 'svc-c', false);
    const g = dependencyGraph(spanTableFromRows(rows));

    it('ranks nodes by endpoints affected, with dependents, articulation points and call volume', () => {
      expect(
        g.singlePointsOfFailure.map((s) =>
          pick(
            s,
            'service',
            'kind',
            'dependents',
            'directDependents',
            'endpointsAffected',
            'articulationPoint',
            'calls',
          ),
        ),
      ).toEqual([
        {
          service: 'frontend',
          kind: 'service',
          dependents: 0,
          directDependents: 0,
          endpointsAffected: 3,
          articulationPoint: true,
          calls: 3,
        },
        {
          service: 'main-db',
          kind: 'database',
          dependents: 3,
          directDependents: 2,
          endpointsAffected: 2,
          articulationPoint: false,
          calls: 2,
        },
      ]);
      const db = g.singlePointsOfFailure[1]!;
      expect(db.endpoints).toEqual(['frontend GET /a', 'frontend GET /b']);
      expect(db.dependentServices).toEqual(['frontend', 'svc-a', 'svc-b']);
      expect(db.traceShare).toBeCloseTo(2 / 3, 12);
      expect(db.mitigation).toBe(
        'Give main-db a synchronous replica with automatic failover; in svc-a, svc-b set connection-pool limits and query timeouts, and serve hot reads from a cache or read replica, so 2 endpoints (66.7% of traces) survive a primary failover.',
      );
    });
  });

  describe('anomalies against a baseline', () => {
    // A calls B 30 times: baseline 10 ms each; now 30 ms each and 6 of 30 fail. C is unchanged (5 ms).
    const window = (slowMs: number, failing: number) => {
      const rows: SpanInput[] = [];
      for (let k = 0; k < 30; k++) {
        const t0 = k * 1e5;
        rows.push(span(k + 1, 'a', undefined, 'A', 'GET /', t0, t0 + 50_000, { kind: 'server' }));
        rows.push(span(k + 1, 'b', 'a', 'A', 'call', t0, t0 + slowMs * 1000, { kind: 'client' }));
        rows.push(
          span(k + 1, 'c', 'b', 'B', 'GET /b', t0, t0 + slowMs * 1000, {
            kind: 'server',
            ...(k < failing ? { statusCode: 'error' as const } : {}),
          }),
        );
        rows.push(span(k + 1, 'd', 'a', 'C', 'GET /c', t0, t0 + 5000));
      }
      return spanTableFromRows(rows);
    };

    it('flags the service whose P95 and error rate rose, and only it', () => {
      const baseline = window(10, 0);
      const g = dependencyGraph(window(30, 6), { baseline });
      expect(g.anomalies.map((a) => pick(a, 'service', 'reasons', 'p95Ms', 'baselineP95Ms', 'latencyRatio'))).toEqual([
        { service: 'B', reasons: ['latency', 'errors'], p95Ms: 30, baselineP95Ms: 10, latencyRatio: 3 },
      ]);
      expect(g.anomalies[0]!.errorRate).toBeCloseTo(0.2, 12);
      // A baseline given as a graph gives the same answer.
      expect(dependencyGraph(window(30, 6), { baseline: dependencyGraph(baseline) }).anomalies).toEqual(g.anomalies);
    });
  });

  describe('messy data', () => {
    //   a web  GET /        |====================|   0..100
    //   b api  GET /x          |==========|          10..60   parent a
    //   c db-proxy query          |===|              20..30   parent "ff" is missing: orphan
    const g = dependencyGraph(
      spanTableFromRows([
        span(1, 'a', undefined, 'web', 'GET /', 0, 100),
        span(1, 'b', 'a', 'api', 'GET /x', 10, 60),
        span(1, 'c', 'ff', 'db-proxy', 'query', 20, 30),
      ]),
    );

    it('reports orphans as a warning and keeps them out of the endpoint trees', () => {
      expect(g.edges.map((e) => `${e.from} -> ${e.to}`)).toEqual(['web -> api']);
      expect(g.warnings).toContain(
        '1 spans have a parent missing from their trace: their calls count as edges but belong to no endpoint',
      );
      expect(g.endpoints[0]!.reaches.map((r) => r.service).sort()).toEqual(['api', 'web']);
      expect(g.services.find((s) => s.name === 'db-proxy')?.calls).toBe(1);
    });

    it('leaves its input unchanged and gives the same answer twice', () => {
      const table = checkoutTable();
      const before = Array.from(table.columns.durationNano);
      const a = dependencyGraph(table);
      const b = dependencyGraph(table);
      expect(Array.from(table.columns.durationNano)).toEqual(before);
      expect(b.edges).toEqual(a.edges);
      expect(b.services).toEqual(a.services);
    });

    it('throws a TypeError for something that is not a span table', () => {
      expect(() => dependencyGraph({} as never)).toThrow('dependency-graph: dependencyGraph expects a SpanTable');
    });
  });
});
