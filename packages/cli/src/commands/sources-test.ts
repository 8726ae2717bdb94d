// aiops sources test [name]: connects to a configured or given source and reports kind, version, size and range.
import type { DataBounds } from '@aiops/span-model';
import type { Command, CommandContext } from '../command.ts';
import { ExitCode } from '../errors.ts';
import { isoFromUnixNano } from '../internal/format.ts';
import { loadAiopsConfig, openRemoteSource, redactUri } from '../source-config.ts';

interface Outcome {
  readonly name: string;
  readonly uri: string;
  readonly ok: boolean;
  readonly kind?: string;
  readonly version?: string;
  readonly services?: number;
  readonly bounds?: DataBounds | undefined;
  readonly error?: { readonly code: string; readonly message: string };
}

async function probe(
  name: string,
  uri: string,
  ctx: CommandContext,
  config: ReturnType<typeof loadAiopsConfig>,
): Promise<Outcome> {
  const shown = redactUri(uri);
  try {
    const source = await openRemoteSource(name, ctx.io.env, config);
    try {
      const services = await source.services();
      const bounds = await source.bounds();
      const describe = (source as { describe?: () => { version: string } }).describe;
      return {
        name,
        uri: shown,
        ok: true,
        kind: source.kind,
        ...(describe ? { version: describe.call(source).version } : {}),
        services: services.length,
        bounds,
      };
    } finally {
      await source.close();
    }
  } catch (err) {
    const e = err as { name?: string; code?: unknown; message?: string };
    if (e?.name !== 'SourceError' && e?.name !== 'CliError') throw err;
    return { name, uri: shown, ok: false, error: { code: String(e.code ?? 'error'), message: String(e.message) } };
  }
}

/** `aiops sources test [name]`. */
export const sourcesTestCommand: Command = {
  name: 'sources test',
  summary: 'check that configured trace sources answer (kind, version, span count, time range)',
  usage: 'aiops sources test [name|uri] [--json]',
  description:
    'Without a name, tests every source of aiops.config.yaml (working directory or $AIOPS_HOME). Errors say ' +
    'unreachable, timeout, auth, not_found (missing table), schema (wrong table) or bad_response. Passwords are never printed.',
  options: {},
  examples: ['aiops sources test', 'aiops sources test prod', 'aiops sources test jaeger://localhost:16686'],
  async run(ctx) {
    const config = loadAiopsConfig(ctx.io.cwd, ctx.io.env);
    const wanted = ctx.positionals[0];
    const targets = wanted
      ? [config.sources.find((s) => s.name === wanted) ?? { name: wanted, uri: wanted }]
      : config.sources.map((s) => ({ name: s.name, uri: s.uri }));
    if (targets.length === 0) {
      ctx.print('no sources: give a URI, or list sources in aiops.config.yaml');
      return ExitCode.Usage;
    }
    const outcomes: Outcome[] = [];
    for (const t of targets) outcomes.push(await probe(t.name, t.uri, ctx, config));
    if (ctx.jsonMode) {
      ctx.json({
        sources: outcomes.map((o) => ({
          ...o,
          bounds: o.bounds
            ? {
                ...o.bounds,
                fromUnixNano: o.bounds.fromUnixNano.toString(),
                toUnixNano: o.bounds.toUnixNano.toString(),
              }
            : o.bounds,
        })),
      });
    } else {
      for (const o of outcomes) {
        if (!o.ok) {
          ctx.print(`${ctx.c.red('✗')} ${o.name}  ${o.uri}\n    ${o.error!.code}: ${o.error!.message}`);
          continue;
        }
        const range = o.bounds
          ? `${o.bounds.spanCount} spans, ${o.bounds.traceCount} traces, ${isoFromUnixNano(o.bounds.fromUnixNano)} → ${isoFromUnixNano(o.bounds.toUnixNano)}`
          : 'span count and time range not available from this backend';
        ctx.print(
          `${ctx.c.green('✓')} ${o.name}  ${o.uri}\n    ${o.kind}${o.version ? ` ${o.version}` : ''}, ${o.services} services; ${range}`,
        );
      }
    }
    return outcomes.every((o) => o.ok) ? ExitCode.Ok : ExitCode.NotFound;
  },
};
