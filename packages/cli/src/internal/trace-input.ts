// Reads the trace a command names with --trace-id (or its first argument), with clear errors.
import { normalizeTraceId, type SpanTable } from '@aiops/span-model';
import type { CommandContext } from '../command.ts';
import { notFoundError, usageError } from '../errors.ts';

/** The trace id option shared by the commands that show one trace. */
export const TRACE_ID_OPTION = {
  type: 'string',
  short: 't',
  valueName: '<id>',
  description: 'the trace (32 or 16 hex digits, any case; or give it as the argument)',
} as const;

/** Parses and validates a trace id given by the user (`what` names the option in messages). */
export function traceIdArg(raw: string | undefined, what: string): string {
  if (!raw) throw usageError(`${what}: give a trace id`);
  const id = normalizeTraceId(raw);
  if (!id) throw usageError(`${what}: "${raw}" is not a trace id (expected 16 or 32 hex digits)`);
  return id;
}

/** Loads one trace from the user's source; exit 1 with a clear message when it is unknown. */
export async function loadTrace(ctx: CommandContext, id: string): Promise<SpanTable> {
  const source = await ctx.openSource();
  const table = await source.getTrace(id);
  if (!table || table.numSpans === 0) throw notFoundError(`trace ${id} not found (${source.kind} source)`);
  return table;
}
