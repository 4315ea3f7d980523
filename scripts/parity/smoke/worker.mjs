// A Cloudflare Worker bundled with rollup from the installed package ('workerd'
// export condition); the .wasm is imported as a module (a WebAssembly.Module,
// no compile at run time) and passed to init({ module }).
import { init, isInitialized, Tensor, ops, FastTextClassifier, TextClassifier } from 'wasm-nlp';
import wasmModule from 'wasm-nlp/wasm-nlp.wasm';
import { parityTask } from './task.mjs';

export default {
  async fetch() {
    try {
      const info = isInitialized() ? undefined : await init({ module: wasmModule });
      const r = await parityTask({ Tensor, ops, FastTextClassifier, TextClassifier });
      return Response.json({ info, moduleIsModule: wasmModule instanceof WebAssembly.Module, ...r });
    } catch (e) {
      return Response.json({ error: String(e?.stack ?? e) }, { status: 500 });
    }
  },
};
