// One-off refactoring helper: moves source files and rewrites every relative import
// that points at them (src/, tests/, examples/, bench/, scripts/), including build/ts paths.
// Usage: node scripts/dev/move.mjs old=new [old=new ...] (paths relative to the repo root, .ts under src/)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, relative, resolve, posix } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const pairs = process.argv.slice(2).map((a) => a.split('=').map((p) => resolve(root, p)));
const move = new Map(pairs);
const files = execFileSync('git', ['ls-files', 'src', 'tests', 'examples', 'bench', 'scripts'], { cwd: root, encoding: 'utf8' })
  .split('\n').filter((f) => /\.(ts|mjs|js)$/.test(f) && !f.includes('/dist/')).map((f) => resolve(root, f));
const toSrc = (abs) => {
  // a .js specifier under src/ or build/ts/ → the .ts source
  let p = abs;
  const build = resolve(root, 'build/ts') + '/';
  let viaBuild = false;
  if (p.startsWith(build)) { p = resolve(root, 'src', p.slice(build.length)); viaBuild = true; }
  if (p.startsWith(resolve(root, 'src') + '/') && p.endsWith('.js')) p = p.slice(0, -3) + '.ts';
  return { p, viaBuild };
};
const fromSrc = (p, viaBuild, origExt) => {
  let q = p;
  if (q.startsWith(resolve(root, 'src') + '/') && q.endsWith('.ts') && origExt === '.js') q = q.slice(0, -3) + '.js';
  if (viaBuild) q = resolve(root, 'build/ts', relative(resolve(root, 'src'), q));
  return q;
};
const rel = (from, to) => { let r = relative(dirname(from), to).split('\\').join('/'); if (!r.startsWith('.')) r = './' + r; return r; };
let changed = 0;
for (const f of files) {
  const newF = move.get(f) ?? f;
  const text = readFileSync(f, 'utf8');
  const out = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)(['"])/g, (m, pre, spec, post) => {
    const abs = resolve(dirname(f), spec);
    const { p, viaBuild } = toSrc(abs);
    const target = move.get(p) ?? p;
    if (target === p && newF === f) return m;
    const ext = spec.endsWith('.js') ? '.js' : '';
    return pre + rel(newF, fromSrc(target, viaBuild, ext)) + post;
  });
  if (out !== text) { writeFileSync(f, out); changed++; }
}
for (const [o, n] of move) {
  mkdirSync(dirname(n), { recursive: true });
  execFileSync('git', ['mv', o, n], { cwd: root });
}
console.log(`moved ${move.size}, rewrote ${changed} files`);
