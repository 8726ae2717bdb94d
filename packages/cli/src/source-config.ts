// Remote sources for the cli: `clickhouse://`, `jaeger://`, `jaeger+https://`, `tempo://`, `zipkin://` URIs, and
// named sources from `aiops.config.yaml` (working directory or $AIOPS_HOME) with `${ENV}` credentials.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jaegerSource, tempoSource, zipkinSource } from '@aiops/ingest';
import type { TraceSource } from '@aiops/span-model';
import { openClickHouseStore } from '@aiops/store';
import { usageError } from './errors.ts';

/** One named source of the config file. */
export interface NamedSource {
  /** Name used with `--source <name>`. */
  readonly name: string;
  /** The URI as written (with `${VAR}` placeholders unexpanded, safe to print). */
  readonly uri: string;
  /** Extra options (`table`, `database`, `password`, `timeout_ms`, `header.<Name>`), values unexpanded. */
  readonly options: Readonly<Record<string, string>>;
}

/** The parsed `aiops.config.yaml`. */
export interface AiopsConfig {
  /** Path of the file read, or undefined when none. */
  readonly path: string | undefined;
  /** Name of the default source (`default_source:`). */
  readonly defaultSource: string | undefined;
  /** Named sources in file order. */
  readonly sources: readonly NamedSource[];
}

const REMOTE_SCHEMES =
  /^(clickhouse|clickhouses|clickhouse\+https?|jaeger|jaeger\+https?|tempo|tempo\+https?|zipkin|zipkin\+https?):\/\//;

/** Whether a `--source` value is a remote URI this module opens. */
export function isRemoteSourceUri(uri: string): boolean {
  return REMOTE_SCHEMES.test(uri);
}

/** Replaces `${VAR}` with the environment's value; an unset variable is a usage error naming it (not its value). */
export function expandEnv(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) throw usageError(`environment variable ${name} is not set (used in aiops.config.yaml)`);
    return v;
  });
}

/** A URI with any password replaced by `***`, for messages. */
export function redactUri(uri: string): string {
  return uri.replace(/(\/\/[^:/@]*):[^@/]*@/, '$1:***@');
}

function unquote(v: string): string {
  const t = v.trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  return t.replace(/\s+#.*$/, '');
}

/**
 * Parses the YAML subset of `aiops.config.yaml`:
 *
 * ```yaml
 * default_source: prod
 * sources:
 *   prod:
 *     uri: clickhouse://aiops@ch.internal:8123/otel?table=otel_traces
 *     password: ${CLICKHOUSE_PASSWORD}
 *   jaeger: jaeger://jaeger.internal:16686
 * ```
 */
export function parseAiopsConfig(text: string, path?: string): AiopsConfig {
  let defaultSource: string | undefined;
  const sources: { name: string; uri: string; options: Record<string, string> }[] = [];
  let inSources = false;
  let current: { name: string; uri: string; options: Record<string, string> } | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/^\s*#.*$/, '');
    if (line.trim() === '') return;
    const indent = line.length - line.trimStart().length;
    const m = /^([A-Za-z0-9_.-]+)\s*:\s*(.*)$/.exec(line.trim());
    if (!m) throw usageError(`${path ?? 'aiops.config.yaml'}:${i + 1}: expected "key: value"`);
    const [, key, value] = m as unknown as [string, string, string];
    if (indent === 0) {
      inSources = key === 'sources';
      current = undefined;
      if (key === 'default_source') defaultSource = unquote(value);
      return;
    }
    if (!inSources) return;
    if (current === undefined || indent <= 2) {
      current = { name: key, uri: unquote(value), options: {} };
      sources.push(current);
      return;
    }
    if (key === 'uri') current.uri = unquote(value);
    else current.options[key] = unquote(value);
  });
  return { path, defaultSource, sources };
}

/** Reads `aiops.config.yaml` from `cwd`, else `$AIOPS_HOME`; an empty config when neither exists. */
export function loadAiopsConfig(cwd: string, env: NodeJS.ProcessEnv): AiopsConfig {
  for (const dir of [cwd, env.AIOPS_HOME]) {
    if (!dir) continue;
    const p = join(dir, 'aiops.config.yaml');
    if (existsSync(p)) return parseAiopsConfig(readFileSync(p, 'utf8'), p);
  }
  return { path: undefined, defaultSource: undefined, sources: [] };
}

/** Resolves a `--source` value (a name from the config file, or a URI) to a URI and options. */
export function resolveSource(value: string, config: AiopsConfig): NamedSource {
  const named = config.sources.find((s) => s.name === value);
  if (named) return named;
  return { name: value, uri: value, options: {} };
}

/**
 * Opens a remote source from a URI or a config-file name: ClickHouse (`clickhouse://user:pass@host:8123/db?table=`),
 * Jaeger, Tempo or Zipkin. `${VAR}` in the URI and options come from `env`; nothing secret is printed.
 */
export async function openRemoteSource(
  uriOrName: string,
  env: NodeJS.ProcessEnv,
  config: AiopsConfig = { path: undefined, defaultSource: undefined, sources: [] },
): Promise<TraceSource> {
  const src = resolveSource(uriOrName, config);
  const uri = expandEnv(src.uri, env);
  const opt = Object.fromEntries(Object.entries(src.options).map(([k, v]) => [k, expandEnv(v, env)]));
  const timeoutMs = opt.timeout_ms === undefined ? undefined : Number(opt.timeout_ms);
  const headers = Object.fromEntries(
    Object.entries(opt)
      .filter(([k]) => k.startsWith('header.'))
      .map(([k, v]) => [k.slice(7), v]),
  );
  const http = { ...(timeoutMs === undefined ? {} : { timeoutMs }), headers };
  const scheme = uri.slice(0, uri.indexOf('://'));
  if (scheme.startsWith('clickhouse')) {
    return openClickHouseStore(uri, {
      ...(opt.password === undefined ? {} : { password: opt.password }),
      ...(opt.database === undefined ? {} : { database: opt.database }),
      ...(opt.table === undefined ? {} : { table: opt.table }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  }
  if (scheme.startsWith('jaeger'))
    return jaegerSource(uri, { ...http, ...(opt.api === 'v3' ? { api: 'v3' as const } : {}) });
  if (scheme.startsWith('tempo')) return tempoSource(uri, http);
  if (scheme.startsWith('zipkin')) return zipkinSource(uri, http);
  throw usageError(
    `unknown source "${redactUri(src.uri)}": use clickhouse://, jaeger://, tempo://, zipkin://, file:<path>, a store directory, or a name from aiops.config.yaml`,
  );
}
