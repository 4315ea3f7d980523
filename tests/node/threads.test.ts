// setThreads(2): GEMM (matmul, gemm, linear and its backward) and attention
// (forward and backward) split between the main thread and a pool worker over
// shared memory (WorkerPool.runTask, Atomics), bit-identical to one thread;
// the async pool.call (trainParallel) keeps working around the synchronous jobs.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { ArgumentError } from '../../src/core/errors.js';
import { init, rt, shutdown } from '../../src/core/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { getThreads, setThreads } from '../../src/core/threads.js';
import { type AttentionOptions, attention, attentionBackward } from '../../src/ops/attention.js';
import { linear, linearBackward } from '../../src/ops/linear.js';
import { gemm, matmul } from '../../src/ops/matmul.js';
import { SgnsTrainer } from '../../src/models/vectors/sgns-trainer.js';
import * as F from '../../src/autograd/functional.js';
import { Parameter } from '../../src/autograd/parameter.js';
import { step } from '../../src/autograd/tape.js';
import { sgdStep } from '../../src/ops/optim.js';
import { expectSameBits } from '../helpers/assert.js';
import { runNode } from '../helpers/node-process.js';
import { installPlatform } from '../helpers/runtime.js';

const NODE_BUNDLE = fileURLToPath(new URL('../../dist/wasm-nlp.node.js', import.meta.url));

/** Split even the smallest shapes (the figures for the default thresholds are in the docs). */
const ALWAYS = { gemmMinMacs: 0, attentionMinMacs: 0 };

beforeAll(async () => {
  installPlatform();
  await init({ threads: 2 });
});
afterAll(() => shutdown());

/** Run `f` with 1 and then 2 threads; returns both results and how many jobs went to workers with 2. */
function both<T>(f: () => T): { one: T; two: T; posted: number } {
  const pool = rt('t').pool!;
  setThreads(1);
  const one = f();
  setThreads(2, ALWAYS);
  const spy = vi.spyOn(pool, 'runTask');
  try {
    const two = f();
    return { one, two, posted: spy.mock.calls.length };
  } finally {
    spy.mockRestore();
    setThreads(1);
  }
}

describe('setThreads / getThreads', () => {
  test('default 1; 2 with a pool of 2; typed errors above the pool size or for bad values', () => {
    expect(getThreads()).toBe(1);
    setThreads(2);
    expect(getThreads()).toBe(2);
    setThreads(1);
    expect(getThreads()).toBe(1);
    expect(() => setThreads(3)).toThrow(ArgumentError);
    expect(() => setThreads(3)).toThrow(
      /^setThreads: threads must be at most the worker pool size, got 3 with a pool of 2/,
    );
    for (const bad of [0, 1.5, -1, 65, Number.NaN])
      expect(() => setThreads(bad), String(bad)).toThrow(/^setThreads: threads must be an integer in \[1, 64\]/);
    expect(() => setThreads(2, { gemmMinMacs: -1 })).toThrow(
      /^setThreads: gemmMinMacs must be a non-negative integer, got -1/,
    );
    expect(() => setThreads(2, { attentionMinMacs: 0.5 })).toThrow(
      /^setThreads: attentionMinMacs must be a non-negative integer, got 0.5/,
    );
    expect(() => setThreads(2, null as never)).toThrow(/^setThreads: options must be an object, got null/);
    expect(getThreads()).toBe(1);
  });

  test('default thresholds: a 16x16x16 GEMM and a tiny attention stay on one thread, 128x256x256 and B=2,H=2,S=128,D=32 split', () => {
    const pool = rt('t').pool!;
    const spy = vi.spyOn(pool, 'runTask');
    setThreads(2);
    try {
      const small = Tensor.randn([16, 16], { seed: 1 });
      matmul(small, small).dispose();
      const q = Tensor.randn([1, 2, 16, 8], { seed: 1 });
      attention(q, q, q).out.dispose();
      expect(spy).not.toHaveBeenCalled();
      const a = Tensor.randn([128, 256], { seed: 1 });
      const b = Tensor.randn([256, 256], { seed: 2 });
      matmul(a, b).dispose();
      expect(spy).toHaveBeenCalledTimes(1);
      const q2 = Tensor.randn([2, 2, 128, 32], { seed: 1 });
      attention(q2, q2, q2).out.dispose();
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
      setThreads(1);
    }
  });
});

