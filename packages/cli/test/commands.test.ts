import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/commands/index.ts';

describe('COMMANDS', () => {
  it('lists fourteen commands whose names and summaries are those of the loaded modules', async () => {
    expect(COMMANDS.map((c) => c.name)).toEqual([
      'import',
      'serve',
      'trace',
      'search-traces',
      'visualize-trace',
      'analyze-slow-traces',
      'analyze-errors',
      'stats traces',
      'analyze-dependencies',
      'compare-traces',
      'detect-trace-anomaly',
      'watch',
      'sources test',
      'demo',
    ]);
    for (const entry of COMMANDS) {
      const cmd = await entry.load();
      expect({ name: cmd.name, summary: cmd.summary }).toEqual({ name: entry.name, summary: entry.summary });
    }
  });
});
