// gemv_f32 / gemv_range_f32 (matrix times up to a few rows, W read where it is
// stored) against the float64 reference and gemm_f32, and the dispatch of the
// short products of matmul and linear to it, on one thread and on two.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rt, shutdown } from '../../src/core/runtime.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { setThreads } from '../../src/core/threads.js';
import { linear } from '../../src/ops/linear.js';
import { gemm, gemmWorkspace, matmul } from '../../src/ops/matmul.js';
import { expectClose, expectSameBits } from '../helpers/assert.js';
import { initForTests } from '../helpers/runtime.js';
import { refGemm, seeded } from '../reference/gemm.js';

beforeAll(async () => {
  await initForTests({ threads: 2 });
});
afterAll(() => shutdown());

/** One product: y (m, n) = alpha x op(W) + beta y (+ bias, relu); W (n, k) when nt, else (k, n). */
interface Case {
  m: number;
  n: number;
  k: number;
  nt: boolean;
  ldx?: number;
  ldw?: number;
  ldy?: number;
  alpha?: number;
  beta?: number;
  bias?: boolean;
  relu?: boolean;
}

/** The inputs of a case, seeded by its shape; y holds its initial values (gaps included). */
function inputs(c: Case) {
  const ldx = c.ldx ?? c.k;
  const ldw = c.ldw ?? (c.nt ? c.k : c.n);
  const ldy = c.ldy ?? c.n;
  const span = (rows: number, cols: number, ld: number) => (rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols);
  const seed = c.m * 7919 + c.n * 31 + c.k;
  return {
    ldx,
    ldw,
    ldy,
    x: seeded(Math.max(1, span(c.m, c.k, ldx)), seed),
    w: seeded(Math.max(1, c.nt ? span(c.n, c.k, ldw) : span(c.k, c.n, ldw)), seed + 1),
    bias: c.bias === true ? seeded(Math.max(1, c.n), seed + 2) : undefined,
    y: seeded(Math.max(1, span(c.m, c.n, ldy)), seed + 3),
  };
}

type Kernel = 'gemv' | 'gemm' | { n0: number; n1: number }[];

/** Runs the case with gemv_f32, gemm_f32, or gemv_range_f32 over the given column ranges; returns y. */
function run(c: Case, kernel: Kernel): Float32Array {
  const r = rt('test');
  const { ldx, ldw, ldy, x, w, bias, y } = inputs(c);
  return tidy(() => {
    const tx = Tensor.fromArray(x);
    const tw = Tensor.fromArray(w);
    const tb = bias !== undefined ? Tensor.fromArray(bias) : undefined;
    const ty = Tensor.fromArray(y);
    const args = [c.m, c.n, c.k, ldx, ldw, ldy] as const;
    const [alpha, beta, act] = [c.alpha ?? 1, c.beta ?? 0, c.relu === true ? 1 : 0];
    const b = tb?.offset ?? 0;
    const tr = c.nt ? 1 : 0;
    if (kernel === 'gemv') r.kernels.gemv_f32(tx.offset, tw.offset, b, ty.offset, ...args, tr, alpha, beta, act);
    else if (kernel === 'gemm')
      r.kernels.gemm_f32(tx.offset, tw.offset, b, ty.offset, gemmWorkspace(r), ...args, 0, tr, alpha, beta, act);
    else
      for (const { n0, n1 } of kernel)
        r.kernels.gemv_range_f32(tx.offset, tw.offset, b, ty.offset, ...args, tr, alpha, beta, act, n0, n1);
    return Float32Array.from(ty.view() as Float32Array);
  });
}

/** The float64 reference of a case (y and its per-element f32 error bound). */
function reference(c: Case) {
  const { ldx, ldw, ldy, x, w, bias, y } = inputs(c);
  return refGemm(x, w, y, {
    m: c.m,
    n: c.n,
    k: c.k,
    transB: c.nt,
    lda: ldx,
    ldb: ldw,
    ldc: ldy,
    alpha: c.alpha,
    beta: c.beta,
    bias,
    relu: c.relu,
  });
}

