// Runs the cli in process with captured output, for tests.
import { PassThrough } from 'node:stream';
import { main } from '../src/cli.ts';

/** Output of one cli run. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `aiops <argv>` in process; stdout is not a TTY (so no colours), env is isolated. */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const code = await main(argv, { stdout: out, stderr: err, env: { LANG: 'en_US.UTF-8', ...env }, cwd: process.cwd() });
  return { code, stdout, stderr };
}
