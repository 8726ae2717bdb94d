// aiops demo: the whole product in about a minute — serve, an instrumented microservice shop under load, an injected
// slow database query, and the analysis that finds it.
import type { Command } from '../command.ts';
import { DEMO_DEFAULTS, DemoError, type DemoResult, runDemo } from '../demo/run-demo.ts';
import { CliError, ExitCode, usageError } from '../errors.ts';

function positiveNumber(text: string | undefined, fallback: number, option: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw usageError(`--${option}: "${text}" is not a number > 0`);
  return n;
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the example shop under load, inject a slow DB query, and find it (about a minute)',
  usage: 'aiops demo [--rate 25] [--fault-ms 400] [--baseline 12s] [--fault-seconds 20] [--keep] [--json]',
  description: [
    'Starts `aiops serve` on a temporary store, the seven services of examples/shop (each instrumented only by',
    '`node --import @aiops/instrumentation/register`) and a load generator; after a baseline it makes every',
    'database query of inventory-service slower (a fault recorded in the ground-truth file), then shows',
    '`aiops trace` for a slow (p90) trace of the fault window and `aiops analyze-dependencies` when available.',
    'Every process is stopped on exit or Ctrl-C. --keep leaves the server and its store running for exploration.',
    'Needs the repository checkout after `pnpm install && pnpm build`.',
  ].join('\n'),
  options: {
    rate: {
      type: 'string',
      valueName: '<n>',
      description: `requests per second (default ${DEMO_DEFAULTS.ratePerSecond})`,
    },
    'fault-ms': {
      type: 'string',
      valueName: '<ms>',
      description: `added latency per inventory-service query (default ${DEMO_DEFAULTS.faultMs})`,
    },
    baseline: {
      type: 'string',
      valueName: '<s>',
      description: `seconds of load before the fault (default ${DEMO_DEFAULTS.baselineSeconds})`,
    },
    'fault-seconds': {
      type: 'string',
      valueName: '<s>',
      description: `seconds the fault lasts (default ${DEMO_DEFAULTS.faultSeconds})`,
    },
    keep: { type: 'boolean', description: 'leave aiops serve running with its store when the demo ends' },
  },
  examples: [
    'aiops demo                      # about a minute; prints the slow trace and the dependencies',
    'aiops demo --keep               # then explore: aiops search-traces --store <printed dir>',
    'aiops demo --json | jq .slowTrace',
  ],
  jsonDoc: [
    '{ store, queryUrl, otlpHttpUrl, services: {name: url}, groundTruth: [{service, kind, ms, start, end}],',
    '  load: {baseline, fault: {requests, errors, throughputPerSecond, p50Ms, p99Ms, statuses}},',
    '  slowTrace: {traceId, durationMs, spanCount} | null, traceCount, spanCount,',
    '  trace: <aiops trace --json of slowTrace>, dependencies: <analyze-dependencies --json> | null, kept, serverPid }',
  ].join('\n'),
  async run(ctx) {
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    const store = ctx.str('store');
    let result: DemoResult;
    try {
      result = await runDemo({
        ratePerSecond: positiveNumber(ctx.str('rate'), DEMO_DEFAULTS.ratePerSecond, 'rate'),
        faultMs: positiveNumber(ctx.str('fault-ms'), DEMO_DEFAULTS.faultMs, 'fault-ms'),
        baselineSeconds: positiveNumber(
          ctx.str('baseline')?.replace(/s$/, ''),
          DEMO_DEFAULTS.baselineSeconds,
          'baseline',
        ),
        faultSeconds: positiveNumber(
          ctx.str('fault-seconds')?.replace(/s$/, ''),
          DEMO_DEFAULTS.faultSeconds,
          'fault-seconds',
        ),
        keep: ctx.flag('keep'),
        ...(store ? { store } : {}),
        json: ctx.jsonMode,
        signal: controller.signal,
        onStatus: (text) => {
          if (!ctx.jsonMode) ctx.io.stderr.write(`aiops demo: ${text}\n`);
        },
      });
    } catch (err) {
      if (err instanceof DemoError) throw new CliError(err.message, ExitCode.Input, 'demo');
      throw err;
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    }
    if (ctx.jsonMode) {
      const parse = (s: string | undefined): unknown => {
        if (s === undefined) return null;
        try {
          return JSON.parse(s);
        } catch {
          return s;
        }
      };
      const { traceOutput, dependenciesOutput, ...rest } = result;
      ctx.json({
        ...rest,
        slowTrace: rest.slowTrace ?? null,
        trace: parse(traceOutput),
        dependencies: parse(dependenciesOutput),
      });
      return result.slowTrace ? ExitCode.Ok : ExitCode.NotFound;
    }
    const { c } = ctx;
    const b = result.load.baseline;
    const f = result.load.fault;
    ctx.print(c.bold('aiops demo'));
    ctx.print(`  store       ${result.store}${result.kept ? '' : ' (removed)'}`);
    ctx.print(`  services    ${Object.keys(result.services).join(', ')}`);
    ctx.print(
      `  ingested    ${result.spanCount.toLocaleString('en-US')} spans in ${result.traceCount.toLocaleString('en-US')} traces`,
    );
    if (b)
      ctx.print(`  baseline    ${b.requests} requests · p50 ${b.p50Ms} ms · p99 ${b.p99Ms} ms · ${b.errors} errors`);
    if (f)
      ctx.print(`  fault       ${f.requests} requests · p50 ${f.p50Ms} ms · p99 ${f.p99Ms} ms · ${f.errors} errors`);
    for (const g of result.groundTruth) {
      ctx.print(
        `  injected    ${String(g.service)} ${String(g.kind)} +${String(g.ms)} ms  ${String(g.start)} → ${String(g.end)}`,
      );
    }
    ctx.print();
    if (!result.slowTrace) {
      ctx.print('No slow trace through inventory-service was found in the fault window.');
      return ExitCode.NotFound;
    }
    ctx.print(c.bold(`$ aiops trace --trace-id ${result.slowTrace.traceId}`));
    ctx.print(indent(result.traceOutput));
    ctx.print();
    if (result.dependenciesOutput !== undefined) {
      ctx.print(c.bold('$ aiops analyze-dependencies --time-range all'));
      ctx.print(indent(result.dependenciesOutput));
      ctx.print();
    }
    if (result.kept) {
      ctx.print(`aiops serve is still running (pid ${String(result.serverPid)}), query API ${result.queryUrl}.`);
      ctx.print(`Explore: aiops search-traces --store ${result.store}   ·   stop: kill ${String(result.serverPid)}`);
    }
    return ExitCode.Ok;
  },
};
