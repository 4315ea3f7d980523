import { WasmNlpError } from './errors.js';
import type { Kernels } from './kernels.js';
import type { Platform, WorkerHandle } from './platform.js';

/**
 * The code each worker runs, as plain JavaScript so it needs no file next to
 * the bundle: Node evaluates it in a worker_thread, browsers load it from a
 * Blob URL. A worker instantiates the shared-memory build over the memory it is
 * sent and then runs kernel calls `{ id, fn, args }` one at a time.
 */
const WORKER_SOURCE = `
'use strict';
let post, listen;
if (typeof require === 'function' && typeof process === 'object') {
  const { parentPort } = require('node:worker_threads');
  post = (m) => parentPort.postMessage(m);
  listen = (h) => parentPort.on('message', h);
} else {
  post = (m) => self.postMessage(m);
  listen = (h) => { self.onmessage = (e) => h(e.data); };
}
let kernels;
listen(async (msg) => {
  if (msg.type === 'init') {
    try {
      const abort = () => { throw new Error('kernel assertion failed in worker'); };
      const instance = await WebAssembly.instantiate(msg.module, { env: { memory: msg.memory, abort } });
      kernels = instance.exports;
      post({ type: 'ready' });
    } catch (e) {
      post({ type: 'failed', message: String((e && e.message) || e) });
    }
    return;
  }
  try {
    const result = kernels[msg.fn](...msg.args);
    post({ type: 'done', id: msg.id, result });
  } catch (e) {
    post({ type: 'error', id: msg.id, message: String((e && e.message) || e) });
  }
});
`;

interface Reply {
  type: 'ready' | 'failed' | 'done' | 'error';
  id?: number;
  result?: number;
  message?: string;
}

type KernelName = { [K in keyof Kernels]: Kernels[K] extends (...args: never[]) => unknown ? K : never }[keyof Kernels];

/**
 * Workers that each instantiate `wasm-nlp-mt.wasm` over one shared memory.
 * A kernel call names the kernel and its numeric arguments (pointers and
 * dims); workers read and write the shared memory directly, so nothing but the
 * call crosses threads. The main thread may grow the memory meanwhile: growth
 * never moves data, and each worker's instance sees the new size.
 */
export class WorkerPool {
  private nextId = 1;
  private readonly waiting = new Map<number, { worker: number; resolve: (v: number | undefined) => void; reject: (e: Error) => void }>();
  /** Calls in flight per worker: a worker is ref'd (keeps Node alive) only while this is > 0. */
  private readonly busy: number[];
  private closed = false;

  private constructor(private readonly workers: WorkerHandle[]) {
    this.busy = workers.map(() => 0);
    for (const w of workers) {
      w.onMessage((m) => this.settle(m as Reply));
      w.onError((e) => this.failAll(e));
      w.unref?.();
    }
  }

  /** Start `n` workers and wait until each has instantiated the module. */
  static async start(platform: Platform, module: WebAssembly.Module, memory: WebAssembly.Memory, n: number): Promise<WorkerPool> {
    const workers: WorkerHandle[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const w = platform.startWorker!(WORKER_SOURCE);
      workers.push(w);
      ready.push(
        new Promise<void>((resolve, reject) => {
          w.onMessage((m) => {
            const r = m as Reply;
            if (r.type === 'ready') resolve();
            else if (r.type === 'failed') reject(new WasmNlpError(`init: worker ${i} must instantiate the module, got ${r.message}`));
          });
          w.onError((e) => reject(new WasmNlpError(`init: worker ${i} must start, got ${String(e)}`)));
        }),
      );
      w.postMessage({ type: 'init', module, memory });
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
    return new WorkerPool(workers);
  }

  /** Number of workers. */
  get size(): number {
    return this.workers.length;
  }

  /** Run `fn(...args)` on worker `index`; resolves with the kernel's return value. */
  call<K extends KernelName>(index: number, fn: K, args: Parameters<Kernels[K]>): Promise<number | undefined> {
    if (this.closed) return Promise.reject(new WasmNlpError('WorkerPool.call: the pool must be running, got a terminated pool'));
    const w = this.workers[index];
    if (w === undefined) {
      return Promise.reject(new WasmNlpError(`WorkerPool.call: index must be in [0, ${this.workers.length}), got ${index}`));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { worker: index, resolve, reject });
      if (this.busy[index]!++ === 0) w.ref?.();
      w.postMessage({ type: 'call', id, fn, args });
    });
  }

  /** Stop every worker; pending calls reject. */
  terminate(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.workers) w.terminate();
    this.failAll(new WasmNlpError('WorkerPool: terminated'));
  }

  private settle(r: Reply): void {
    if (r.id === undefined) return;
    const p = this.waiting.get(r.id);
    if (p === undefined) return;
    this.waiting.delete(r.id);
    this.idle(p.worker);
    if (r.type === 'done') p.resolve(r.result);
    else p.reject(new WasmNlpError(`worker kernel call failed: ${r.message}`));
  }

  private failAll(e: unknown): void {
    const err = e instanceof Error ? e : new WasmNlpError(String(e));
    for (const p of this.waiting.values()) {
      this.idle(p.worker);
      p.reject(err);
    }
    this.waiting.clear();
  }

  private idle(index: number): void {
    if (--this.busy[index]! === 0) this.workers[index]!.unref?.();
  }
}
