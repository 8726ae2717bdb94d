// Runs `aiops serve --store <dir> --otlp-grpc 0 --otlp-http 0 --zipkin 0 --query 0` in its own process for the crash
// and signal tests (through the serve command itself, with the same context the cli gives it).
import { parseArgs } from 'node:util';
import type { CommandContext } from '../../src/command.ts';
import { COMMON_OPTIONS } from '../../src/command.ts';
import { serveCommand } from '../../src/commands/serve.ts';

const { values } = parseArgs({
  args: ['--otlp-grpc', '0', '--otlp-http', '0', '--zipkin', '0', '--query', '0', ...process.argv.slice(2)],
  options: { ...COMMON_OPTIONS, ...serveCommand.options } as never,
  allowPositionals: true,
});
const v = values as Record<string, string | boolean | undefined>;
const ctx = {
  values: v,
  positionals: [],
  jsonMode: false,
  io: { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
  print: (line = '') => process.stdout.write(`${line}\n`),
  str: (n: string) => (typeof v[n] === 'string' ? (v[n] as string) : undefined),
  flag: (n: string) => v[n] === true,
} as unknown as CommandContext;
process.exitCode = await serveCommand.run(ctx);
