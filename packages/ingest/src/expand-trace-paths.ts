// Listing trace files: directories are expanded (recursively) to the files with trace-like extensions.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { IngestError, IngestErrorCode } from './ingest-error.ts';

/** File extensions (before an optional `.gz`) that {@link expandTracePaths} picks up in directories. */
export const TRACE_FILE_EXTENSIONS: readonly string[] = [
  '.json',
  '.jsonl',
  '.ndjson',
  '.pb',
  '.protobuf',
  '.otlp',
  '.bin',
];

/** Options of {@link expandTracePaths}. */
export interface ExpandTracePathsOptions {
  /** Extensions to pick up in directories. Default {@link TRACE_FILE_EXTENSIONS}. */
  readonly extensions?: readonly string[];
}

const DEFAULTS = { extensions: TRACE_FILE_EXTENSIONS } as const;

function wanted(name: string, extensions: readonly string[]): boolean {
  const base = name.toLowerCase().replace(/\.gz$/, '');
  return !name.startsWith('.') && extensions.some((e) => base.endsWith(e));
}

async function walk(dir: string, extensions: readonly string[], out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!e.name.startsWith('.') && e.name !== 'node_modules') await walk(p, extensions, out);
    } else if (e.isFile() && wanted(e.name, extensions)) out.push(p);
  }
}

/**
 * Expands files and directories into the list of trace files to read.
 *
 * **Details** A file given by name is kept whatever its extension. A directory is walked recursively (hidden entries
 * and `node_modules` skipped) for files with a trace extension (`.json`, `.jsonl`, `.ndjson`, `.pb`, `.protobuf`,
 * `.otlp`, `.bin`, each optionally `.gz`), in name order. Duplicates are removed, first occurrence kept.
 *
 * **Complexity** O(directory entries).
 *
 * **Gotchas** Rejects with {@link IngestError} `FILE_NOT_READABLE` naming the first path that does not exist.
 *
 * @example
 * ```ts
 * const files = await expandTracePaths(['traces/', 'extra.json.gz']);
 * ```
 */
export async function expandTracePaths(
  pathsOrDirs: readonly string[],
  options: ExpandTracePathsOptions = {},
): Promise<string[]> {
  const extensions = options.extensions ?? DEFAULTS.extensions;
  const out: string[] = [];
  for (const p of pathsOrDirs) {
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(p);
    } catch (e) {
      throw new IngestError({
        code: IngestErrorCode.FileNotReadable,
        file: p,
        position: '',
        detail: `no such file or directory (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      });
    }
    if (s.isDirectory()) await walk(p, extensions, out);
    else out.push(p);
  }
  return [...new Set(out)];
}
