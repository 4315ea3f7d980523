import { describe } from '../core/check.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../core/errors.js';
import { rt } from '../core/runtime.js';
import { Tensor, expectTensor } from '../core/tensor.js';

// Moves of float32 data between layouts: reshape (a copy: a Tensor owns its
// block), split/merge heads, transposing the last two axes, concatenation along
// the last axis. Each backward ACCUMULATES the moved gradient into dx.

function f32(fn: string, name: string, t: unknown): readonly number[] {
  if (!(t instanceof Tensor)) throw new ArgumentError(`${fn}: ${name} must be a Tensor, got ${describe(t)}`);
  if (t.dtype !== 'float32') throw new DTypeError(`${fn}: ${name} must have dtype float32, got ${t.dtype}`);
  return t.shape;
}

function expectShape(fn: string, name: string, t: unknown, shape: readonly number[]): void {
  const s = f32(fn, name, t);
  if (s.length !== shape.length || s.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`${fn}: ${name} must have shape ${formatShape(shape)}, got ${formatShape(s)}`);
  }
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** `shape` with one -1 resolved so that it holds `size` elements. */
export function resolveShape(fn: string, size: number, shape: readonly number[]): number[] {
  if (!Array.isArray(shape)) throw new ArgumentError(`${fn}: shape must be an array, got ${typeof shape}`);
  const free = shape.filter((d) => d === -1).length;
  if (free > 1 || shape.some((d) => !Number.isInteger(d) || d < -1)) {
    throw new ShapeError(
      `${fn}: shape must hold non-negative integers and at most one -1, got ${JSON.stringify(shape)}`,
    );
  }
  const known = prod(shape.filter((d) => d !== -1));
  const out = shape.map((d) => (d === -1 ? (known === 0 ? 0 : size / known) : d));
  if (!out.every(Number.isInteger) || prod(out) !== size) {
    throw new ShapeError(`${fn}: shape must hold ${size} elements, got ${JSON.stringify(shape)}`);
  }
  return out;
}

/** A copy of x with another shape of the same size (one dimension may be -1). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const fn = 'reshape';
  const r = rt(fn);
  f32(fn, 'x', x);
  const out = Tensor.empty(resolveShape(fn, x.size, shape));
  if (x.size > 0) r.kernels.copy2d_f32(x.offset, out.offset, 1, x.size, x.size, x.size, 0);
  return out;
}

/** dx += dy viewed in dx's shape (same size). ACCUMULATES. */
export function reshapeBackward(dy: Tensor, dx: Tensor): void {
  const fn = 'reshapeBackward';
  const r = rt(fn);
  f32(fn, 'dy', dy);
  f32(fn, 'dx', dx);
  if (dy.size !== dx.size)
    throw new ShapeError(`${fn}: dx must have ${dy.size} elements (the size of dy), got ${formatShape(dx.shape)}`);
  if (dx.size > 0) r.kernels.copy2d_f32(dy.offset, dx.offset, 1, dx.size, dx.size, dx.size, 1);
}

/** [B, S, H * D] -> [B, H, S, D] (the layout `attention` takes). */
export function splitHeads(x: Tensor, heads: number): Tensor {
  const fn = 'splitHeads';
  const r = rt(fn);
  const [B, S, HD] = expectTensor(fn, 'x', x, 3) as [number, number, number];
  if (!Number.isInteger(heads) || heads < 1 || HD % heads !== 0) {
    throw new ArgumentError(`${fn}: heads must be a positive integer dividing the last dimension ${HD}, got ${heads}`);
  }
  const D = HD / heads;
  const out = Tensor.empty([B, heads, S, D]);
  if (x.size > 0) r.kernels.swap_axes12_f32(x.offset, out.offset, B, S, heads, D, 0);
  return out;
}

