// The command framework: option specs, common options, help text, and the context a command runs with.
import type { TraceSource } from '@aiops/span-model';
import type { Colors } from './internal/format.ts';
import type { Translate } from './internal/i18n.ts';
import type { TimeWindow } from './internal/time.ts';

/** One option of a command. */
export interface OptionSpec {
  /** 'string' takes a value; 'boolean' is a flag. */
  readonly type: 'string' | 'boolean';
  /** One-letter alias. */
  readonly short?: string;
  /** May be repeated (values collected in an array). */
  readonly multiple?: boolean;
  /** Help text. */
  readonly description: string;
  /** Placeholder shown in help, e.g. '<id>'. */
  readonly valueName?: string;
}

/** Parsed option values. */
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** Where a command writes. */
export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** What a running command gets. */
export interface CommandContext {
  /** Option values (command options and common options). */
  readonly values: OptionValues;
  /** Positional arguments. */
  readonly positionals: readonly string[];
  /** Whether --json was given: print exactly one JSON document with {@link CommandContext.json}. */
  readonly jsonMode: boolean;
  /** Colour helpers (off when stdout is not a TTY, with --no-color, or NO_COLOR). */
  readonly c: Colors;
  /** Translator for human output. */
  readonly t: Translate;
  /** Language of human output. */
  readonly lang: 'en' | 'zh';
  /** Terminal width for human output. */
  readonly width: number;
  /** I/O streams and environment. */
  readonly io: Io;
  /** Prints a line of human output (ignored in --json mode). */
  print(line?: string): void;
  /** Prints the one JSON document of --json mode. */
  json(doc: unknown): void;
  /** Progress/status text on stderr (only when stderr is a TTY and not --json). */
  status(text: string): void;
  /** Opens the source the user chose (--source, AIOPS_SOURCE, --store, the default store). */
  openSource(): Promise<TraceSource>;
  /** The time window of --time-range/--until/--from/--to. */
  timeWindow(defaultRange?: string): TimeWindow;
  /** A string option's value (undefined when absent). */
  str(name: string): string | undefined;
  /** A boolean option's value. */
  flag(name: string): boolean;
}

/** A command of the aiops cli. */
export interface Command {
  /** Name as typed, e.g. 'trace' or 'stats traces'. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Usage line(s). */
  readonly usage: string;
  /** Longer description (optional). */
  readonly description?: string;
  /** Command-specific options. */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Example invocations with a comment each. */
  readonly examples: readonly string[];
  /** Documentation of the --json output fields. */
  readonly jsonDoc?: string;
  /** Whether the command reads from a trace source (adds --store/--source and time-window options to help). */
  readonly readsTraces?: boolean;
  /** Runs the command; resolves to the exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** Options every command accepts. */
export const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean', description: 'print one JSON document on stdout and nothing else' },
  store: {
    type: 'string',
    valueName: '<dir>',
    description: 'embedded store directory (default $AIOPS_HOME or ~/.aiops)',
  },
  source: {
    type: 'string',
    valueName: '<uri>',
    description: 'read from another source: a store dir, or file:<path> (default $AIOPS_SOURCE)',
  },
  'time-range': { type: 'string', valueName: '<1h|30m|1d|all>', description: 'window ending at --until' },
  until: { type: 'string', valueName: '<time>', description: 'end of --time-range (ISO-8601, default now)' },
  from: { type: 'string', valueName: '<time>', description: 'window start (ISO-8601)' },
  to: { type: 'string', valueName: '<time>', description: 'window end (ISO-8601)' },
  lang: { type: 'string', valueName: '<en|zh>', description: 'language of human output (default from LANG)' },
  color: { type: 'boolean', description: 'force colours' },
  'no-color': { type: 'boolean', description: 'no colours (also when stdout is not a terminal, or NO_COLOR is set)' },
  debug: { type: 'boolean', description: 'show stack traces of unexpected errors' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

/** Help text of a command. */
export function commandHelp(cmd: Command): string {
  const lines = [`aiops ${cmd.name} — ${cmd.summary}`, '', 'Usage:', `  ${cmd.usage}`];
  if (cmd.description) lines.push('', cmd.description);
  const fmt = (name: string, o: OptionSpec): [string, string] => [
    `${o.short ? `-${o.short}, ` : ''}--${name}${o.valueName ? ` ${o.valueName}` : ''}`,
    o.description,
  ];
  const own = Object.entries(cmd.options).map(([n, o]) => fmt(n, o));
  const commonNames = cmd.readsTraces
    ? Object.keys(COMMON_OPTIONS)
    : Object.keys(COMMON_OPTIONS).filter((n) => !['time-range', 'until', 'from', 'to', 'source'].includes(n));
  const common = commonNames.map((n) => fmt(n, COMMON_OPTIONS[n]!));
  const w = Math.max(...[...own, ...common].map(([a]) => a.length)) + 2;
  if (own.length) lines.push('', 'Options:', ...own.map(([a, b]) => `  ${a.padEnd(w)}${b}`));
  lines.push('', 'Common options:', ...common.map(([a, b]) => `  ${a.padEnd(w)}${b}`));
  if (cmd.examples.length) lines.push('', 'Examples:', ...cmd.examples.map((e) => `  ${e}`));
  if (cmd.jsonDoc) lines.push('', 'JSON output (--json):', ...cmd.jsonDoc.split('\n').map((l) => `  ${l}`));
  lines.push('', 'Exit codes: 0 ok · 1 not found / findings · 2 usage or input error');
  return `${lines.join('\n')}\n`;
}
