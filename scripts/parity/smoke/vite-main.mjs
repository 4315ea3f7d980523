// The same app built by Vite from the installed package: the .wasm imported with ?url (Vite emits it as a hashed asset).
import { init, Tensor, ops, FastTextClassifier, TextClassifier } from 'wasm-nlp';
import wasmUrl from 'wasm-nlp/wasm-nlp.wasm?url';
import { parityTask } from '../task.mjs';
try {
  const info = await init({ url: wasmUrl });
  const r = await parityTask({ Tensor, ops, FastTextClassifier, TextClassifier });
  document.getElementById('out').textContent = `${r.fasttextPredict}\n${r.digest}`;
  window.__result = { info, wasmUrl, ...r };
} catch (e) {
  window.__result = { error: String(e?.stack ?? e) };
}
