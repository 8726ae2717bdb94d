// CPU per span of the OTLP/protobuf request encoding: OpenTelemetry's ProtobufTraceSerializer (size pass + write
// pass) against @aiops/instrumentation's one-pass encoder, on 512-span batches shaped like the example shop's HTTP
// spans (12 attributes, a 5-attribute resource). Alternating, process.cpuUsage per batch, several rounds.
//
//   cd benchmarks && npx tsx --conditions=@aiops/source overhead/encode.ts [--rounds 5] [--batches 1500]
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { encodeTraceExportRequest } from '../../packages/instrumentation/src/internal/otlp-proto-encoder.ts';

// OpenTelemetry's serializer from where @aiops/instrumentation resolves it (not a dependency of the benchmarks).
const { ProtobufTraceSerializer } = createRequire(
  new URL('../../packages/instrumentation/package.json', import.meta.url),
)('@opentelemetry/otlp-transformer') as typeof import('@opentelemetry/otlp-transformer');

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, batches: { type: 'string', default: '1500' } },
});
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({
  resource: resourceFromAttributes({
    'service.name': 'cart-service',
    'service.version': '0.1.0',
    'host.name': 'box',
    'deployment.environment.name': 'development',
    'deployment.environment': 'development',
  }),
  sampler: new AlwaysOnSampler(),
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});
const tracer = provider.getTracer('@aiops/instrumentation-node-http', '0.1.0');
for (let i = 0; i < 512; i++) {
  const parent = tracer.startSpan('GET', { kind: SpanKind.CLIENT }, ROOT_CONTEXT);
  const s = tracer.startSpan('GET /api/cart', { kind: SpanKind.SERVER }, trace.setSpan(ROOT_CONTEXT, parent));
  s.setAttributes({
    'http.request.method': 'GET',
    'url.scheme': 'http',
    'url.path': '/api/cart',
    'server.port': 40123,
    'network.protocol.version': '1.1',
    'server.address': '127.0.0.1',
    'network.peer.address': '127.0.0.1',
    'user_agent.original': 'shop-load/1',
    'http.route': '/api/cart',
    'http.response.status_code': 200,
    'user.id': `user-${i % 50}`,
    'shop.client': 'web',
  });
  s.end();
}
const spans = exporter.getFinishedSpans();
const same = Buffer.from(encodeTraceExportRequest(spans)).equals(
  Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array),
);
const batches = Number(values.batches);
const usPerSpan = (f: () => unknown): number => {
  for (let i = 0; i < 200; i++) f();
  const c0 = process.cpuUsage();
  for (let i = 0; i < batches; i++) f();
  const c = process.cpuUsage(c0);
  return Math.round(((c.user + c.system) / batches / spans.length) * 1000) / 1000;
};
const load0 = loadavg();
const rows: { otel: number; ours: number }[] = [];
for (let r = 0; r < Number(values.rounds); r++) {
  const first = r % 2 === 0;
  const a = usPerSpan(
    first ? () => ProtobufTraceSerializer.serializeRequest(spans) : () => encodeTraceExportRequest(spans),
  );
  const b = usPerSpan(
    first ? () => encodeTraceExportRequest(spans) : () => ProtobufTraceSerializer.serializeRequest(spans),
  );
  rows.push(first ? { otel: a, ours: b } : { otel: b, ours: a });
}
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
console.log(
  JSON.stringify(
    {
      identicalBytes: same,
      spansPerBatch: spans.length,
      loadAverage: { start: load0, end: loadavg() },
      usPerSpan: rows,
      median: { otel: median(rows.map((r) => r.otel)), ours: median(rows.map((r) => r.ours)) },
    },
    null,
    2,
  ),
);
