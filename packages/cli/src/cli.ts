// Entry point of the aiops cli: dispatches to a command, turns errors into messages and exit codes.
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, type CommandContext, commandHelp, type Io, type OptionValues } from './command.ts';
import { COMMANDS, type CommandEntry } from './commands/index.ts';
import { CliError, ExitCode, usageError } from './errors.ts';
import { colors } from './internal/format.ts';
import { resolveLang, translator } from './internal/i18n.ts';
import { parseTimeWindow } from './internal/time.ts';

function findCommand(argv: readonly string[]): { cmd: CommandEntry; rest: string[] } | undefined {
  for (const cmd of [...COMMANDS].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)) {
    const words = cmd.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { cmd, rest: argv.slice(words.length) };
  }
  return undefined;
}

function topHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'aiops — analyse distributed traces from the terminal',
    '',
    'Usage: aiops <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}${c.summary}`),
    '',
    'Run `aiops <command> --help` for the options and examples of a command.',
    'Every command accepts --json (one JSON document on stdout), --store <dir>, --source <uri>, --lang en|zh.',
    'Exit codes: 0 ok · 1 not found / findings · 2 usage or input error',
    '',
  ].join('\n');
}

/** Formats an unknown thrown value as a user-facing error (library errors carry a clear message and code). */
function asCliError(err: unknown): CliError | undefined {
  if (err instanceof CliError) return err;
  if (err && typeof err === 'object' && 'name' in err && 'message' in err) {
    const name = String((err as { name: unknown }).name);
    if (name === 'IngestError' || name === 'StoreError' || name === 'SourceError') {
      const code = String((err as { code?: unknown }).code ?? 'input');
      return new CliError(
        String((err as { message: unknown }).message),
        code === 'not_found' ? 1 : ExitCode.Input,
        code,
      );
    }
  }
  return undefined;
}

/**
 * Runs the aiops cli with `argv` (without node and script) and resolves to the process exit code.
 *
 * **Details** Writes to `io.stdout`/`io.stderr`; never exits the process itself.
 *
 * @example
 * ```ts
 * const code = await main(['trace', '--trace-id', 'abc', '--json']);
 * ```
 */
export async function main(argv: readonly string[], io: Io = defaultIo()): Promise<number> {
  const write = (s: string) => io.stdout.write(s);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    if (argv[0] === 'help' && argv[1]) {
      const found = findCommand(argv.slice(1));
      if (found) {
        write(commandHelp(await found.cmd.load()));
        return 0;
      }
    }
    write(topHelp());
    return argv.length === 0 ? ExitCode.Usage : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    write(`${VERSION}\n`);
    return 0;
  }
  const found = findCommand(argv);
  const jsonMode = argv.includes('--json');
  const debug = argv.includes('--debug');
  const fail = (err: CliError): number => {
    io.stderr.write(`aiops: ${err.message}\n`);
    if (jsonMode) write(`${JSON.stringify({ error: { code: err.code, message: err.message } })}\n`);
    return err.exitCode;
  };
  if (!found) {
    return fail(usageError(`unknown command "${argv[0]}". Run \`aiops --help\` for the list of commands.`));
  }
  const { rest } = found;
  const cmd = await found.cmd.load();
  let values: OptionValues;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: rest,
      options: { ...COMMON_OPTIONS, ...cmd.options } as never,
      allowPositionals: true,
      strict: true,
    });
    values = parsed.values as OptionValues;
    positionals = parsed.positionals;
  } catch (err) {
    const msg = err instanceof Error ? err.message.replace(/\. To specify a positional.*$/s, '') : String(err);
    return fail(usageError(`${cmd.name}: ${msg}. Run \`aiops ${cmd.name} --help\`.`));
  }
  if (values.help) {
    write(commandHelp(cmd));
    return 0;
  }
  const colorOn =
    values.color === true ||
    (!values['no-color'] && !io.env.NO_COLOR && io.stdout.isTTY === true && io.env.TERM !== 'dumb' && !jsonMode);
  const lang = resolveLang(values.lang as string | undefined, io.env);
  const opened: { close(): Promise<void> }[] = [];
  let sourceOpening: ReturnType<CommandContext['openSource']> | undefined;
  const ctx: CommandContext = {
    values,
    positionals,
    jsonMode,
    c: colors(colorOn),
    t: translator(lang),
    lang,
    width: Math.max(60, Math.min(io.stdout.columns ?? 120, 160)),
    io,
    print: (line = '') => {
      if (!jsonMode) write(`${line}\n`);
    },
    json: (doc) => {
      write(`${JSON.stringify(doc, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
    },
    status: (text) => {
      if (!jsonMode && io.stderr.isTTY) io.stderr.write(`\r\u001b[2K${text}`);
    },
    // One source per run: a command that loads two windows (a baseline and the window) reads both from it.
    openSource: () => {
      sourceOpening ??= (async () => {
        const { openSource } = await import('./sources.ts');
        const s = await openSource(values, io);
        opened.push(s);
        return s;
      })();
      return sourceOpening;
    },
    timeWindow: (defaultRange) =>
      parseTimeWindow(
        {
          'time-range': values['time-range'] as string | undefined,
          until: values.until as string | undefined,
          from: values.from as string | undefined,
          to: values.to as string | undefined,
        },
        defaultRange,
      ),
    str: (name) => {
      const v = values[name];
      if (Array.isArray(v)) return v[v.length - 1];
      return typeof v === 'string' ? v : undefined;
    },
    flag: (name) => values[name] === true,
  };
  try {
    return await cmd.run(ctx);
  } catch (err) {
    const known = asCliError(err);
    if (known) return fail(known);
    if (debug) io.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    return fail(
      new CliError(
        `internal error: ${err instanceof Error ? err.message : String(err)}${debug ? '' : ' (run with --debug for details)'}`,
        ExitCode.Input,
        'internal',
      ),
    );
  } finally {
    for (const s of opened) await s.close().catch(() => {});
  }
}

/** The version of the cli. */
export const VERSION: string = '0.1.0';

function defaultIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}
