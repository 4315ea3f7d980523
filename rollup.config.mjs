// Bundles the compiled TypeScript (build/ts, from tsc) into one ESM file per
// runtime condition of package.json's exports map. The .wasm files are
// written to dist/ by asc (npm run build:wasm) and found next to the bundles.
const entries = ['node', 'browser', 'workerd'];

export default entries.map((name) => ({
  input: `build/ts/entry/${name}.js`,
  output: { file: `dist/wasm-nlp.${name}.js`, format: 'es', sourcemap: false },
  external: [/^node:/],
}));