/** gemv = the f64 reference within its f32 bound, and = gemm_f32 within 1e-6 of the sum of |terms|, gaps untouched. */
function check(c: Case): void {
  const got = run(c, 'gemv');
  // ref.out holds y's gaps (columns past n of a strided y) unchanged, with tolerance 0 there.
  const ref = reference(c);
  expectClose(got, ref.out, { tol: ref.tol });
  // gemm_f32 sums the k terms in another order: the two agree to 1e-6 of the magnitude of the
  // terms, |alpha| sum |x w| + |beta y| + |bias| (ref.tol is (k + 2) 2^-23 times it).
  const scale = Float64Array.from(ref.tol, (t) => (1e-6 * t) / ((c.k + 2) * 2 ** -23));
  expectClose(got, run(c, 'gemm'), { tol: scale });
}

describe('gemv_f32 = float64 reference and gemm_f32', () => {
  for (const nt of [true, false]) {
    for (const m of [1, 2, 3, 4, 5]) {
      for (const k of [1, 3, 17, 768]) {
        test(`${nt ? 'NT' : 'NN'} m=${m} k=${k}, n = 1, 7, 33, 4999`, () => {
          for (const n of [1, 7, 33, 4999]) check({ m, n, k, nt });
        });
      }
    }
  }

  test('alpha, beta, bias, ReLU and strides (gaps of y left alone)', () => {
    for (const nt of [true, false]) {
      check({ m: 3, n: 37, k: 19, nt, alpha: 0.5, beta: -1.5 });
      check({ m: 4, n: 41, k: 70, nt, alpha: -2, beta: 0.25, bias: true, relu: true });
      check({ m: 1, n: 29, k: 257, nt, bias: true });
      check({ m: 2, n: 23, k: 9, nt, ldx: 13, ldw: nt ? 11 : 27, ldy: 30, alpha: 1.25, beta: 2, bias: true });
      check({ m: 5, n: 19, k: 33, nt, ldx: 40, ldw: nt ? 35 : 21, ldy: 22, relu: true });
    }
  });

  test('k = 0: beta y + bias, as gemm_f32, bit for bit', () => {
    for (const nt of [true, false]) {
      for (const c of [
        { m: 3, n: 9, k: 0, nt, alpha: -2, beta: 0, bias: true },
        { m: 2, n: 5, k: 0, nt, beta: 0.5, bias: true, relu: true },
        { m: 1, n: 6, k: 0, nt },
      ]) {
        const got = run(c, 'gemv');
        expectSameBits(got, run(c, 'gemm'));
        const ref = reference(c);
        expectClose(got, ref.out, { tol: ref.tol });
      }
    }
  });

  test('beta = 0 does not read y (NaN there is ignored)', () => {
    const r = rt('test');
    for (const nt of [true, false]) {
      tidy(() => {
        const x = Tensor.fromArray(seeded(2 * 5, 1), [2, 5]);
        const w = Tensor.fromArray(seeded(5 * 6, 2));
        const y = Tensor.fromArray(new Float32Array(2 * 6).fill(NaN), [2, 6]);
        r.kernels.gemv_f32(x.offset, w.offset, 0, y.offset, 2, 6, 5, 5, nt ? 5 : 6, 6, nt ? 1 : 0, 1, 0, 0);
        expect(Array.from(y.view() as Float32Array).every(Number.isFinite)).toBe(true);
      });
    }
  });
});

describe('summation order depends on k only', () => {
  test('gemv_range_f32 over any cut of the columns = gemv_f32, bit for bit; other columns untouched', () => {
    for (const nt of [true, false]) {
      for (const [m, n, k] of [
        [1, 4999, 37],
        [3, 101, 768],
        [4, 57, 5],
        [5, 33, 18],
      ] as const) {
        const c = { m, n, k, nt, alpha: 0.75, beta: -0.5, bias: true, relu: true };
        const whole = run(c, 'gemv');
        for (const cut of [
          [0, n],
          [0, 1, 5, 22, n],
          [0, 16, 17, n - 1, n],
          [0, Math.floor(n / 3), n],
        ]) {
          const ranges = cut.slice(1).map((n1, i) => ({ n0: cut[i]!, n1 }));
          expectSameBits(run(c, ranges), whole);
        }
        // One range alone writes its columns only.
        const part = run(c, [{ n0: 1, n1: n - 1 }]);
        const y0 = inputs(c).y;
        for (let i = 0; i < m; i++) {
          expect(part[i * n]).toBe(y0[i * n]);
          expect(part[i * n + n - 1]).toBe(y0[i * n + n - 1]);
          expect(part[i * n + 1]).toBe(whole[i * n + 1]);
        }
      }
    }
  });

  test('a row of y does not depend on the rows computed with it (m = 5 = five m = 1 products)', () => {
    const r = rt('test');
    for (const nt of [true, false]) {
      const [m, n, k] = [5, 43, 61];
      tidy(() => {
        const x = Tensor.fromArray(seeded(m * k, 3), [m, k]);
        const w = Tensor.fromArray(seeded(n * k, 4));
        const bias = Tensor.fromArray(seeded(n, 5));
        const all = Tensor.zeros([m, n]);
        r.kernels.gemv_f32(x.offset, w.offset, bias.offset, all.offset, m, n, k, k, nt ? k : n, n, nt ? 1 : 0, 1, 0, 0);
        const one = Tensor.zeros([1, n]);
        for (let i = 0; i < m; i++) {
          r.kernels.gemv_f32(
            x.offset + 4 * i * k,
            w.offset,
            bias.offset,
            one.offset,
            1,
            n,
            k,
            k,
            nt ? k : n,
            n,
            nt ? 1 : 0,
            1,
            0,
            0,
          );
          expectSameBits(one.view() as Float32Array, (all.view() as Float32Array).subarray(i * n, (i + 1) * n));
        }
      });
    }
  });
});

