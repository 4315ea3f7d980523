import { WasmNlpError } from './errors.js';
import type { Kernels } from './kernels.js';
import type { Platform, WorkerHandle } from './platform.js';

// Synchronous tasks (WorkerPool.runTask): one SharedArrayBuffer, separate from
// the Wasm memory, holds a slot per worker and the task:
//   slot i (SLOT_BYTES, own cache lines), int32: 0 wake counter, 1 leave flag,
//     2 task id the worker is woken for, 3 chunks it has run; float64 at byte 64: its workspace pointer
//   task, int32: 0 state = (task id << CHUNK_BITS) | next chunk (CLOSED while
//     the main thread rewrites the task), 1 chunks finished, 2 kernel index,
//     3 argument count, 4 chunks, 5 index of the workspace argument (-1 none),
//     6 error flag; float64 from byte 64: the argument table, chunks x MAX_ARGS.
// Threads claim chunks with compareExchange on the state word, so a chunk runs
// exactly once, on whichever thread gets to it first; a woken worker that
// finds the task exhausted (the main thread did it all) goes back to sleep.
const SLOT_BYTES = 256;
/** Float64 arguments of a kernel call in a task at most. */
const MAX_ARGS = 32;
/** Chunks of a task at most. */
export const MAX_CHUNKS = 256;
const CHUNK_BITS = 10;
const CLOSED = (1 << CHUNK_BITS) - 1;
/** Milliseconds an idle worker spins on its slot before it blocks in Atomics.wait. */
const SPIN_MS = 0.2;

/**
 * The code each worker runs, as plain JavaScript so it needs no file next to
 * the bundle: Node evaluates it in a worker_thread, browsers load it from a
 * Blob URL. A worker instantiates the shared-memory build over the memory it is
 * sent and then runs kernel calls `{ id, fn, args }` one at a time; after a
 * `serve` message it leaves the message loop and takes chunks of synchronous
 * tasks from its slot of the control buffer until told to leave.
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
let seen = 0;
function serve(ctrl, slot, taskOff, names) {
  const sl = new Int32Array(ctrl, slot * ${SLOT_BYTES}, 16);
  const work = new Float64Array(ctrl, slot * ${SLOT_BYTES} + 64, 1);
  const th = new Int32Array(ctrl, taskOff, 16);
  const table = new Float64Array(ctrl, taskOff + 64, ${MAX_CHUNKS * MAX_ARGS});
  const fns = names.map((n) => kernels[n]);
  const args = [];
  for (;;) {
    if (Atomics.load(sl, 0) === seen) {
      const t0 = performance.now();
      let spins = 0;
      while (Atomics.load(sl, 0) === seen) {
        if ((++spins & 255) === 0 && performance.now() - t0 > ${SPIN_MS}) Atomics.wait(sl, 0, seen);
      }
    }
    seen = Atomics.load(sl, 0);
    if (Atomics.load(sl, 1) !== 0) {
      Atomics.store(sl, 1, 0);
      return;
    }
    const task = Atomics.load(sl, 2);
    const w = work[0];
    for (;;) {
      const v = Atomics.load(th, 0);
      const c = v & ${CLOSED};
      if (v >>> ${CHUNK_BITS} !== task || c === ${CLOSED} || c >= th[4]) break;
      if (Atomics.compareExchange(th, 0, v, v + 1) !== v) continue;
      const n = th[3];
      const wa = th[5];
      args.length = n;
      for (let j = 0; j < n; j++) args[j] = table[c * ${MAX_ARGS} + j];
      if (wa >= 0) args[wa] = w;
      try {
        fns[th[2]](...args);
      } catch (e) {
        Atomics.store(th, 6, 1);
      }
      Atomics.add(sl, 3, 1);
      Atomics.add(th, 1, 1);
      Atomics.notify(th, 1);
    }
  }
}
listen(async (msg) => {
  if (msg.type === 'serve') {
    serve(msg.ctrl, msg.slot, msg.taskOff, msg.names);
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

export type KernelName = {
  [K in keyof Kernels]: Kernels[K] extends (...args: never[]) => unknown ? K : never;
}[keyof Kernels];

/**
 * Workers that each instantiate `wasm-nlp-mt.wasm` over one shared memory.
 * A kernel call names the kernel and its numeric arguments (pointers and
 * dims); workers read and write the shared memory directly, so nothing but the
 * call crosses threads. The main thread may grow the memory meanwhile: growth
 * never moves data, and each worker's instance sees the new size.
 */