describe('WorkerPool.runTask', () => {
  test('chunks run on both threads give the one-thread bits; a trap throws and the next task works; pool.call still works', async () => {
    const r = rt('t');
    const pool = r.pool!;
    const n = 4096;
    const parts = 16;
    const mine = r.heap.alloc(n * 4);
    const theirs = r.heap.alloc(n * 4);
    // Chunk c fills elements [c n/parts, (c + 1) n/parts): block counter c n / (4 parts), the words of one call.
    r.kernels.philox4x32_fill_normal_f32(mine, n, 7, 0, 3, 0, 0, 0, 1);
    const chunks = Array.from({ length: parts }, (_, c) => [
      theirs + (c * n * 4) / parts,
      n / parts,
      7,
      0,
      3,
      (c * n) / (4 * parts),
      0,
      0,
      1,
    ]);
    for (let rep = 0; rep < 5; rep++) {
      new Float32Array(r.memory.buffer, theirs, n).fill(Number.NaN);
      pool.runTask(r.kernels, 'philox4x32_fill_normal_f32', chunks, -1, [], 2);
      expectSameBits(new Float32Array(r.memory.buffer, theirs, n), new Float32Array(r.memory.buffer, mine, n));
    }
    // The worker does take chunks (on a loaded machine it may be late for a few tasks).
    const a = Tensor.randn([256, 256], { seed: 1 });
    const c = Tensor.empty([256, 256]);
    setThreads(2, ALWAYS);
    const before = pool.chunksRun(0);
    for (let i = 0; i < 200 && pool.chunksRun(0) === before; i++) matmul(a, a, { out: c });
    setThreads(1);
    expect(pool.chunksRun(0)).toBeGreaterThan(before);
    expect(() => pool.runTask(r.kernels, 'nope' as 'heap_base', [[1]], -1, [], 2)).toThrow(
      /^WorkerPool\.runTask: fn must be a kernel of the module/,
    );
    // Out of bounds: a trap on whichever thread took the chunk; every chunk still finishes.
    const bad = chunks.map((c, i) => (i === 5 ? [0xfff0_0000, ...c.slice(1)] : c));
    expect(() => pool.runTask(r.kernels, 'philox4x32_fill_normal_f32', bad, -1, [], 2)).toThrow();
    pool.runTask(r.kernels, 'philox4x32_fill_normal_f32', chunks, -1, [], 2);
    // Back to the message loop for an async call, then synchronous again.
    expect(await pool.call(0, 'gemm_workspace_bytes', [])).toBe(r.kernels.gemm_workspace_bytes());
    new Float32Array(r.memory.buffer, theirs, n).fill(0);
    pool.runTask(r.kernels, 'philox4x32_fill_normal_f32', chunks, -1, [], 2);
    expectSameBits(new Float32Array(r.memory.buffer, theirs, n), new Float32Array(r.memory.buffer, mine, n));
    r.heap.free(mine);
    r.heap.free(theirs);
  });
});

