import type { Build, Platform, WorkerHandle } from '../core/platform.js';
import { WASM_FILES, compileFetched } from '../core/platform.js';

/**
 * Node: the `.wasm` files sit next to the bundle (`baseUrl`), read from disk;
 * workers are worker_threads evaluating the pool's source.
 */
export function nodePlatform(baseUrl: URL): Platform {
  return {
    name: 'node',
    defaultUrl: (build: Build) => new URL(WASM_FILES[build], baseUrl),
    async compileUrl(url: URL) {
      if (url.protocol !== 'file:') return compileFetched(url);
      const { readFile } = await import('node:fs/promises');
      const bytes = (await readFile(url)) as Uint8Array<ArrayBuffer>;
      return WebAssembly.compile(bytes);
    },
    startWorker(source: string): WorkerHandle {
      const { Worker } = getWorkerThreads();
      const w = new Worker(source, { eval: true });
      // Workers must not keep the process alive once the caller is done with them.
      w.unref();
      return {
        postMessage: (m) => w.postMessage(m),
        onMessage: (h) => void w.on('message', h),
        onError: (h) => void w.on('error', h),
        terminate: () => void w.terminate(),
      };
    },
    cores: () => getOs().availableParallelism?.() ?? getOs().cpus().length,
  };
}

// worker_threads and os are loaded synchronously through process.getBuiltinModule
// (Node >= 20.16) so that the entry has no top-level await and no static node: import.
type WorkerThreads = typeof import('node:worker_threads');
type Os = typeof import('node:os');
const builtin = <T>(name: string): T => {
  const p = process as unknown as { getBuiltinModule?: (n: string) => unknown };
  if (typeof p.getBuiltinModule !== 'function') {
    throw new Error(`wasm-nlp needs Node >= 20.16 (process.getBuiltinModule) to load ${name}`);
  }
  return p.getBuiltinModule(name) as T;
};
const getWorkerThreads = () => builtin<WorkerThreads>('node:worker_threads');
const getOs = () => builtin<Os>('node:os');
