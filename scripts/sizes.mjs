#!/usr/bin/env node
// Sizes of what users download: the .wasm builds and JS bundles of the packed
// package (the readable bundles and the minified browser bundle), a tree-shaken
// rollup browser app and workerd worker built from the installed tarball
// (scripts/parity/smoke/), and the tarball itself; raw and gzip -9, with the
// budget of docs/bundlers.md (asserted by tests/node/pack.test.ts).
//
//   node scripts/sizes.mjs            print the table
//   node scripts/sizes.mjs --write    also replace it in README.md between
//                                     <!-- sizes:start --> and <!-- sizes:end -->
// Needs `npm run build` first.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './lib/runtimes.mjs';
import {
  buildViteApp,
  bundleBrowserApp,
  bundleWorker,
  packAndInstall,
  sizeRows,
  sizesTable,
} from './parity/package-smoke.mjs';

const START = '<!-- sizes:start -->';
const END = '<!-- sizes:end -->';

async function main() {
  const args = process.argv.slice(2);
  for (const a of args) if (a !== '--write') throw new Error(`sizes: unknown argument ${a}`);
  const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-sizes-'));
  try {
    const pkg = await packAndInstall(dir);
    const app = await bundleBrowserApp(pkg.project);
    const worker = await bundleWorker(pkg.project);
    const vite = await buildViteApp(pkg.project);
    const rows = sizeRows({
      pkgDir: pkg.pkgDir,
      browserApp: app.file,
      worker: worker.file,
      viteApp: vite.file,
      tarball: pkg.size,
      unpacked: pkg.unpackedSize,
    });
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    const table = [
      sizesTable(rows),
      '',
      "Readable bundles: not minified (the exports map's targets); dist/wasm-nlp.browser.min.js: the browser bundle minified by terser, for pages without a bundler (docs/bundlers.md). " +
        'A bundle with a shared chunk is measured with it (sums of the files).',
      '',
      `¹ scripts/parity/smoke/: init, ops.matmul, FastTextClassifier and TextClassifier (rollup 4 + node-resolve, not minified; Vite 8 with its defaults, minified). ` +
        `Tarball row: raw = unpacked contents (${pkg.files.length} files). wasm-nlp ${version}, measured by \`npm run sizes\`.`,
    ].join('\n');
    console.log(table);
    if (args.includes('--write')) {
      const readme = join(ROOT, 'README.md');
      const text = readFileSync(readme, 'utf8');
      const i = text.indexOf(START);
      const j = text.indexOf(END);
      if (i < 0 || j < i) throw new Error(`sizes: README.md has no ${START} ... ${END} markers`);
      writeFileSync(readme, `${text.slice(0, i + START.length)}\n${table}\n${text.slice(j)}`);
      console.log('README.md updated');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