describe('GEMM with 2 threads is bit-identical to 1', () => {
  // [m, n, k]: M < threads, 1x1, primes, wide and short (column split), k = 0, the transformer size.
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 1, 300],
    [2, 3, 5],
    [1, 97, 300],
    [3, 257, 31],
    [131, 257, 263],
    [300, 1, 50],
    [257, 9, 7],
    [37, 41, 0],
    [128, 256, 256],
  ];
  test.each(shapes)('matmul %i x %i x %i: NN, NT, TN, TT, with bias, relu, alpha and beta', (m, n, k) => {
    const a = Tensor.randn([m, k], { seed: m * 7 + 1 });
    const at = Tensor.randn([k, m], { seed: m * 7 + 2 });
    const b = Tensor.randn([k, n], { seed: n * 5 + 3 });
    const bt = Tensor.randn([n, k], { seed: n * 5 + 4 });
    const bias = Tensor.randn([n], { seed: 9 });
    const c0 = Tensor.randn([m, n], { seed: 10 });
    let split = 0;
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const A = ta ? at : a;
        const B = tb ? bt : b;
        const opts = { transposeA: ta, transposeB: tb };
        const plain = both(() => matmul(A, B, opts));
        expectSameBits(plain.two.view() as Float32Array, plain.one.view() as Float32Array);
        const full = both(() => {
          const out = Tensor.fromArray(c0.view(), [m, n]);
          return matmul(A, B, { ...opts, bias, activation: 'relu', alpha: 0.5, beta: -0.75, out });
        });
        expectSameBits(full.two.view() as Float32Array, full.one.view() as Float32Array);
        split += plain.posted + full.posted;
        for (const t of [plain.one, plain.two, full.one, full.two]) t.dispose();
      }
    }
    // Shapes with more than one micro-tile along the split axis really ran on the worker.
    if (m > 4 || n > 8) expect(split).toBeGreaterThan(0);
    else expect(split).toBe(0);
    for (const t of [a, at, b, bt, bias, c0]) t.dispose();
  });

  test('gemm on Float32Arrays with leading dimensions (strided C)', () => {
    const [m, n, k] = [29, 70, 33];
    const a = Tensor.randn([m * 40], { seed: 1 }).toArray();
    const b = Tensor.randn([k * 80], { seed: 2 }).toArray();
    const c = Tensor.randn([m * 75], { seed: 3 }).toArray();
    const opts = { m, n, k, lda: 40, ldb: 80, ldc: 75, beta: 1, alpha: 2 };
    const r = both(() => gemm(a, b, { ...opts, c: c.slice() }));
    expect(r.posted).toBeGreaterThan(0);
    expectSameBits(r.two, r.one);
  });
});

describe('linear with 2 threads is bit-identical to 1', () => {
  test.each([
    [[4, 33, 64], 96, 'relu'],
    [[1, 1, 7], 3, 'none'],
    [[130, 257], 131, 'relu'],
  ] as const)('x %j, out %i, %s: forward, dx, dweight, dbias', (xShape, out, act) => {
    const K = xShape[xShape.length - 1]!;
    const x = Tensor.randn(xShape, { seed: 1 });
    const w = Tensor.randn([out, K], { seed: 2, std: 0.1 });
    const bias = Tensor.randn([out], { seed: 3 });
    const dy = Tensor.randn([...xShape.slice(0, -1), out], { seed: 4 });
    const run = () => {
      const y = linear(x, w, { bias, activation: act });
      const grads = {
        dx: Tensor.fromArray(Tensor.randn(xShape, { seed: 5 }).view(), xShape),
        dweight: Tensor.zeros([out, K]),
        dbias: Tensor.zeros([out]),
      };
      linearBackward(x, w, y, dy, grads, { activation: act });
      return [y, grads.dx, grads.dweight, grads.dbias];
    };
    const r = both(run);
    for (let i = 0; i < 4; i++) expectSameBits(r.two[i]!.view() as Float32Array, r.one[i]!.view() as Float32Array);
    if (x.size / K > 4 || out > 8) expect(r.posted).toBeGreaterThan(0);
  });
});

