#!/usr/bin/env node
// Builds the browser demos into examples/web/dist/ (served by serve.mjs):
//   dist/<demo>/{index.html,main.js,worker.js}  one directory per demo (a folder
//                                               here with an index.html and main.js)
//   dist/wasm-nlp.wasm, dist/wasm-nlp-mt.wasm   the core, loaded with init({ url })
//   dist/common/                                style.css, uPlot's CSS
//   dist/data/                                  the bundled corpora (docs/data.md)
//   dist/index.html                             the landing page
// `wasm-nlp` resolves to the library's browser bundle (dist/wasm-nlp.browser.js,
// from `npm run build:ts`), so run `npm run build` first; `npm run demo` does both.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const OUT = join(HERE, 'dist');

/** The demos: folders beside this script with an index.html and a main.js. */
export function demos() {
  return readdirSync(HERE)
    .filter((d) => d !== 'dist' && d !== 'common' && statSync(join(HERE, d)).isDirectory())
    .filter((d) => existsSync(join(HERE, d, 'index.html')) && existsSync(join(HERE, d, 'main.js')))
    .sort();
}

// `import ... from 'wasm-nlp'` resolves as in a user's project: through package.json's exports map (the
// package's own name, here) with the browser condition, to dist/wasm-nlp.browser.js.
async function bundle(input, file) {
  const build = await rollup({ input, plugins: [nodeResolve({ browser: true })], onwarn: (w, warn) => warn(w) });
  await build.write({ file, format: 'es', sourcemap: false });
  await build.close();
}

function copy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}

export async function buildDemos({ log = console.log } = {}) {
  for (const f of ['wasm-nlp.browser.js', 'wasm-nlp.wasm', 'wasm-nlp-mt.wasm']) {
    if (!existsSync(join(ROOT, 'dist', f)))
      throw new Error(`examples/web/build.mjs: dist/${f} is missing; run \`npm run build\` first`);
  }
  if (!existsSync(join(ROOT, 'data', 'brown.txt'))) {
    log('examples/web: writing the canonical corpora to data/ (scripts/data.mjs)');
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'data.mjs'), join(ROOT, 'data')], {
      stdio: 'inherit',
      cwd: ROOT,
    });
    if (r.status !== 0) throw new Error(`scripts/data.mjs failed with exit code ${r.status}`);
  }
  rmSync(OUT, { recursive: true, force: true });
  copy(join(ROOT, 'dist', 'wasm-nlp.wasm'), join(OUT, 'wasm-nlp.wasm'));
  copy(join(ROOT, 'dist', 'wasm-nlp-mt.wasm'), join(OUT, 'wasm-nlp-mt.wasm'));
  copy(join(HERE, 'index.html'), join(OUT, 'index.html'));
  copy(join(HERE, 'common', 'style.css'), join(OUT, 'common', 'style.css'));
  copy(join(ROOT, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), join(OUT, 'common', 'uPlot.min.css'));
  for (const f of ['brown.txt', 'spam.train', 'spam.test']) copy(join(ROOT, 'data', f), join(OUT, 'data', f));
  const names = demos();
  for (const d of names) {
    copy(join(HERE, d, 'index.html'), join(OUT, d, 'index.html'));
    await bundle(join(HERE, d, 'main.js'), join(OUT, d, 'main.js'));
    if (existsSync(join(HERE, d, 'worker.js'))) await bundle(join(HERE, d, 'worker.js'), join(OUT, d, 'worker.js'));
  }
  log(`examples/web/dist: ${names.join(', ')}`);
  return names;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildDemos();
}
