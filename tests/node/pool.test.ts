// The worker pool over shared memory (Node worker_threads): kernels on disjoint
// halves of one buffer while the main thread grows the memory, error
// propagation, terminate() and shutdown().
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ArgumentError, WasmNlpError } from '../../src/core/errors.js';
import { getPlatform } from '../../src/core/platform.js';
import { WorkerPool } from '../../src/core/pool.js';
import { init, rt, shutdown } from '../../src/core/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { matmul } from '../../src/ops/matmul.js';
import { expectClose, expectSameBits } from '../helpers/assert.js';
import { installPlatform } from '../helpers/runtime.js';
import { runNode } from '../helpers/node-process.js';

const MiB = 2 ** 20;
const NODE_BUNDLE = fileURLToPath(new URL('../../dist/wasm-nlp.node.js', import.meta.url));

/** C = A B in float64, row-major. */
function refMatmul(a: Float32Array, b: Float32Array, m: number, n: number, k: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p]!;
      for (let j = 0; j < n; j++) c[i * n + j]! += x * b[p * n + j]!;
    }
  }
  return c;
}

describe('init({ threads: 2 })', () => {
  beforeAll(async () => {
    installPlatform();
    await init({ threads: 2 });
  });
  afterAll(() => shutdown());

  test('uses the mt build over a shared memory with a pool of 2 workers', async () => {
    expect(await init()).toEqual({ build: 'mt', threads: 2, sharedMemory: true, maxMemory: 2 ** 32 });
    const r = rt('t');
    expect(r.build).toBe('mt');
    expect(r.sharedMemory).toBe(true);
    expect(r.pool).toBeInstanceOf(WorkerPool);
    expect(r.pool!.size).toBe(2);
    expect(r.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    // The mt module imports a shared memory.
    const mem = WebAssembly.Module.imports(r.module).find((i) => i.kind === 'memory');
    expect(mem).toEqual({ module: 'env', name: 'memory', kind: 'memory' });
  });

  test('two workers compute disjoint halves of C while the main thread grows memory; C equals the single-threaded product bit for bit', async () => {
    const r = rt('t');
    const pool = r.pool!;
    const [M, N, K] = [512, 512, 512];
    const a = Tensor.randn([M, K], { seed: 1 });
    const b = Tensor.randn([K, N], { seed: 2 });
    const c = Tensor.empty([M, N]);
    c.view().fill(Number.NaN); // so a row no worker wrote cannot pass
    const works = [0, 1].map(() => r.heap.alloc(r.kernels.gemm_workspace_bytes()));
    const half = M / 2;
    const viewBefore = new Float32Array(r.memory.buffer, c.offset, M * N);
    const bufferBefore = r.memory.buffer;
    const bytesBefore = bufferBefore.byteLength;

    const calls = [0, 1].map((i) =>
      pool.call(i, 'gemm_f32', [
        a.offset + i * half * K * 4,
        b.offset,
        0,
        c.offset + i * half * N * 4,
        works[i]!,
        half,
        N,
        K,
        /* lda */ K,
        /* ldb */ N,
        /* ldc */ N,
        0,
        0,
        /* alpha */ 1,
        /* beta */ 0,
        /* act */ 0,
      ]),
    );
    // Before awaiting: grow the memory three times from the main thread.
    const blocks: number[] = [];
    const sizes = [bytesBefore];
    for (let i = 0; i < 3; i++) {
      blocks.push(r.heap.alloc(64 * MiB));
      sizes.push(r.memory.buffer.byteLength);
    }
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]!, `grow ${i}`).toBeGreaterThan(sizes[i - 1]!);
    expect(sizes[3]! - bytesBefore).toBeGreaterThanOrEqual(192 * MiB - 16 * MiB);
    // Touch the new memory from the main thread while the workers may still run.
    for (const p of blocks) new Uint8Array(r.memory.buffer, p, 64 * MiB).fill(0xab);

    expect(await Promise.all(calls)).toEqual([undefined, undefined]);

    // A fresh view after the growth sees what the workers wrote.
    expect(r.memory.buffer).not.toBe(bufferBefore);
    const fresh = new Float32Array(r.memory.buffer, c.offset, M * N).slice();
    const want = matmul(a, b).toArray();
    expectSameBits(fresh, want);
    expectSameBits(c.toArray(), want);
    // Shared memory is never detached: the view made before the growth still reads the same bytes.
    expect(viewBefore.length).toBe(M * N);
    expectSameBits(viewBefore.slice(), want);
    // And it is the right product, not just the same wrong one twice.
    expectClose(want, refMatmul(a.toArray(), b.toArray(), M, N, K), { rtol: 1e-4, atol: 1e-4 });
    // The blocks the main thread filled were not touched by the workers.
    for (const p of blocks) {
      const bytes = new Uint8Array(r.memory.buffer, p, 64 * MiB);
      expect(bytes[0]).toBe(0xab);
      expect(bytes[bytes.length - 1]).toBe(0xab);
    }
    for (const p of blocks) r.heap.free(p);
  });

  test('worker kernels see memory grown after they started', async () => {
    const r = rt('t');
    const pool = r.pool!;
    // Grow past the current end, then have each worker fill normals there and compare with the main thread.
    const n = 1000;
    const oldEnd = r.memory.buffer.byteLength;
    const far = r.heap.alloc(oldEnd + 8 * MiB);
    const out = [far + oldEnd + 2 * MiB, far + oldEnd + 4 * MiB];
    for (const p of out) expect(p).toBeGreaterThan(oldEnd);
    for (const [i, p] of out.entries()) await pool.call(i, 'philox4x32_fill_normal_f32', [p, n, 7, 0, 3, 0, 0, 0, 1]);
    const mine = r.heap.alloc(n * 4);
    r.kernels.philox4x32_fill_normal_f32(mine, n, 7, 0, 3, 0, 0, 0, 1);
    const want = new Float32Array(r.memory.buffer, mine, n);
    for (const p of out) expectSameBits(new Float32Array(r.memory.buffer, p, n), want);
    r.heap.free(mine);
    r.heap.free(far);
  });

  test('a bad kernel name rejects with a WasmNlpError, and the worker keeps working', async () => {
    const pool = rt('t').pool!;
    const p = pool.call(0, 'no_such_kernel' as 'heap_base', [] as []);
    await expect(p).rejects.toThrow(WasmNlpError);
    await expect(p).rejects.toThrow(/^worker kernel call failed: /);
    expect(await pool.call(0, 'heap_base', [])).toBe(rt('t').kernels.heap_base());
    expect(await pool.call(1, 'gemm_workspace_bytes', [])).toBe(rt('t').kernels.gemm_workspace_bytes());
  });

  test('a trap in a worker (out-of-bounds pointer) rejects with a WasmNlpError', async () => {
    const r = rt('t');
    const pool = r.pool!;
    const ok = r.heap.alloc(64);
    const work = r.heap.alloc(r.kernels.gemm_workspace_bytes());
    const beyond = 0xfff0_0000; // past the current memory, within the 4 GiB maximum
    expect(beyond).toBeGreaterThan(r.memory.buffer.byteLength);
    const p = pool.call(1, 'gemm_f32', [ok, ok, 0, beyond, work, 4, 4, 1, 1, 4, 4, 0, 0, 1, 0, 0]);
    await expect(p).rejects.toThrow(WasmNlpError);
    await expect(p).rejects.toThrow(/out of bounds/);
    expect(await pool.call(1, 'heap_base', [])).toBe(r.kernels.heap_base());
  });

  test('a worker index outside the pool rejects with a WasmNlpError', async () => {
    const pool = rt('t').pool!;
    await expect(pool.call(2, 'heap_base', [])).rejects.toThrow(WasmNlpError);
    await expect(pool.call(-1, 'heap_base', [])).rejects.toThrow(/index must be in \[0, 2\), got -1/);
  });

  test('terminate() rejects pending calls and every later call', async () => {
    const r = rt('t');
    // A pool of its own, so the runtime's pool is not affected.
    const pool = await WorkerPool.start(getPlatform()!, r.module, r.memory, 1);
    expect(pool.size).toBe(1);
    expect(await pool.call(0, 'heap_base', [])).toBe(r.kernels.heap_base());
    const [M, N, K] = [1024, 1024, 1024];
    const a = r.heap.alloc(M * K * 4);
    const b = r.heap.alloc(K * N * 4);
    const c = r.heap.alloc(M * N * 4);
    const work = r.heap.alloc(r.kernels.gemm_workspace_bytes());
    const pending = pool.call(0, 'gemm_f32', [a, b, 0, c, work, M, N, K, K, N, N, 0, 0, 1, 0, 0]);
    const pending2 = pool.call(0, 'heap_base', []);
    pool.terminate();
    await expect(pending).rejects.toThrow(WasmNlpError);
    await expect(pending).rejects.toThrow(/terminated/);
    await expect(pending2).rejects.toThrow(/terminated/);
    await expect(pool.call(0, 'heap_base', [])).rejects.toThrow(WasmNlpError);
    await expect(pool.call(0, 'heap_base', [])).rejects.toThrow(/must be running, got a terminated pool/);
    expect(() => pool.terminate()).not.toThrow(); // idempotent
    // The runtime's own pool is unaffected.
    expect(await r.pool!.call(0, 'heap_base', [])).toBe(r.kernels.heap_base());
    for (const p of [a, b, c, work]) r.heap.free(p);
  });

  test('shutdown() terminates the runtime pool: pending and later calls reject', async () => {
    const r = rt('t');
    const pool = r.pool!;
    const pending = pool.call(0, 'heap_base', []);
    shutdown();
    await expect(pending).rejects.toThrow(WasmNlpError);
    await expect(pool.call(1, 'heap_base', [])).rejects.toThrow(/terminated pool/);
    // init() may start a new pool afterwards.
    installPlatform();
    await init({ threads: 2 });
    expect(rt('t').pool).not.toBe(pool);
    expect(await rt('t').pool!.call(1, 'heap_base', [])).toBe(rt('t').kernels.heap_base());
  });

  test('threads: 3 starts 3 workers', async () => {
    shutdown();
    installPlatform();
    await init({ threads: 3 });
    const pool = rt('t').pool!;
    expect(pool.size).toBe(3);
    expect(await Promise.all([0, 1, 2].map((i) => pool.call(i, 'heap_base', [])))).toEqual(
      [0, 1, 2].map(() => rt('t').kernels.heap_base()),
    );
  });

  test('threads > 1 with debug is an ArgumentError', async () => {
    shutdown();
    await expect(init({ threads: 2, debug: true })).rejects.toThrow(ArgumentError);
  });
});

describe('process exit', () => {
  test('a script that uses threads and calls shutdown() exits by itself', async () => {
    const code = `
      import(${JSON.stringify(new URL(`file://${NODE_BUNDLE}`).href)}).then(async (w) => {
        const info = await w.init({ threads: 2 });
        const a = w.Tensor.fromArray([1, 2, 3, 4], [2, 2]);
        const c = w.ops.matmul(a, a);
        console.log(info.build, info.threads, JSON.stringify(c.toNested()));
        w.shutdown();
      });`;
    const r = await runNode(['--input-type=commonjs', '-e', code]);
    expect(r.timedOut, `the process hung; stderr: ${r.stderr}`).toBe(false);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('mt 2 [[7,10],[15,22]]');
  });
});