export class WorkerPool {
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { worker: number; resolve: (v: number | undefined) => void; reject: (e: Error) => void }
  >();
  /** Calls in flight per worker: a worker is ref'd (keeps Node alive) only while this is > 0. */
  private readonly busy: number[];
  private closed = false;
  /** The synchronous-task control buffer (layout above). */
  private readonly ctrl: SharedArrayBuffer;
  private readonly slots: Int32Array[];
  private readonly slotWork: Float64Array[];
  private readonly taskHead: Int32Array;
  private readonly taskArgs: Float64Array;
  private readonly taskOff: number;
  private taskId = 0;
  /** Per worker: serving its slot (left the message loop) or not. */
  private readonly serving: boolean[];
  /** Kernel name -> index into the module's function exports, in export order (what workers see). */
  private readonly kernelIndex: Map<string, number>;
  private readonly kernelNames: string[];
  /** Whether this thread may block in Atomics.wait (Node's main thread, workers), or must spin (a browser's main thread). */
  private readonly canBlock: boolean;

  private constructor(
    private readonly workers: WorkerHandle[],
    module: WebAssembly.Module,
  ) {
    this.busy = workers.map(() => 0);
    this.taskOff = SLOT_BYTES * workers.length;
    this.ctrl = new SharedArrayBuffer(this.taskOff + 64 + 8 * MAX_CHUNKS * MAX_ARGS);
    this.slots = workers.map((_, i) => new Int32Array(this.ctrl, i * SLOT_BYTES, 16));
    this.slotWork = workers.map((_, i) => new Float64Array(this.ctrl, i * SLOT_BYTES + 64, 1));
    this.taskHead = new Int32Array(this.ctrl, this.taskOff, 16);
    this.taskArgs = new Float64Array(this.ctrl, this.taskOff + 64, MAX_CHUNKS * MAX_ARGS);
    this.taskHead[0] = CLOSED;
    this.serving = workers.map(() => false);
    this.kernelNames = WebAssembly.Module.exports(module)
      .filter((e) => e.kind === 'function')
      .map((e) => e.name);
    this.kernelIndex = new Map(this.kernelNames.map((n, i) => [n, i]));
    let canBlock = true;
    try {
      Atomics.wait(this.taskHead, 7, 1, 0);
    } catch {
      canBlock = false;
    }
    this.canBlock = canBlock;
    for (const w of workers) {
      w.onMessage((m) => this.settle(m as Reply));
      w.onError((e) => this.failAll(e));
      w.unref?.();
    }
  }

