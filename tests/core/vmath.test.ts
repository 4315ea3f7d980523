import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { rt } from '../../src/core/runtime.js';

beforeAll(async () => {
  await initForTests();
});

type Probe = 'vmath_exp' | 'vmath_tanh' | 'vmath_sigmoid' | 'vmath_erf';

/** Run a vmath probe over xs (as float32) and return the results. */
function run(probe: Probe, xs: Float32Array): Float32Array {
  const r = rt('test');
  const n = xs.length;
  const px = r.heap.alloc(n * 4);
  const po = r.heap.alloc(n * 4);
  try {
    new Float32Array(r.memory.buffer, px, n).set(xs);
    r.kernels[probe](px, po, n);
    return new Float32Array(r.memory.buffer, po, n).slice();
  } finally {
    r.heap.free(px);
    r.heap.free(po);
  }
}

/** n float32 points evenly spread over [lo, hi], plus the ends. */
function grid(lo: number, hi: number, n: number): Float32Array {
  const xs = new Float32Array(n + 2);
  for (let i = 0; i < n; i++) xs[i] = lo + ((hi - lo) * i) / (n - 1);
  xs[n] = lo;
  xs[n + 1] = hi;
  return xs;
}

// float64 erf to ~1e-15 (series for small x, continued fraction for large); for reference only.
function erf64(x: number): number {
  const ax = Math.abs(x);
  let y: number;
  if (ax < 2.5) {
    // Maclaurin series: 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax,
      sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    y = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc continued fraction (Lentz), accurate for x >= 2.5
    let f = ax,
      C = ax,
      D = 0;
    for (let k = 1; k < 300; k++) {
      const a = k / 2;
      D = ax + a * D;
      D = 1 / D;
      C = ax + a / C;
      const delta = C * D;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    y = 1 - Math.exp(-ax * ax) / (f * Math.sqrt(Math.PI));
  }
  return x < 0 ? -y : y;
}

interface Err {
  maxRel: number;
  maxAbs: number;
  at: number;
}

function errors(xs: Float32Array, ys: Float32Array, ref: (x: number) => number): Err {
  let maxRel = 0,
    maxAbs = 0,
    at = NaN;
  for (let i = 0; i < xs.length; i++) {
    const e = ref(xs[i]!);
    const abs = Math.abs(ys[i]! - e);
    const rel = e === 0 ? abs : abs / Math.abs(e);
    if (rel > maxRel) {
      maxRel = rel;
      at = xs[i]!;
    }
    if (abs > maxAbs) maxAbs = abs;
  }
  return { maxRel, maxAbs, at };
}

describe('exp_v', () => {
  test('relative error <= 2e-7 on [-87, 88]', () => {
    const xs = grid(-87, 88, 400_003);
    const e = errors(xs, run('vmath_exp', xs), Math.exp);
    expect(e.maxRel, `worst at x = ${e.at}`).toBeLessThanOrEqual(2e-7);
  });
  test('dense near 0 and at the reduction boundaries', () => {
    const xs = grid(-2, 2, 100_001);
    const e = errors(xs, run('vmath_exp', xs), Math.exp);
    expect(e.maxRel, `worst at x = ${e.at}`).toBeLessThanOrEqual(2e-7);
  });
  test('saturates: +inf above 88.73, 0 below -104, no NaN from infinities; NaN stays NaN', () => {
    const ys = run('vmath_exp', new Float32Array([88.73, 100, 1e30, Infinity, -104, -1e30, -Infinity, NaN, 0, 88.72]));
    expect(ys[0]).toBe(Infinity);
    expect(ys[1]).toBe(Infinity);
    expect(ys[2]).toBe(Infinity);
    expect(ys[3]).toBe(Infinity);
    expect(ys[4]).toBe(0);
    expect(ys[5]).toBe(0);
    expect(ys[6]).toBe(0);
    expect(ys[7]).toBeNaN();
    expect(ys[8]).toBe(1);
    expect(Math.abs(ys[9]! / Math.exp(Math.fround(88.72)) - 1)).toBeLessThan(3e-7);
  });
  test('denormal results are close in absolute terms', () => {
    const xs = grid(-103, -87.5, 10_001);
    const e = errors(xs, run('vmath_exp', xs), Math.exp);
    expect(e.maxAbs).toBeLessThan(2 ** -149 * 2);
  });
  test('vector lanes and scalar tail agree bit for bit', () => {
    const xs = grid(-20, 20, 4003); // 4005 values: a tail of 1
    const ys = run('vmath_exp', xs);
    const ys1 = run('vmath_exp', xs.subarray(1)); // shifted: lanes move to the tail and back
    for (let i = 1; i < xs.length; i++) expect(ys1[i - 1]).toBe(ys[i]);
  });
});

describe('tanh_v', () => {
  test('absolute error <= 1e-6 on [-20, 20] and odd', () => {
    const xs = grid(-20, 20, 400_001);
    const ys = run('vmath_tanh', xs);
    const e = errors(xs, ys, Math.tanh);
    expect(e.maxAbs).toBeLessThanOrEqual(1e-6);
    const neg = run(
      'vmath_tanh',
      xs.map((x) => -x),
    );
    for (let i = 0; i < xs.length; i += 97) expect(neg[i]).toBe(-ys[i]!);
  });
  test('saturates to +-1 with no NaN', () => {
    const ys = run('vmath_tanh', new Float32Array([Infinity, -Infinity, 1e30, -1e30, 50, -50, 0, NaN]));
    expect([...ys.subarray(0, 7)]).toEqual([1, -1, 1, -1, 1, -1, 0]);
    expect(ys[7]).toBeNaN();
  });
});

describe('sigmoid_v', () => {
  test('absolute error <= 1e-6 on [-30, 30]', () => {
    const xs = grid(-30, 30, 200_001);
    const e = errors(xs, run('vmath_sigmoid', xs), (x) => 1 / (1 + Math.exp(-x)));
    expect(e.maxAbs).toBeLessThanOrEqual(1e-6);
  });
  test('0 and 1 at the ends, no NaN', () => {
    const ys = run('vmath_sigmoid', new Float32Array([Infinity, -Infinity, 1e30, -1e30, 0]));
    expect([...ys]).toEqual([1, 0, 1, 0, 0.5]);
  });
});

describe('erf_v', () => {
  test('absolute error <= 5e-7 on [-6, 6]', () => {
    const xs = grid(-6, 6, 120_001);
    const e = errors(xs, run('vmath_erf', xs), erf64);
    expect(e.maxAbs).toBeLessThanOrEqual(5e-7);
  });
  test('+-1 at the ends, no NaN', () => {
    const ys = run('vmath_erf', new Float32Array([Infinity, -Infinity, 1e30, -1e30, 0]));
    expect([...ys]).toEqual([1, -1, 1, -1, 0]);
  });
});
