// A browser app bundled with rollup from the installed package (named imports, so
// rollup can tree-shake); the .wasm is copied next to the bundle and passed as a URL.
import { init, Tensor, matmul, FastTextClassifier, TextClassifier } from 'wasm-nlp';
import { parityTask } from './task.mjs';

try {
  const info = await init({ url: new URL('./wasm-nlp.wasm', import.meta.url) });
  const r = await parityTask({ Tensor, matmul, FastTextClassifier, TextClassifier });
  document.getElementById('out').textContent = `${r.fasttextPredict}\n${r.digest}`;
  window.__result = { info, crossOriginIsolated: self.crossOriginIsolated, ...r };
} catch (e) {
  window.__result = { error: String(e?.stack ?? e) };
}
