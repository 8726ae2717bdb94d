// aiops import: decode trace files (OTLP, Jaeger, Zipkin) into the embedded store, with progress and a summary.
import {
  expandTracePaths,
  isIngestError,
  isTraceFormat,
  readTraceFileBatches,
  TRACE_FORMATS,
  type TraceFormat,
} from '@aiops/ingest';
import { buildTraceIndex, traceIdAt } from '@aiops/span-model';
import type { Command } from '../command.ts';
import { ExitCode, inputError, usageError } from '../errors.ts';
import { formatCount } from '../internal/format.ts';
import { openWritableStore, storeDir } from '../sources.ts';

interface FileReport {
  path: string;
  format?: TraceFormat;
  spans: number;
  traces: number;
  inserted: number;
  duplicates: number;
  rejected: { reason: string; count: number; examples: { position: string; message: string }[] }[];
  warnings: string[];
  error?: { code: string; message: string };
}

export const importCommand: Command = {
  name: 'import',
  summary: 'import trace files (OTLP JSON/protobuf, Jaeger JSON, Zipkin JSON) into the store',
  usage: `aiops import <files or dirs...> [--format ${TRACE_FORMATS.join('|')}] [--store <dir>]`,
  description:
    'The format of each file is detected from its content unless --format forces it. Directories are searched\nfor trace files (.json, .jsonl, .ndjson, .pb, .protobuf, and those with .gz). Re-importing a file does not\nduplicate spans. Invalid spans are counted by reason and left out; every valid span of the file is kept.',
  options: {
    format: {
      type: 'string',
      valueName: '<format>',
      description: `force the input format (${TRACE_FORMATS.join(', ')})`,
    },
  },
  examples: [
    'aiops import traces.json                         # one file, format detected',
    'aiops import ./exports --store /data/aiops       # every trace file under a directory',
    'aiops import spans.jsonl.gz --format otlp-json --json',
  ],
  jsonDoc:
    '{ store, files[] { path, format, spans, traces, inserted, duplicates, rejected[] { reason, count, examples[] },\n  warnings[], error? { code, message } }, totals { files, failedFiles, traces, spans, inserted, duplicates,\n  rejectedSpans, services[] } }',
  async run(ctx) {
    const formatText = ctx.str('format');
    if (formatText !== undefined && !isTraceFormat(formatText)) {
      throw usageError(`--format: "${formatText}" is not one of ${TRACE_FORMATS.join(', ')}`);
    }
    if (ctx.positionals.length === 0) throw usageError('import: give at least one file or directory');
    let files: string[];
    try {
      files = await expandTracePaths(ctx.positionals);
    } catch (err) {
      if (isIngestError(err)) throw inputError(err.message);
      throw err;
    }
    if (files.length === 0) throw inputError(`import: no trace files found in ${ctx.positionals.join(', ')}`);
    const store = await openWritableStore(ctx.values, ctx.io);
    const reports: FileReport[] = [];
    const allTraces = new Set<string>();
    const services = new Set<string>();
    try {
      for (const [i, path] of files.entries()) {
        const report: FileReport = {
          path,
          spans: 0,
          traces: 0,
          inserted: 0,
          duplicates: 0,
          rejected: [],
          warnings: [],
        };
        reports.push(report);
        const traces = new Set<string>();
        const label = files.length > 1 ? `[${i + 1}/${files.length}] ` : '';
        try {
          for await (const batch of readTraceFileBatches(path, {
            ...(formatText ? { format: formatText as TraceFormat } : {}),
            onProgress: (read, total) => ctx.status(`${label}${path} ${progressBar(read, total)}`),
          })) {
            report.format = batch.format;
            const t = batch.spans;
            report.spans += t.numSpans;
            // One id string per trace of the batch, not per span.
            const index = buildTraceIndex(t);
            for (let k = 0; k < index.traceCount; k++) traces.add(traceIdAt(t, index.rows[index.offsets[k]!]!));
            const svc = t.dict('service');
            const used = new Uint8Array(svc.values.length);
            for (let r = 0; r < t.numSpans; r++) used[svc.codes[r]!] = 1;
            svc.values.forEach((s, code) => {
              if (used[code]) services.add(s);
            });
            for (const rj of batch.rejected) {
              const have = report.rejected.find((x) => x.reason === rj.reason);
              if (have) {
                have.count += rj.count;
                if (have.examples.length < 5) have.examples.push(...rj.examples.slice(0, 5 - have.examples.length));
              } else report.rejected.push({ reason: rj.reason, count: rj.count, examples: [...rj.examples] });
            }
            report.warnings.push(...batch.warnings);
            if (t.numSpans > 0) {
              const res = await store.append(t);
              report.inserted += res.inserted;
              report.duplicates += res.duplicates;
            }
          }
        } catch (err) {
          if (!isIngestError(err)) throw err;
          report.error = { code: err.code, message: err.message };
        }
        report.traces = traces.size;
        for (const id of traces) allTraces.add(id);
      }
    } finally {
      ctx.status('');
      await store.close();
    }
    const rejectedSpans = reports.reduce((s, r) => s + r.rejected.reduce((a, b) => a + b.count, 0), 0);
    const failedFiles = reports.filter((r) => r.error).length;
    const totals = {
      files: reports.length,
      failedFiles,
      traces: allTraces.size,
      spans: reports.reduce((s, r) => s + r.spans, 0),
      inserted: reports.reduce((s, r) => s + r.inserted, 0),
      duplicates: reports.reduce((s, r) => s + r.duplicates, 0),
      rejectedSpans,
      services: [...services].sort(),
    };
    const code = failedFiles > 0 || rejectedSpans > 0 ? ExitCode.Input : ExitCode.Ok;
    if (ctx.jsonMode) {
      ctx.json({ store: storeDir(ctx.values, ctx.io), files: reports, totals });
      return code;
    }
    const { c, t } = ctx;
    for (const r of reports) {
      if (r.error) {
        ctx.io.stderr.write(`aiops: ${r.error.message}\n`);
        continue;
      }
      const extra = [
        r.duplicates ? `${formatCount(r.duplicates)} ${t('duplicates skipped')}` : '',
        r.rejected.length
          ? c.red(`${formatCount(r.rejected.reduce((a, b) => a + b.count, 0))} ${t('rejected spans')}`)
          : '',
      ].filter(Boolean);
      ctx.print(
        `${c.green('✓')} ${r.path} ${c.dim(`(${r.format})`)}: ${formatCount(r.traces)} ${t('traces')}, ${formatCount(r.spans)} ${t('spans')}${extra.length ? `, ${extra.join(', ')}` : ''}`,
      );
      for (const rj of r.rejected) {
        ctx.print(
          `    ${c.red(`${rj.count} × ${rj.reason}`)}${rj.examples[0] ? c.dim(` — e.g. ${rj.examples[0].position}: ${rj.examples[0].message}`) : ''}`,
        );
      }
      for (const w of r.warnings.slice(0, 5)) ctx.print(c.yellow(`    ! ${w}`));
    }
    ctx.print(
      c.bold(
        `${t('Imported')} ${formatCount(totals.traces)} ${t('traces')}, ${formatCount(totals.inserted)} ${t('spans')} (${formatCount(totals.services.length)} ${t('services')}) → ${storeDir(ctx.values, ctx.io)}`,
      ),
    );
    if (totals.duplicates) ctx.print(`${formatCount(totals.duplicates)} ${t('duplicates skipped')}`);
    if (rejectedSpans) ctx.print(c.red(`${formatCount(rejectedSpans)} ${t('rejected spans')}`));
    if (failedFiles) ctx.print(c.red(`${failedFiles} of ${reports.length} files could not be imported (see above)`));
    return code;
  },
};

function progressBar(read: number, total: number): string {
  const f = total > 0 ? Math.min(1, read / total) : 1;
  const w = 30;
  const full = Math.round(f * w);
  return `[${'█'.repeat(full)}${'░'.repeat(w - full)}] ${(f * 100).toFixed(0)}% ${(read / 1e6).toFixed(1)}/${(total / 1e6).toFixed(1)} MB`;
}