  /** Start `n` workers and wait until each has instantiated the module. */
  static async start(
    platform: Platform,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    n: number,
  ): Promise<WorkerPool> {
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
            else if (r.type === 'failed')
              reject(new WasmNlpError(`init: worker ${i} must instantiate the module, got ${r.message}`));
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
    if (this.closed)
      return Promise.reject(new WasmNlpError('WorkerPool.call: the pool must be running, got a terminated pool'));
    const w = this.workers[index];
    if (w === undefined) {
      return Promise.reject(
        new WasmNlpError(`WorkerPool.call: index must be in [0, ${this.workers.length}), got ${index}`),
      );
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
   * Run the kernel `fn` once per entry of `chunks` (its arguments) on up to
   * `threads` threads at once and return when every chunk is done: the
   * calling thread and workers 0 .. threads - 2 claim chunks in order from a
   * shared counter (Atomics.compareExchange), so a worker that is slow to wake
   * (asleep, or descheduled on a busy machine) costs nothing: the others take
   * its chunks. No message is sent: a worker waits on its slot of a shared
   * control buffer (spinning ~0.2 ms, then Atomics.wait) and is woken with
   * Atomics.notify; only the first task after an async `call` sends one message
   * to put the worker back in that mode. Workers with `call`s in flight are
   * left out. `works[t]` (thread t: 0 the caller, t the worker t - 1) replaces
   * argument `workArg` of every chunk thread t runs (its own scratch); -1 for
   * none. `kernels` are the calling thread's. Chunks must write disjoint
   * memory. Throws WasmNlpError if a kernel threw (after all chunks finished).
   */
  runTask(
    kernels: Kernels,
    fn: KernelName,
    chunks: readonly (readonly number[])[],
    workArg: number,
    works: readonly number[],
    threads: number,
  ): void {
    const name = 'WorkerPool.runTask';
    if (this.closed) throw new WasmNlpError(`${name}: the pool must be running, got a terminated pool`);
    const fi = this.kernelIndex.get(fn);
    if (fi === undefined)
      throw new WasmNlpError(`${name}: fn must be a kernel of the module, got ${JSON.stringify(fn)}`);
    const n = chunks.length;
    if (n > MAX_CHUNKS) throw new WasmNlpError(`${name}: chunks must number at most ${MAX_CHUNKS}, got ${n}`);
    if (n === 0) return;
    const nargs = chunks[0]!.length;
    if (nargs > MAX_ARGS || chunks.some((c) => c.length !== nargs)) {
      throw new WasmNlpError(
        `${name}: every chunk must have the same number of arguments, at most ${MAX_ARGS}, got ${chunks.map((c) => c.length).join(', ')}`,
      );
    }
    const h = this.taskHead;
    // Close the previous task (a stale worker's claim fails), then write this one.
    const id = (this.taskId = (this.taskId + 1) & ((1 << (32 - CHUNK_BITS - 1)) - 1));
    Atomics.store(h, 0, (id << CHUNK_BITS) | CLOSED);
    h[1] = 0;
    h[2] = fi;
    h[3] = nargs;
    h[4] = n;
    h[5] = workArg;
    h[6] = 0;
    for (let c = 0; c < n; c++) this.taskArgs.set(chunks[c]!, c * MAX_ARGS);
    Atomics.store(h, 0, id << CHUNK_BITS);
    for (let i = 0; i < Math.min(threads - 1, this.workers.length); i++) {
      if (this.busy[i] !== 0) continue;
      const sl = this.slots[i]!;
      if (!this.serving[i]) {
        this.workers[i]!.postMessage({
          type: 'serve',
          ctrl: this.ctrl,
          slot: i,
          taskOff: this.taskOff,
          names: this.kernelNames,
        });
        this.serving[i] = true;
      }
      this.slotWork[i]![0] = works[i + 1] ?? 0;
      Atomics.store(sl, 2, id);
      Atomics.add(sl, 0, 1);
      Atomics.notify(sl, 0);
    }
    // The calling thread's share: claim until none is left.
    const call = (kernels as unknown as Record<string, (...a: number[]) => unknown>)[fn]!;
    let failure: unknown;
    const args: number[] = [];
    for (;;) {
      const v = Atomics.load(h, 0);
      const c = v & CLOSED;
      if (c >= n) break;
      if (Atomics.compareExchange(h, 0, v, v + 1) !== v) continue;
      if (failure === undefined) {
        const row = chunks[c]!;
        for (let j = 0; j < nargs; j++) args[j] = row[j]!;
        if (workArg >= 0) args[workArg] = works[0]!;
        try {
          call(...args);
        } catch (e) {
          failure = e;
        }
      }
      Atomics.add(h, 1, 1);
    }
    // Wait for the chunks workers are still running (at most one each).
    let spins = 0;
    for (let done = Atomics.load(h, 1); done < n; done = Atomics.load(h, 1)) {
      if (this.canBlock && ++spins > 2000) Atomics.wait(h, 1, done, 1);
    }
    Atomics.store(h, 0, (id << CHUNK_BITS) | CLOSED);
    if (failure !== undefined) throw failure;
    if (Atomics.load(h, 6) !== 0)
      throw new WasmNlpError(`worker kernel call failed: ${fn} threw in a worker (a chunk of a synchronous task)`);
  }

  /** Chunks of synchronous tasks worker `index` has run so far (a diagnostic: how much the worker took). */
  chunksRun(index: number): number {
    const sl = this.slots[index];
    return sl === undefined ? 0 : Atomics.load(sl, 3);
  }

  /** Send worker `index` back to its message loop (before an async call); the message queues behind it. */
  private release(index: number): void {
    const sl = this.slots[index]!;
    Atomics.store(sl, 1, 1);
    Atomics.add(sl, 0, 1);
    Atomics.notify(sl, 0);
    this.serving[index] = false;
  }

  /** Stop every worker; pending calls reject. */
  terminate(): void {
    if (this.closed) return;
    this.closed = true;
    for (let i = 0; i < this.workers.length; i++) if (this.serving[i]) this.release(i);
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
