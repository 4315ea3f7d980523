// setThreads(2) in both runtimes (Node worker_threads; Chromium Blob workers,
// whose main thread may not block and spins instead): GEMM and attention
// forward/backward split across the main thread and a worker give the bits of
// one thread, and the worker does take chunks.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rt, shutdown } from '../../src/core/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { setThreads } from '../../src/core/threads.js';
import { attention, attentionBackward } from '../../src/ops/attention.js';
import { linear, linearBackward } from '../../src/ops/linear.js';
import { matmul } from '../../src/ops/matmul.js';
import { softmaxXent, softmaxXentBackward, XENT_PARALLEL_MIN } from '../../src/ops/softmax.js';
import { expectSameBits } from '../helpers/assert.js';
import { initForTests } from '../helpers/runtime.js';

beforeAll(async () => {
  await initForTests({ threads: 2 });
});
afterAll(() => shutdown());

const ALWAYS = { gemmMinMacs: 0, attentionMinMacs: 0 };

function both<T>(f: () => T): [T, T] {
  setThreads(1);
  const one = f();
  setThreads(2, ALWAYS);
  try {
    return [one, f()];
  } finally {
    setThreads(1);
  }
}

const f32 = (t: Tensor) => t.view() as Float32Array;

describe('threads: 2', () => {
  test('matmul NN/NT/TN/TT, bias + relu, odd shapes: the bits of one thread', () => {
    for (const [m, n, k] of [
      [67, 45, 129],
      [1, 131, 17],
      [5, 3, 2],
    ] as const) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = Tensor.randn(ta ? [k, m] : [m, k], { seed: m + k });
          const b = Tensor.randn(tb ? [n, k] : [k, n], { seed: n + k });
          const bias = Tensor.randn([n], { seed: 3 });
          const [one, two] = both(() => matmul(a, b, { transposeA: ta, transposeB: tb, bias, activation: 'relu' }));
          expectSameBits(f32(two), f32(one));
        }
      }
    }
  });

  test('softmax cross-entropy forward and backward over rows split between threads: the bits of one thread', () => {
    // 67 rows × 3,917 classes ≥ XENT_PARALLEL_MIN: split in 4 row ranges; ignored rows and label smoothing included.
    const rows = 67,
      cols = 3917;
    expect(rows * cols).toBeGreaterThanOrEqual(XENT_PARALLEL_MIN);
    const logits = Tensor.randn([rows, cols], { seed: 8, std: 3 });
    const targets = Tensor.fromArray(
      Int32Array.from({ length: rows }, (_, i) => (i % 9 === 4 ? -100 : (i * 131) % cols)),
      [rows],
      'int32',
    );
    for (const labelSmoothing of [0, 0.1]) {
      const [one, two] = both(() => {
        const r = softmaxXent(logits, targets, { labelSmoothing });
        const d = Tensor.zeros([rows, cols]);
        softmaxXentBackward(logits, targets, r.lse, d, { labelSmoothing, dloss: 0.7 });
        return { loss: r.loss, rowLoss: r.rowLoss, lse: r.lse, d };
      });
      expect(two.loss).toBe(one.loss);
      for (const k of ['rowLoss', 'lse', 'd'] as const) expectSameBits(f32(two[k]), f32(one[k]));
    }
  });

  test('linear forward and backward: the bits of one thread', () => {
    const x = Tensor.randn([3, 40, 48], { seed: 1 });
    const w = Tensor.randn([72, 48], { seed: 2, std: 0.2 });
    const dy = Tensor.randn([3, 40, 72], { seed: 3 });
    const [one, two] = both(() => {
      const y = linear(x, w, { activation: 'relu' });
      const g = { dx: Tensor.zeros(x.shape), dweight: Tensor.zeros(w.shape) };
      linearBackward(x, w, y, dy, g, { activation: 'relu' });
      return [y, g.dx, g.dweight];
    });
    for (let i = 0; i < 3; i++) expectSameBits(f32(two[i]!), f32(one[i]!));
  });

  test('attention with key mask, causal and dropout, forward and backward: the bits of one thread; the worker takes chunks', () => {
    const shape = [3, 3, 33, 16];
    const q = Tensor.randn(shape, { seed: 1 });
    const k = Tensor.randn(shape, { seed: 2 });
    const v = Tensor.randn(shape, { seed: 3 });
    const dout = Tensor.randn(shape, { seed: 4 });
    const m = new Int32Array(3 * 33).map((_, i) => (i % 33 < 33 - 7 * Math.floor(i / 33) ? 1 : 0));
    const opts = { keyMask: Tensor.fromArray(m, [3, 33]), causal: true, dropout: { p: 0.2, seed: 9 } };
    const pool = rt('t').pool!;
    const before = pool.chunksRun(0);
    let runs = 0;
    do {
      const [one, two] = both(() => {
        const { out, lse } = attention(q, k, v, opts);
        const g = { dq: Tensor.zeros(shape), dk: Tensor.zeros(shape), dv: Tensor.zeros(shape) };
        attentionBackward(q, k, v, out, lse, dout, g, opts);
        return [out, lse, g.dq, g.dk, g.dv];
      });
      for (let i = 0; i < 5; i++) expectSameBits(f32(two[i]!), f32(one[i]!));
      for (const t of [...one, ...two]) t.dispose();
    } while (pool.chunksRun(0) === before && ++runs < 100);
    expect(pool.chunksRun(0)).toBeGreaterThan(before);
  });
});
