// The aiops version for server.json and /api/health, read from the package's package.json (from src/serve or dist).
import fs from 'node:fs';

function readVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(fs.readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === '@aiops/cli' && pkg.version) return pkg.version;
    } catch {
      // Try the next location.
    }
  }
  return 'unknown';
}

/** The version of @aiops/cli. */
export const VERSION_TEXT: string = readVersion();
