import { WasmNlpError } from './errors.js';
import type { Kernels } from './kernels.js';
import type { Platform, WorkerHandle } from './platform.js';

/** Bytes of one worker's slot in the synchronous-job control buffer (own cache lines). */
const SLOT_BYTES = 512;
/** Float64 arguments a synchronous job may pass. */
const MAX_ARGS = 32;
/** Milliseconds an idle worker in synchronous mode spins before it blocks in Atomics.wait. */
const SPIN_MS = 0.2;

/**
 * The code each worker runs, as plain JavaScript so it needs no file next to
 * the bundle: Node evaluates it in a worker_thread, browsers load it from a
 * Blob URL. A worker instantiates the shared-memory build over the memory it is
 * sent and then runs kernel calls `{ id, fn, args }` one at a time.
 */
const WORKER_SOURCE = /* js */ `
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
// Synchronous jobs (WorkerPool.post/wait): the worker leaves the message loop
// and serves its slot of a SharedArrayBuffer until the main thread asks it to
// return. Header (int32): 0 job sequence, 1 completed sequence, 2 kernel index
// (-1 = return to the message loop), 3 argument count, 4 error flag; the
// arguments are float64 from byte 128 of the slot.
let syncSeq = 0;
const SPIN_MS = ${SPIN_MS};
function serve(ctrl, slot, names) {
  const h = new Int32Array(ctrl, slot * ${SLOT_BYTES}, 32);
  const f = new Float64Array(ctrl, slot * ${SLOT_BYTES} + 128, ${MAX_ARGS});
  const fns = names.map((n) => kernels[n]);
  const args = [];
  for (;;) {
    let seq = Atomics.load(h, 0);
    if (seq === syncSeq) {
      const t0 = performance.now();
      let spins = 0;
      while ((seq = Atomics.load(h, 0)) === syncSeq) {
        if ((++spins & 255) === 0 && performance.now() - t0 > SPIN_MS) Atomics.wait(h, 0, syncSeq);
      }
    }
    syncSeq = seq;
    const fi = Atomics.load(h, 2);
    if (fi < 0) {
      Atomics.store(h, 1, seq);
      Atomics.notify(h, 1);
      return;
    }
    const n = h[3];
    args.length = n;
    for (let j = 0; j < n; j++) args[j] = f[j];
    let err = 0;
    try {
      fns[fi](...args);
    } catch (e) {
      err = 1;
    }
    Atomics.store(h, 4, err);
    Atomics.store(h, 1, seq);
    Atomics.notify(h, 1);
  }
}
listen(async (msg) => {
  if (msg.type === 'sync') {
    serve(msg.ctrl, msg.slot, msg.names);
    return;
  }
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

export type KernelName = { [K in keyof Kernels]: Kernels[K] extends (...args: never[]) => unknown ? K : never }[keyof Kernels];

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
  /** Control buffer of the synchronous jobs: one SLOT_BYTES slot per worker. */
  private readonly ctrl: SharedArrayBuffer;
  private readonly head: Int32Array[];
  private readonly argv: Float64Array[];
  /** Per worker: serving its slot (left the message loop) or not. */
  private readonly serving: boolean[];
  /** Per worker: sequence number of its last synchronous job. */
  private readonly seq: number[];
  /** Kernel name -> index into the module's function exports, in export order (what workers see). */
  private readonly kernelIndex: Map<string, number>;
  private readonly kernelNames: string[];

  private constructor(private readonly workers: WorkerHandle[], module: WebAssembly.Module) {
    this.busy = workers.map(() => 0);
    this.ctrl = new SharedArrayBuffer(SLOT_BYTES * workers.length);
    this.head = workers.map((_, i) => new Int32Array(this.ctrl, i * SLOT_BYTES, 32));
    this.argv = workers.map((_, i) => new Float64Array(this.ctrl, i * SLOT_BYTES + 128, MAX_ARGS));
    this.serving = workers.map(() => false);
    this.seq = workers.map(() => 0);
    this.kernelNames = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
    this.kernelIndex = new Map(this.kernelNames.map((n, i) => [n, i]));
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
    return new WorkerPool(workers, module);
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
    if (this.serving[index]) this.release(index);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { worker: index, resolve, reject });
      if (this.busy[index]!++ === 0) w.ref?.();
      w.postMessage({ type: 'call', id, fn, args });
    });
  }

  /**
   * True when worker `index` can take a synchronous job now: the pool runs and
   * the worker has no `call` in flight (a synchronous job would wait behind it).
   */
  free(index: number): boolean {
    return !this.closed && index >= 0 && index < this.workers.length && this.busy[index] === 0;
  }

  /**
   * Start `fn(...args)` on worker `index` without a message: the arguments go
   * into the worker's slot of a shared control buffer and the worker, spinning
   * briefly and then blocked in Atomics.wait on that slot, is woken with
   * Atomics.notify (a few microseconds when it is still spinning, against
   * 50-100 µs for a postMessage round trip). The first job after an async
   * `call` sends one message to switch the worker into this mode. Pair every
   * post with `wait(index)` before posting to the same worker again; requires
   * `free(index)`. The kernel's return value is dropped.
   */
  post<K extends KernelName>(index: number, fn: K, args: Parameters<Kernels[K]>): void {
    if (!this.free(index)) {
      throw new WasmNlpError(`WorkerPool.post: worker ${index} must be idle in a running pool, got ${this.closed ? 'a terminated pool' : 'a worker with calls in flight'}`);
    }
    const fi = this.kernelIndex.get(fn);
    if (fi === undefined) throw new WasmNlpError(`WorkerPool.post: fn must be a kernel of the module, got ${JSON.stringify(fn)}`);
    const list = args as unknown as readonly number[];
    if (list.length > MAX_ARGS) throw new WasmNlpError(`WorkerPool.post: args must number at most ${MAX_ARGS}, got ${list.length}`);
    const h = this.head[index]!;
    if (Atomics.load(h, 1) !== this.seq[index]) throw new WasmNlpError(`WorkerPool.post: worker ${index} must have finished its last job (call wait first), got one still running`);
    if (!this.serving[index]) {
      this.workers[index]!.postMessage({ type: 'sync', ctrl: this.ctrl, slot: index, names: this.kernelNames });
      this.serving[index] = true;
    }
    this.argv[index]!.set(list);
    h[2] = fi;
    h[3] = list.length;
    h[4] = 0;
    Atomics.store(h, 0, ++this.seq[index]!);
    Atomics.notify(h, 0);
  }

  /**
   * Spin until worker `index` has finished the job of the last `post`
   * (Atomics.load, so this works on a browser's main thread, which may not
   * block). Throws WasmNlpError if the kernel threw.
   */
  wait(index: number): void {
    const h = this.head[index]!;
    this.spin(index);
    if (Atomics.load(h, 4) !== 0) throw new WasmNlpError(`worker kernel call failed: a synchronous job on worker ${index} threw`);
  }

  private spin(index: number): void {
    const h = this.head[index]!;
    const s = this.seq[index]!;
    while (Atomics.load(h, 1) !== s) {
      /* spin */
    }
  }

  /** Send worker `index` back to its message loop (before an async call). */
  private release(index: number): void {
    const h = this.head[index]!;
    this.spin(index);
    h[2] = -1;
    h[3] = 0;
    h[4] = 0;
    Atomics.store(h, 0, ++this.seq[index]!);
    Atomics.notify(h, 0);
    this.spin(index);
    this.serving[index] = false;
  }

  /** Stop every worker; pending calls reject. */
  terminate(): void {
    if (this.closed) return;
    this.closed = true;
    for (let i = 0; i < this.workers.length; i++) {
      if (!this.serving[i]) continue;
      const h = this.head[i]!;
      h[2] = -1;
      Atomics.store(h, 0, ++this.seq[i]!);
      Atomics.notify(h, 0);
    }
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