describe('attention with 2 threads is bit-identical to 1', () => {
  const cases: [string, [number, number, number, number], (B: number, S: number) => AttentionOptions][] = [
    ['plain, odd head count', [3, 3, 37, 16], () => ({})],
    ['key mask + causal', [2, 3, 29, 8], (B, S) => ({ keyMask: mask(B, S), causal: true })],
    [
      'dropout + float mask + scale',
      [3, 1, 65, 24],
      (B, S) => ({ keyMask: mask(B, S, 'float32'), dropout: { p: 0.25, seed: 11, stream: 2, counter: 5 }, scale: 0.3 }),
    ],
    ['one head (no split)', [1, 1, 20, 8], () => ({ causal: true, dropout: { p: 0.1, seed: 3 } })],
    [
      'B = 8, H = 4, S = 128, D = 64',
      [8, 4, 128, 64],
      (B, S) => ({ keyMask: mask(B, S), dropout: { p: 0.1, seed: 1 } }),
    ],
  ];
  test.each(cases)('%s: out, lse, dq, dk, dv', (_name, shape, options) => {
    const [B, , S] = shape;
    const q = Tensor.randn(shape, { seed: 1 });
    const k = Tensor.randn(shape, { seed: 2 });
    const v = Tensor.randn(shape, { seed: 3 });
    const dout = Tensor.randn(shape, { seed: 4 });
    const opts = options(B, S);
    const run = () => {
      const { out, lse } = attention(q, k, v, opts);
      const grads = {
        dq: Tensor.zeros(shape),
        dk: Tensor.fromArray(Tensor.randn(shape, { seed: 6 }).view(), shape),
        dv: Tensor.zeros(shape),
      };
      attentionBackward(q, k, v, out, lse, dout, grads, opts);
      return [out, lse, grads.dq, grads.dk, grads.dv];
    };
    const r = both(run);
    for (let i = 0; i < 5; i++) expectSameBits(r.two[i]!.view() as Float32Array, r.one[i]!.view() as Float32Array);
    expect(r.posted).toBe(shape[0] * shape[1] > 1 ? 2 : 0);
  });
});

/** [B, S] 0/1 mask: batch row b keeps its first S - 3b keys (at least 1). */
function mask(B: number, S: number, dtype: 'int32' | 'float32' = 'int32'): Tensor {
  const m = new Float32Array(B * S);
  for (let b = 0; b < B; b++) for (let j = 0; j < S; j++) m[b * S + j] = j < Math.max(1, S - 3 * b) ? 1 : 0;
  return Tensor.fromArray(m, [B, S], dtype);
}

describe('autograd through the threaded ops (no change at the call sites)', () => {
  test('3 SGD steps of a one-block attention classifier: the same parameter bits with 1 and 2 threads', () => {
    const [B, S, D, H, C] = [4, 32, 64, 4, 3];
    const x = Tensor.randn([B, S, D], { seed: 1 });
    const y = Tensor.fromArray(Int32Array.from([0, 1, 2, 1]), [B], 'int32');
    const keyMask = mask(B, S);
    const train = (): Float32Array[] => {
      const params = [
        new Parameter(Tensor.randn([3 * D, D], { seed: 2, std: 0.1 })),
        new Parameter(Tensor.zeros([3 * D])),
        new Parameter(Tensor.randn([D, D], { seed: 3, std: 0.1 })),
        new Parameter(Tensor.randn([C, D], { seed: 4, std: 0.1 })),
      ];
      const [wqkv, bqkv, wo, wc] = params as [Parameter, Parameter, Parameter, Parameter];
      for (let i = 0; i < 3; i++) {
        step(() => {
          const [q, k, v] = F.split(F.linear(x, wqkv, bqkv), [D, D, D]).map((t) => F.splitHeads(t, H));
          const a = F.attention(q!, k!, v!, { keyMask, causal: true, dropout: { p: 0.1, seed: 5, counter: i * 1e6 } });
          const h = F.linear(F.mergeHeads(a), wo, undefined, { activation: 'relu' });
          const loss = F.crossEntropy(F.linear(F.meanPool(h, { mask: keyMask }), wc), y);
          loss.backward();
          for (const p of params) sgdStep(p.value, p.grad!, {}, { lr: 0.1 });
          for (const p of params) p.zeroGrad();
        });
      }
      const out = params.map((p) => p.value.toArray());
      for (const p of params) p.dispose();
      return out;
    };
    const { one, two, posted } = both(train);
    expect(posted).toBeGreaterThan(0);
    for (let i = 0; i < one.length; i++) expectSameBits(two[i]!, one[i]!);
  });
});

