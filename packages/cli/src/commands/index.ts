// The list of commands, in the order `aiops --help` shows them.
import type { Command } from '../command.ts';
import { analyzeDependenciesCommand } from './analyze-dependencies.ts';
import { analyzeErrorsCommand } from './analyze-errors.ts';
import { analyzeSlowTracesCommand } from './analyze-slow-traces.ts';
import { compareTracesCommand } from './compare-traces.ts';
import { demoCommand } from './demo.ts';
import { detectTraceAnomalyCommand } from './detect-trace-anomaly.ts';
import { importCommand } from './import.ts';
import { searchTracesCommand } from './search-traces.ts';
import { serveCommand } from './serve.ts';
import { sourcesTestCommand } from './sources-test.ts';
import { statsTracesCommand } from './stats-traces.ts';
import { traceCommand } from './trace.ts';
import { visualizeTraceCommand } from './visualize-trace.ts';
import { watchCommand } from './watch.ts';

/** Every command of the cli. */
export const COMMANDS: readonly Command[] = [
  importCommand,
  serveCommand,
  traceCommand,
  searchTracesCommand,
  visualizeTraceCommand,
  analyzeSlowTracesCommand,
  analyzeErrorsCommand,
  statsTracesCommand,
  analyzeDependenciesCommand,
  compareTracesCommand,
  detectTraceAnomalyCommand,
  watchCommand,
  sourcesTestCommand,
  demoCommand,
];
