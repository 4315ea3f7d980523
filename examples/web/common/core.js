// Loads the Wasm core inside a demo's worker with init({ url }): the .wasm files
// sit at the root of examples/web/dist, one level above each demo's bundle.
// Threads when the page is cross-origin isolated (SharedArrayBuffer), else one.
import { init } from 'wasm-nlp';

let started;

/** @returns {Promise<{ threads: number, isolated: boolean, build: string, cores: number }>} */
export function initCore({ maxThreads = 4 } = {}) {
  started ??= (async () => {
    const isolated = globalThis.crossOriginIsolated === true;
    const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
    const threads = isolated ? Math.max(1, Math.min(maxThreads, cores)) : 1;
    const file = threads > 1 ? '../wasm-nlp-mt.wasm' : '../wasm-nlp.wasm';
    const info = await init({ threads, url: new URL(file, import.meta.url) });
    return { threads: info.threads, isolated, build: info.build, cores };
  })();
  started.catch(() => (started = undefined)); // a failed load is retried by the next call
  return started;
}

/** Fetch a bundled corpus file (data/brown.txt, data/spam.train, data/spam.test) as text. */
export async function fetchData(name) {
  const res = await fetch(new URL(`../data/${name}`, import.meta.url));
  if (!res.ok) throw new Error(`fetch data/${name}: HTTP ${res.status}`);
  return res.text();
}
