// A browser app bundled with rollup from the installed package (named imports, so
// rollup can tree-shake); the .wasm files are copied next to the bundle and passed
// as a URL. ?threads=2 loads the threads build (the page is cross-origin isolated).
import { init, Tensor, ops, FastTextClassifier, TextClassifier } from 'wasm-nlp';
import { parityTask } from './task.mjs';

try {
  const threads = Number(new URLSearchParams(location.search).get('threads') ?? '1');
  const url = new URL(threads > 1 ? './wasm-nlp-mt.wasm' : './wasm-nlp.wasm', import.meta.url);
  const info = await init({ url, threads });
  const r = await parityTask({ Tensor, ops, FastTextClassifier, TextClassifier });
  document.getElementById('out').textContent = `${r.fasttextPredict}\n${r.digest}`;
  window.__result = { info, crossOriginIsolated: self.crossOriginIsolated, ...r };
} catch (e) {
  window.__result = { error: String(e?.stack ?? e) };
}
