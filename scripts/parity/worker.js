// The parity task in workerd: GET /?seed=N answers the task's JSON. The .wasm
// arrives as a WebAssembly.Module (a "wasm" module in config.capnp).
import * as w from 'wasm-nlp.workerd.js';
import wasmModule from 'wasm-nlp.wasm';
import { parityTask } from 'task.js';

export default {
  async fetch(request) {
    try {
      if (!w.isInitialized()) await w.init({ module: wasmModule });
      const seed = Number(new URL(request.url).searchParams.get('seed') ?? '1');
      const r = await parityTask(w, { seed });
      r.userAgent = navigator.userAgent;
      return Response.json(r);
    } catch (e) {
      return Response.json({ error: String(e?.stack ?? e) }, { status: 500 });
    }
  },
};
