// Writes docs/commands.md from `aiops <command> --help` of the built cli, so the reference never drifts from the code.
// Run after `pnpm build`: node scripts/gen-command-docs.mjs
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'packages/cli/dist/bin.js');
const run = (args) =>
  execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, LANG: 'C' } });
const top = run(['--help']);
const names = top
  .split('\n')
  .filter((l) => /^ {2}\S/.test(l) && !l.includes('aiops <command>'))
  .map((l) => l.trim().split(/\s{2,}/)[0]);
const parts = [
  '# aiops command reference',
  '',
  'Generated from `aiops <command> --help` by `node scripts/gen-command-docs.mjs`. Every command accepts `--json`',
  '(one JSON document on stdout; its fields are listed under "JSON output"), `--store <dir>`, `--source <uri>`,',
  '`--lang en|zh`, `--no-color`, and exits 0 (ok), 1 (not found / findings) or 2 (usage or input error).',
  '',
  '```text',
  top.trimEnd(),
  '```',
];
for (const name of names) {
  parts.push('', `## aiops ${name}`, '', '```text', run([...name.split(' '), '--help']).trimEnd(), '```');
}
fs.mkdirSync(path.join(root, 'docs'), { recursive: true });
fs.writeFileSync(path.join(root, 'docs/commands.md'), `${parts.join('\n')}\n`);
console.log(`docs/commands.md: ${names.length} commands`);