/** dx [B, S, H * D] += dy [B, H, S, D] moved back. ACCUMULATES. */
export function splitHeadsBackward(dy: Tensor, dx: Tensor): void {
  const fn = 'splitHeadsBackward';
  const r = rt(fn);
  const [B, H, S, D] = expectTensor(fn, 'dy', dy, 4) as [number, number, number, number];
  expectShape(fn, 'dx', dx, [B, S, H * D]);
  if (dy.size > 0) r.kernels.swap_axes12_f32(dy.offset, dx.offset, B, H, S, D, 1);
}

/** [B, H, S, D] -> [B, S, H * D] (attention's output back to features). */
export function mergeHeads(x: Tensor): Tensor {
  const fn = 'mergeHeads';
  const r = rt(fn);
  const [B, H, S, D] = expectTensor(fn, 'x', x, 4) as [number, number, number, number];
  const out = Tensor.empty([B, S, H * D]);
  if (x.size > 0) r.kernels.swap_axes12_f32(x.offset, out.offset, B, H, S, D, 0);
  return out;
}

/** dx [B, H, S, D] += dy [B, S, H * D] moved back. ACCUMULATES. */
export function mergeHeadsBackward(dy: Tensor, dx: Tensor): void {
  const fn = 'mergeHeadsBackward';
  const r = rt(fn);
  const [B, H, S, D] = expectTensor(fn, 'dx', dx, 4) as [number, number, number, number];
  expectShape(fn, 'dy', dy, [B, S, H * D]);
  if (dy.size > 0) r.kernels.swap_axes12_f32(dy.offset, dx.offset, B, S, H, D, 1);
}

/** [..., R, C] -> [..., C, R] (rank >= 2). */
export function transposeLast2(x: Tensor): Tensor {
  const fn = 'transposeLast2';
  const r = rt(fn);
  const s = f32(fn, 'x', x);
  if (s.length < 2) throw new ShapeError(`${fn}: x must have rank >= 2, got shape ${formatShape(s)}`);
  const R = s[s.length - 2]!,
    C = s[s.length - 1]!;
  const out = Tensor.empty([...s.slice(0, -2), C, R]);
  if (x.size > 0) r.kernels.transpose_last2_f32(x.offset, out.offset, x.size / (R * C), R, C, 0);
  return out;
}

/** dx [..., R, C] += dy [..., C, R] transposed back. ACCUMULATES. */
export function transposeLast2Backward(dy: Tensor, dx: Tensor): void {
  const fn = 'transposeLast2Backward';
  const r = rt(fn);
  const s = f32(fn, 'dx', dx);
  if (s.length < 2) throw new ShapeError(`${fn}: dx must have rank >= 2, got shape ${formatShape(s)}`);
  const R = s[s.length - 2]!,
    C = s[s.length - 1]!;
  expectShape(fn, 'dy', dy, [...s.slice(0, -2), C, R]);
  if (dx.size > 0) r.kernels.transpose_last2_f32(dy.offset, dx.offset, dx.size / (R * C), C, R, 1);
}

/** Concatenation along the last axis: every piece has the same leading shape. */
export function concatLast(xs: readonly Tensor[]): Tensor {
  const fn = 'concatLast';
  const r = rt(fn);
  if (!Array.isArray(xs) || xs.length === 0)
    throw new ArgumentError(
      `${fn}: xs must be a non-empty array of Tensors, got ${Array.isArray(xs) ? 'an empty array' : typeof xs}`,
    );
  const first = f32(fn, 'xs[0]', xs[0]);
  if (first.length < 1) throw new ShapeError(`${fn}: xs[0] must have rank >= 1, got shape ${formatShape(first)}`);
  const lead = first.slice(0, -1);
  let total = 0;
  for (const [i, t] of xs.entries()) {
    const s = f32(fn, `xs[${i}]`, t);
    if (s.length !== first.length || lead.some((d, j) => d !== s[j])) {
      throw new ShapeError(
        `${fn}: xs[${i}] must have shape ${formatShape([...lead, s[s.length - 1] ?? 0])} (the leading shape of xs[0]), got ${formatShape(s)}`,
      );
    }
    total += s[s.length - 1]!;
  }
  const rows = prod(lead);
  const out = Tensor.empty([...lead, total]);
  let col = 0;
  for (const t of xs) {
    const c = t.shape[t.rank - 1]!;
    if (rows > 0 && c > 0) r.kernels.copy2d_f32(t.offset, out.offset + 4 * col, rows, c, c, total, 0);
    col += c;
  }
  return out;
}

