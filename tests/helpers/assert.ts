// Numeric assertions that report the worst element and its index.
import { expect } from 'vitest';

export interface CloseOptions {
  /** Relative tolerance. */
  rtol?: number;
  /** Absolute tolerance. */
  atol?: number;
  /** Per-element absolute tolerance, overrides rtol/atol when given. */
  tol?: ArrayLike<number>;
}

/** |actual - expected| <= atol + rtol * |expected| elementwise; fails with the worst index. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, o: CloseOptions = {}): void {
  expect(actual.length, 'length').toBe(expected.length);
  const rtol = o.rtol ?? 1e-5;
  const atol = o.atol ?? 1e-6;
  let worst = -1;
  let worstExcess = 0;
  let worstErr = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    const err = Math.abs(a - e);
    const tol = o.tol !== undefined ? o.tol[i]! : atol + rtol * Math.abs(e);
    const excess = Number.isNaN(err) ? Infinity : err - tol;
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `max error ${worstErr} at index ${worst}: actual ${actual[worst]}, expected ${expected[worst]} ` +
        `(tolerance ${o.tol !== undefined ? o.tol[worst] : atol + rtol * Math.abs(expected[worst]!)})`,
    );
  }
}

/** Hex SHA-256 of the bytes of a typed array (Web Crypto: same in Node and browsers). */
export async function digest(data: ArrayBufferView): Promise<string> {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  const h = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(h), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Index of the first element whose bits differ, or -1 (the shorter length if lengths differ). */
export function firstBitDifference(x: Float32Array | Int32Array, y: Float32Array | Int32Array): number {
  if (x.length !== y.length) return Math.min(x.length, y.length);
  const a = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const b = new Uint32Array(y.buffer, y.byteOffset, y.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Fails at the first element whose bits differ. */
export function expectSameBits(actual: Float32Array | Int32Array, expected: Float32Array | Int32Array): void {
  const i = firstBitDifference(actual, expected);
  if (i >= 0)
    expect.fail(
      `first bit difference at index ${i}: actual ${actual[i]}, expected ${expected[i]} (lengths ${actual.length}, ${expected.length})`,
    );
}
