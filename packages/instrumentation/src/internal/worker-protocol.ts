// Messages between WorkerSpanExporter (application thread) and export-worker.ts.
import type { SpanBatch } from './span-transfer.ts';

/** Application thread → worker. */
export type ToWorker =
  | { readonly t: 'export'; readonly id: number; readonly batch: SpanBatch }
  | { readonly t: 'flush'; readonly id: number }
  | { readonly t: 'shutdown'; readonly id: number };

/** Worker → application thread: ExportResultCode (0 success, 1 failed) of request `id`. */
export interface ToMain {
  readonly id: number;
  readonly code: number;
  readonly error?: string;
}

/** `workerData` key that marks our export worker (start() and register do nothing inside it). */
export const EXPORT_WORKER_MARK = 'aiopsExportWorker';
