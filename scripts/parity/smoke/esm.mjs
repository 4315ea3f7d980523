// Node, ES module: what `import ... from 'wasm-nlp'` gives a user of the installed package.
import * as w from 'wasm-nlp';
import { parityTask } from './task.mjs';

const info = await w.init();
const r = await parityTask(w);
console.log(
  JSON.stringify({
    platform: w.getPlatform()?.name,
    info,
    resolved: {
      main: import.meta.resolve('wasm-nlp'),
      wasm: import.meta.resolve('wasm-nlp/wasm-nlp.wasm'),
      mt: import.meta.resolve('wasm-nlp/wasm-nlp-mt.wasm'),
      pkg: import.meta.resolve('wasm-nlp/package.json'),
    },
    ...r,
  }),
);
w.shutdown();
