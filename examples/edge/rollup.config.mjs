// Bundles examples/edge/worker.js with wasm-nlp for workerd:
//   rollup -c examples/edge/rollup.config.mjs        (npm run edge:build)
// `wasm-nlp` resolves through package.json's "workerd" export condition to
// dist/wasm-nlp.workerd.js (here the package's own name; an installed copy
// resolves the same way); the .wasm and the model files stay imports of the
// bundle (config.capnp, or wrangler's [[rules]], supplies them as modules), and
// the core .wasm is copied next to the bundle.
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeResolve } from '@rollup/plugin-node-resolve';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HERE = fileURLToPath(new URL('./', import.meta.url));

/** The modules the worker imports that are not JavaScript: left external. */
export const EXTERNAL = ['./wasm-nlp.wasm', './spam.bin', './vectors.bin', './meta.json'];

/** The rollup options writing the bundle and the .wasm into `outDir`. */
export function edgeRollupConfig(outDir = join(HERE, 'build')) {
  return {
    input: join(HERE, 'worker.js'),
    external: EXTERNAL,
    plugins: [
      nodeResolve({ exportConditions: ['workerd'] }),
      {
        name: 'copy-wasm',
        async writeBundle() {
          await mkdir(outDir, { recursive: true });
          await copyFile(join(ROOT, 'dist', 'wasm-nlp.wasm'), join(outDir, 'wasm-nlp.wasm'));
        },
      },
    ],
    output: { file: join(outDir, 'worker.js'), format: 'es', sourcemap: false },
  };
}

export default edgeRollupConfig();
