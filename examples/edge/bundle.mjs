// Bundle the worker with rollup's JavaScript API (what `rollup -c examples/edge/rollup.config.mjs` does),
// into any directory: used by tests/node/edge.test.ts.
import { rollup } from 'rollup';
import { edgeRollupConfig } from './rollup.config.mjs';

/** Write worker.js (the bundle) and wasm-nlp.wasm into `outDir`. */
export async function bundleWorker(outDir) {
  const config = edgeRollupConfig(outDir);
  const bundle = await rollup(config);
  try {
    await bundle.write(config.output);
  } finally {
    await bundle.close();
  }
}
