// OTLP/gRPC receiver of `aiops serve`: opentelemetry.proto.collector.trace.v1.TraceService/Export on @grpc/grpc-js.
//
// The method is registered with pass-through (de)serializers: grpc-js hands over the raw ExportTraceServiceRequest
// bytes (after its own gzip/deflate decompression), which go straight to the fast @aiops/ingest protobuf decoder
// instead of being decoded twice; the ExportTraceServiceResponse is encoded by hand (otlp-response.ts).
//   INVALID_ARGUMENT malformed · RESOURCE_EXHAUSTED over the size limit (grpc-js) · UNAVAILABLE queue full or
//   shutting down (retryable, as the OTLP specification requires for backpressure).
import {
  type handleUnaryCall,
  Metadata,
  Server,
  ServerCredentials,
  type ServiceDefinition,
  status,
} from '@grpc/grpc-js';
import { exportResponseProtobuf } from './otlp-response.ts';
import type { SpanIngestor } from './span-ingestor.ts';

/** The full method path of OTLP trace export. */
export const OTLP_TRACE_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

const passthrough = (b: Buffer): Buffer => b;

const TRACE_SERVICE: ServiceDefinition = {
  Export: {
    path: OTLP_TRACE_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: passthrough,
    requestDeserialize: passthrough,
    responseSerialize: passthrough,
    responseDeserialize: passthrough,
    originalName: 'export',
  },
};

/** Starts the gRPC server on host:port (0 for any free port); resolves with the server and the bound port. */
export async function startOtlpGrpc(
  ingestor: SpanIngestor,
  host: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  const server = new Server({
    'grpc.max_receive_message_length': ingestor.limits.maxDecodedBytes,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
  });
  const exportCall: handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    const receivedAt = performance.now();
    const busy = ingestor.busyNow();
    if (busy && busy.kind !== 'ok' && busy.kind !== 'invalid') {
      const md = new Metadata();
      md.set('retry-after', String(busy.retryAfterSeconds));
      callback({ code: status.UNAVAILABLE, details: busy.message, metadata: md });
      return;
    }
    const body = call.request;
    ingestor.hold(body.length);
    let held = body.length;
    const releaseBody = () => {
      ingestor.release(held);
      held = 0;
    };
    ingestor
      .ingest('otlp-proto', body, receivedAt, releaseBody)
      .then((o) => {
        if (o.kind === 'ok') callback(null, Buffer.from(exportResponseProtobuf(o.partial)));
        else if (o.kind === 'invalid') callback({ code: status.INVALID_ARGUMENT, details: o.message });
        else {
          const md = new Metadata();
          md.set('retry-after', String(o.retryAfterSeconds));
          callback({ code: status.UNAVAILABLE, details: o.message, metadata: md });
        }
      })
      .catch((err: unknown) =>
        callback({ code: status.INTERNAL, details: err instanceof Error ? err.message : String(err) }),
      )
      .finally(releaseBody);
  };
  server.addService(TRACE_SERVICE, { Export: exportCall as never });
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${host.includes(':') ? `[${host}]` : host}:${port}`,
      ServerCredentials.createInsecure(),
      (err, p) => (err ? reject(err) : resolve(p)),
    );
  });
  return { server, port: bound };
}
