// Errors the cli turns into a message and an exit code (never a stack trace unless --debug).

/** Exit codes of every command: 0 ok, 1 not found or findings, 2 usage or input error. */
export const ExitCode = { Ok: 0, NotFound: 1, Findings: 1, Usage: 2, Input: 2 } as const;

/** An error with a user-facing message and the exit code it maps to. */
export class CliError extends Error {
  /** Process exit code. */
  readonly exitCode: number;
  /** Short machine-readable code for `--json` output. */
  readonly code: string;
  /** Creates an error; `code` names the kind ('usage', 'input', 'not_found', 'store', ...). */
  constructor(message: string, exitCode: number, code: string) {
    super(message);
    this.exitCode = exitCode;
    this.code = code;
  }
}

/** A mistake in the command line: unknown option, missing or malformed value. */
export function usageError(message: string): CliError {
  return new CliError(message, ExitCode.Usage, 'usage');
}

/** Bad input data: unreadable file, unknown format, malformed content. */
export function inputError(message: string): CliError {
  return new CliError(message, ExitCode.Input, 'input');
}

/** The thing asked for does not exist (e.g. an unknown trace id). */
export function notFoundError(message: string): CliError {
  return new CliError(message, ExitCode.NotFound, 'not_found');
}