describe('around the async pool', () => {
  test('a worker with a call in flight is left out of a task: the main thread does every chunk', async () => {
    const r = rt('t');
    const pool = r.pool!;
    const a = Tensor.randn([64, 64], { seed: 1 });
    setThreads(1);
    const want = matmul(a, a);
    const big = r.heap.alloc(4 << 20);
    const inFlight = pool.call(0, 'philox4x32_fill_normal_f32', [big, 1 << 20, 1, 0, 0, 0, 0, 0, 1]);
    setThreads(2, ALWAYS);
    const got = matmul(a, a);
    setThreads(1);
    await inFlight;
    expectSameBits(got.view() as Float32Array, want.view() as Float32Array);
    r.heap.free(big);
  });

  test('sgns trainParallel on both workers still works after synchronous jobs, and synchronous jobs after it', async () => {
    const V = 20;
    const rng = Tensor.rand([4000], { seed: 4 }).toArray();
    const ids = Int32Array.from(rng, (u, i) => (i % 9 === 8 ? 0 : 1 + Math.floor(u * (V - 1))));
    const counts = new Array<number>(V).fill(0);
    for (const id of ids) counts[id]!++;
    const win = Tensor.randn([V, 8], { seed: 1, std: 0.05 });
    const wout = Tensor.zeros([V, 8]);
    const tr = new SgnsTrainer(win, wout, {
      window: 2,
      negative: 3,
      model: 'skipgram',
      loss: 'ns',
      sample: 0,
      lr: 0.025,
      totalWords: ids.length,
      seed: 5,
      eosId: 0,
      counts,
    });
    const x = Tensor.randn([40, 70], { seed: 8 });
    const { one, two, posted } = both(() => matmul(x, x, { transposeB: true }));
    expect(posted).toBeGreaterThan(0);
    expectSameBits(two.view() as Float32Array, one.view() as Float32Array);
    const n = await tr.trainParallel(ids, 2);
    expect(n).toBe(ids.filter((id) => id !== 0).length); // tokens besides EOS
    for (const t of tr.threadStats) expect(t.processed).toBeGreaterThan(0);
    expect(win.toArray().every(Number.isFinite)).toBe(true);
    const again = both(() => matmul(x, x, { transposeB: true }));
    expect(again.posted).toBeGreaterThan(0);
    expectSameBits(again.two.view() as Float32Array, one.view() as Float32Array);
    tr.dispose();
  });

  test('shutdown() resets the setting; setThreads(2) without a pool is a typed error', async () => {
    setThreads(2);
    shutdown();
    expect(getThreads()).toBe(1);
    await init();
    expect(() => setThreads(2)).toThrow(
      /^setThreads: threads must be at most the worker pool size, got 2 with no worker pool/,
    );
    setThreads(1);
    shutdown();
  });
});

describe('process exit', () => {
  // Workers in synchronous mode sit in Atomics.wait: they must not keep Node alive.
  test.each([true, false])(
    'a script that runs a 2-thread GEMM exits by itself (shutdown() called: %s)',
    async (callShutdown) => {
      const code = `
      import(${JSON.stringify(new URL(`file://${NODE_BUNDLE}`).href)}).then(async (w) => {
        await w.init({ threads: 2 });
        w.setThreads(2);
        const a = w.Tensor.randn([256, 256], { seed: 1 });
        const c = w.ops.matmul(a, a);
        w.setThreads(1);
        const d = w.ops.matmul(a, a);
        const [x, y] = [c.toArray(), d.toArray()];
        console.log(w.getThreads(), x.every((v, i) => Object.is(v, y[i])));
        ${callShutdown ? 'w.shutdown();' : ''}
      });`;
      const r = await runNode(['--input-type=commonjs', '-e', code]);
      expect(r.timedOut, `the process hung; stderr: ${r.stderr}`).toBe(false);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('1 true');
    },
  );
});