describe('dispatch: short products of matmul, gemm and linear run gemv_f32', () => {
  test('matmul and gemm with m <= 4 (NT) or m <= 2 (NN) give gemv_f32 bits; longer ones gemm_f32 bits', () => {
    for (const nt of [true, false]) {
      for (const m of [1, 2, 3, 4, 5, 9]) {
        const c = { m, n: 75, k: 130, nt, bias: true, relu: true };
        const { x, w, bias } = inputs(c);
        const viaGemv = m <= (nt ? 4 : 2);
        const want = run(c, viaGemv ? 'gemv' : 'gemm');
        tidy(() => {
          const a = Tensor.fromArray(x, [m, 130]);
          const b = Tensor.fromArray(w, nt ? [75, 130] : [130, 75]);
          const out = matmul(a, b, { transposeB: nt, bias: Tensor.fromArray(bias!), activation: 'relu' });
          expectSameBits(out.view() as Float32Array, want);
        });
        const viaGemm = gemm(x, w, { m, n: 75, k: 130, transposeB: nt, bias, activation: 'relu' });
        expectSameBits(viaGemm, want);
      }
    }
  });

  test('linear at batch 1 (x [1, 1, in]) gives gemv_f32 bits', () => {
    const c = { m: 1, n: 301, k: 96, nt: true, bias: true };
    const { x, w, bias } = inputs(c);
    tidy(() => {
      const y = linear(Tensor.fromArray(x, [1, 1, 96]), Tensor.fromArray(w, [301, 96]), {
        bias: Tensor.fromArray(bias!),
      });
      expect(y.shape).toEqual([1, 1, 301]);
      expectSameBits(y.view() as Float32Array, run(c, 'gemv'));
    });
  });
});

describe('gemv over 2 threads (column ranges)', () => {
  test('matmul NT and NN, m = 1..4, the bits of one thread; the worker takes chunks', () => {
    const pool = rt('t').pool!;
    const before = pool.chunksRun(0);
    let runs = 0;
    do {
      for (const nt of [true, false]) {
        for (const m of [1, 2, 3, 4]) {
          const [n, k] = [4999, 97];
          tidy(() => {
            const a = Tensor.fromArray(seeded(m * k, m), [m, k]);
            const b = Tensor.fromArray(seeded(n * k, 7), nt ? [n, k] : [k, n]);
            const bias = Tensor.fromArray(seeded(n, 8));
            const c0 = Tensor.fromArray(seeded(m * n, 9), [m, n]);
            const go = () => {
              const out = Tensor.fromArray(c0.view() as Float32Array, [m, n]);
              matmul(a, b, { transposeB: nt, bias, activation: 'relu', alpha: 0.5, beta: 2, out });
              return Float32Array.from(out.view() as Float32Array);
            };
            setThreads(1);
            const one = go();
            setThreads(2, { gemmMinMacs: 0 });
            try {
              expectSameBits(go(), one);
            } finally {
              setThreads(1);
            }
          });
        }
      }
    } while (pool.chunksRun(0) === before && ++runs < 50);
    expect(pool.chunksRun(0)).toBeGreaterThan(before);
  });
});
