// @aiops/cli: the aiops command line. The programmatic entry point is `main(argv, io)`.

export { main, VERSION } from './cli.ts';
export {
  COMMON_OPTIONS,
  type Command,
  type CommandContext,
  commandHelp,
  type Io,
  type OptionSpec,
  type OptionValues,
} from './command.ts';
export { CliError, ExitCode } from './errors.ts';
