// aiops visualize-trace: one trace as a self-contained interactive HTML page (waterfall, service graph, heat view).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { criticalPath, traceBottleneck } from '@aiops/critical-path';
import { buildTraceTree } from '@aiops/span-model';
import { renderTraceHtml } from '@aiops/viz';
import type { Command } from '../command.ts';
import { ExitCode, inputError } from '../errors.ts';
import { nanoToMs } from '../internal/format.ts';
import { parseDurationMs } from '../internal/time.ts';
import { loadTrace, TRACE_ID_OPTION, traceIdArg } from '../internal/trace-input.ts';

export const visualizeTraceCommand: Command = {
  name: 'visualize-trace',
  summary: 'write one trace as an interactive HTML page (waterfall, service graph, heat view)',
  usage: 'aiops visualize-trace --trace-id <id> [--output trace-graph.html] [--open]',
  description:
    'The page is one self-contained file (scripts and styles inlined; no network needed). Click a span for its\nattributes, events and exception; zoom and pan the time axis; collapse subtrees; search by service or operation.',
  readsTraces: true,
  options: {
    'trace-id': TRACE_ID_OPTION,
    output: {
      type: 'string',
      short: 'o',
      valueName: '<file>',
      description: 'where to write (default trace-<id>.html)',
    },
    open: { type: 'boolean', description: 'open the page in the default browser' },
    'slow-threshold': { type: 'string', valueName: '<dur>', description: 'mark spans at least this long as slow' },
  },
  examples: [
    'aiops visualize-trace --trace-id 4bf92f3577b34da6a3ce929d0e0e4736 --output trace-graph.html',
    'aiops visualize-trace 4bf92f3577b34da6 --open',
  ],
  jsonDoc: '{ traceId, output (absolute path), bytes, spanCount }',
  async run(ctx) {
    const id = traceIdArg(ctx.str('trace-id') ?? ctx.positionals[0], 'visualize-trace --trace-id');
    const slowText = ctx.str('slow-threshold');
    const table = await loadTrace(ctx, id);
    const tree = buildTraceTree(table);
    const cp = criticalPath(table, { tree });
    const b = traceBottleneck(table, { tree });
    const html = renderTraceHtml(table, {
      criticalPath: cp.segments,
      ...(b
        ? {
            bottleneck: {
              spanId: b.spanId,
              service: b.service,
              operation: b.operation,
              exclusiveMs: nanoToMs(b.exclusiveNano),
              share: b.share,
            },
          }
        : {}),
      ...(slowText ? { slowThresholdMs: parseDurationMs(slowText, '--slow-threshold') } : {}),
      notes: cp.warnings.map((w) => w.message),
    });
    const out = path.resolve(ctx.io.cwd, ctx.str('output') ?? `trace-${id}.html`);
    try {
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, html);
    } catch (err) {
      throw inputError(`--output ${out}: cannot write (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    if (ctx.flag('open')) {
      const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
      spawn(opener, [out], { detached: true, stdio: 'ignore' })
        .on('error', () => ctx.io.stderr.write(`aiops: could not start ${opener}; open ${out} yourself\n`))
        .unref();
    }
    if (ctx.jsonMode) ctx.json({ traceId: id, output: out, bytes: Buffer.byteLength(html), spanCount: table.numSpans });
    else ctx.print(out);
    return ExitCode.Ok;
  },
};