/**
 * dxs[i] += its column slice of dy, the pieces having last dimensions `widths`
 * (summing to dy's). A null entry is skipped (a piece that needs no gradient). ACCUMULATES.
 */
export function concatLastBackward(dy: Tensor, widths: readonly number[], dxs: readonly (Tensor | null)[]): void {
  const fn = 'concatLastBackward';
  const r = rt(fn);
  const s = f32(fn, 'dy', dy);
  if (s.length < 1) throw new ShapeError(`${fn}: dy must have rank >= 1, got shape ${formatShape(s)}`);
  const lead = s.slice(0, -1);
  const total = s[s.length - 1]!;
  if (!Array.isArray(widths) || widths.length !== dxs.length || widths.some((w) => !Number.isInteger(w) || w < 0)) {
    throw new ArgumentError(
      `${fn}: widths must be ${dxs.length} non-negative integers (one per dxs entry), got ${JSON.stringify(widths)}`,
    );
  }
  if (widths.reduce((a, b) => a + b, 0) !== total) {
    throw new ShapeError(`${fn}: widths must sum to the last dimension of dy ${total}, got ${JSON.stringify(widths)}`);
  }
  const rows = prod(lead);
  let col = 0;
  for (const [i, t] of dxs.entries()) {
    const c = widths[i]!;
    if (t !== null) {
      expectShape(fn, `dxs[${i}]`, t, [...lead, c]);
      if (rows > 0 && c > 0) r.kernels.copy2d_f32(dy.offset + 4 * col, t.offset, rows, c, total, c, 1);
    }
    col += c;
  }
}

/** Columns [start, start + width) of the last axis: x [..., C] -> [..., width]. */
export function sliceLast(x: Tensor, start: number, width: number): Tensor {
  const fn = 'sliceLast';
  const r = rt(fn);
  const s = f32(fn, 'x', x);
  if (s.length < 1) throw new ShapeError(`${fn}: x must have rank >= 1, got shape ${formatShape(s)}`);
  const C = s[s.length - 1]!;
  if (!Number.isInteger(start) || !Number.isInteger(width) || start < 0 || width < 0 || start + width > C) {
    throw new ArgumentError(`${fn}: [start, start + width) must lie in [0, ${C}], got start ${start}, width ${width}`);
  }
  const lead = s.slice(0, -1);
  const rows = prod(lead);
  const out = Tensor.empty([...lead, width]);
  if (rows > 0 && width > 0) r.kernels.copy2d_f32(x.offset + 4 * start, out.offset, rows, width, C, width, 0);
  return out;
}

/** dx[..., start : start + width] += dy. ACCUMULATES. */
export function sliceLastBackward(dy: Tensor, dx: Tensor, start: number): void {
  const fn = 'sliceLastBackward';
  const r = rt(fn);
  const s = f32(fn, 'dx', dx);
  const ds = f32(fn, 'dy', dy);
  const C = s[s.length - 1] ?? 0;
  const width = ds[ds.length - 1] ?? 0;
  const lead = s.slice(0, -1);
  expectShape(fn, 'dy', dy, [...lead, width]);
  if (!Number.isInteger(start) || start < 0 || start + width > C) {
    throw new ArgumentError(`${fn}: [start, start + width) must lie in [0, ${C}], got start ${start}, width ${width}`);
  }
  const rows = prod(lead);
  if (rows > 0 && width > 0) r.kernels.copy2d_f32(dy.offset, dx.offset + 4 * start, rows, width, width, C, 1);
}
