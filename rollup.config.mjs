// Bundles the compiled TypeScript (build/ts, from tsc) into one ESM file per
// runtime condition of package.json's exports map. The .wasm files are
// written to dist/ by asc (npm run build:wasm) and found next to the bundles.
// Node: `wasm-nlp` and `wasm-nlp/node` are two entries of one build, so they
// share one copy of the library (one runtime, one init()).
export default [
  {
    input: { node: 'build/ts/entry/node.js', 'node-io': 'build/ts/entry/node-io.js' },
    output: { dir: 'dist', format: 'es', sourcemap: false, entryFileNames: 'wasm-nlp.[name].js', chunkFileNames: 'wasm-nlp.[name]-chunk.js' },
    external: [/^node:/],
  },
  ...['browser', 'workerd'].map((name) => ({
    input: `build/ts/entry/${name}.js`,
    output: { file: `dist/wasm-nlp.${name}.js`, format: 'es', sourcemap: false },
    external: [/^node:/],
  })),
  // The command line (package.json "bin"), Node only.
  {
    input: 'build/ts/entry/cli.js',
    output: { file: 'dist/wasm-nlp.cli.js', format: 'es', sourcemap: false, banner: '#!/usr/bin/env node' },
    external: [/^node:/],
  },
];
