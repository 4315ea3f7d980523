// Bundles the compiled TypeScript (build/ts, from tsc) into one ESM file per
// runtime condition of package.json's exports map. The .wasm files are
// written to dist/ by asc (npm run build:wasm) and found next to the bundles.
// Node: `wasm-nlp` and `wasm-nlp/node` are two entries of one build, so they
// share one copy of the library (one runtime, one init()); when `wasm-nlp/node` uses
// internals that the `wasm-nlp` entry does not export, rollup moves the shared code into
// dist/wasm-nlp.<name>-chunk.js, which both import.
import { readdirSync, rmSync } from 'node:fs';
import terser from '@rollup/plugin-terser';

/** After writing: delete dist/wasm-nlp.*-chunk.js files this build no longer emits (dist/*.js all ship in the tarball). */
const pruneChunks = {
  name: 'prune-stale-chunks',
  writeBundle(options, bundle) {
    for (const f of readdirSync(options.dir)) {
      if (/^wasm-nlp\..+-chunk\.js$/.test(f) && !(f in bundle)) rmSync(`${options.dir}/${f}`, { force: true });
    }
  },
};

export default [
  {
    input: { node: 'build/ts/entry/node.js', 'node-io': 'build/ts/entry/node-io.js' },
    output: {
      dir: 'dist',
      format: 'es',
      sourcemap: false,
      entryFileNames: 'wasm-nlp.[name].js',
      chunkFileNames: 'wasm-nlp.[name]-chunk.js',
    },
    external: [/^node:/],
    plugins: [pruneChunks],
  },
  // The browser bundle twice from one build: readable (the exports map's "browser" and
  // "default") and minified beside it (dist/wasm-nlp.browser.min.js, for a page that loads
  // it without a bundler; docs/bundlers.md). keep_classnames: the errors' `name` is the
  // class name (`new.target.name`, src/core/errors.ts).
  {
    input: 'build/ts/entry/browser.js',
    output: [
      { file: 'dist/wasm-nlp.browser.js', format: 'es', sourcemap: false },
      {
        file: 'dist/wasm-nlp.browser.min.js',
        format: 'es',
        sourcemap: false,
        plugins: [terser({ keep_classnames: true })],
      },
    ],
    external: [/^node:/],
  },
  {
    input: 'build/ts/entry/workerd.js',
    output: { file: 'dist/wasm-nlp.workerd.js', format: 'es', sourcemap: false },
    external: [/^node:/],
  },
  // The command line (package.json "bin"), Node only.
  {
    input: 'build/ts/entry/cli.js',
    output: { file: 'dist/wasm-nlp.cli.js', format: 'es', sourcemap: false, banner: '#!/usr/bin/env node' },
    external: [/^node:/],
  },
];
