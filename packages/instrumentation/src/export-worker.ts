// Entry of the export worker thread started by WorkerSpanExporter: receives finished spans as plain data, rebuilds
// them and exports them with the OTLP exporter of the application thread (serialization and HTTP off that thread).
import { parentPort, workerData } from 'node:worker_threads';
import type { ExportResult } from '@opentelemetry/core';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { OtlpProtocol } from './instrumentation-config.ts';
import { type SpanBatch, SpanBatchDecoder } from './internal/span-transfer.ts';
import { EXPORT_WORKER_MARK, type ToMain, type ToWorker } from './internal/worker-protocol.ts';

const data = workerData as { protocol: OtlpProtocol; url: string; [EXPORT_WORKER_MARK]: true };
const port = parentPort;
if (!port) throw new Error('instrumentation: export-worker runs only as a worker thread');
// Only the protocol's exporter is loaded: a smaller heap for this mostly idle thread to collect (gRPC is large).
const exporter: SpanExporter =
  data.protocol === 'grpc'
    ? new (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter({ url: data.url })
    : data.protocol === 'http/json'
      ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter({ url: data.url })
      : new (await import('./internal/otlp-proto-exporter.ts')).OtlpProtoExporter(data.url);
const decoder = new SpanBatchDecoder();

const reply = (msg: ToMain): void => port.postMessage(msg);
const failed = (id: number, err: unknown): void =>
  reply({ id, code: 1, error: err instanceof Error ? err.message : String(err) });

port.on('message', (msg: ToWorker) => {
  try {
    if (msg.t === 'export') {
      const spans = decoder.decode(msg.batch as SpanBatch);
      exporter.export(spans, (r: ExportResult) =>
        reply({ id: msg.id, code: r.code, ...(r.error ? { error: r.error.message } : {}) }),
      );
    } else if (msg.t === 'flush') {
      (exporter.forceFlush?.() ?? Promise.resolve()).then(
        () => reply({ id: msg.id, code: 0 }),
        (err: unknown) => failed(msg.id, err),
      );
    } else {
      exporter.shutdown().then(
        () => {
          reply({ id: msg.id, code: 0 });
        },
        (err: unknown) => failed(msg.id, err),
      );
    }
  } catch (err) {
    failed(msg.id, err);
  }
});
