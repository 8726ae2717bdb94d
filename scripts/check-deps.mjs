// Enforces the layer rules of STYLE.md §1: span-model at the bottom, leaves depend on span-model only, cli on top.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const LAYER = { 'span-model': 0, cli: 2 };
const layerOf = (name) => LAYER[name] ?? 1;
const problems = [];
for (const dir of fs.readdirSync(path.join(root, 'packages'))) {
  const file = path.join(root, 'packages', dir, 'package.json');
  if (!fs.existsSync(file)) continue;
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
  const me = pkg.name.replace('@aiops/', '');
  const deps = { ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.devDependencies };
  for (const dep of Object.keys(deps)) {
    if (!dep.startsWith('@aiops/')) continue;
    const other = dep.replace('@aiops/', '');
    if (layerOf(other) >= layerOf(me)) {
      problems.push(`${pkg.name} depends on ${dep}: a package may depend only on lower layers (STYLE.md §1)`);
    }
  }
  // Source imports must match declared dependencies (catches an import that bypasses package.json).
  const walk = (d) =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  const src = path.join(root, 'packages', dir, 'src');
  if (!fs.existsSync(src)) continue;
  for (const f of walk(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const text = fs.readFileSync(f, 'utf8');
    for (const m of text.matchAll(/from '(@aiops\/[a-z-]+)/g)) {
      // The cli bundles the @aiops packages it composes (devDependencies); the others must declare them.
      const declared = pkg.dependencies?.[m[1]] ?? (me === 'cli' ? pkg.devDependencies?.[m[1]] : undefined);
      if (m[1] !== pkg.name && !declared) {
        problems.push(`${path.relative(root, f)} imports ${m[1]}, which is not in ${pkg.name}'s dependencies`);
      }
    }
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('check-deps: layer rules hold');
