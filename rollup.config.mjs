// Bundles the compiled TypeScript (build/ts, from tsc) into one ESM file per
// runtime condition of package.json's exports map. The .wasm files are
// written to dist/ by asc (npm run build:wasm) and found next to the bundles.
const entries = ['node', 'browser', 'workerd'];

export default [
  ...entries.map((name) => ({
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
