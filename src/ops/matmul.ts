import { checkFinite, describe } from '../core/check.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../core/errors.js';
import { ACT_NONE, ACT_RELU } from '../core/kernels.js';
import { type Runtime, generation, rt } from '../core/runtime.js';
import { Tensor, expectTensor } from '../core/tensor.js';
import { gemmF32 } from './parallel.js';

/** The GEMM epilogue: 'none' or 'relu'. */
export type Activation = 'none' | 'relu';

/** Options of `matmul`: transposes, bias, activation, scaling and an output Tensor. */
export interface MatmulOptions {
  /** Use A^T: `a` is stored (K, M). */
  transposeA?: boolean;
  /** Use B^T: `b` is stored (N, K). */
  transposeB?: boolean;
  /** (N) row vector added to every row of the product. */
  bias?: Tensor;
  /** Applied after the bias. */
  activation?: Activation;
  /** Scale of the product; default 1. */
  alpha?: number;
  /** Scale of the existing `out` (needs `out`); default 0, which does not read `out`. */
  beta?: number;
  /** (M, N) float32 tensor to write into instead of allocating one. */
  out?: Tensor;
}

/** Workspace for the packed GEMM panels: one block per runtime, made on first use and kept. */
let workspace: { gen: number; ptr: number } | undefined;

export function gemmWorkspace(r: Runtime): number {
  if (workspace === undefined || workspace.gen !== generation) {
    workspace = { gen: generation, ptr: r.heap.alloc(r.kernels.gemm_workspace_bytes()) };
  }
  return workspace.ptr;
}

export function activationCode(fn: string, a: unknown): number {
  if (a === undefined || a === 'none') return ACT_NONE;
  if (a === 'relu') return ACT_RELU;
  throw new ArgumentError(`${fn}: activation must be "none" or "relu", got ${JSON.stringify(a)}`);
}

/**
 * C = alpha * op(A) * op(B) (+ beta * out) (+ bias) (then activation), on
 * float32 Tensors in Wasm memory. op(A) is (M, K), op(B) is (K, N), C is (M, N).
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const fn = 'matmul';
  const r = rt(fn);
  const ta = options.transposeA === true;
  const tb = options.transposeB === true;
  const [a0, a1] = expectTensor(fn, 'a', a, 2) as [number, number];
  const [b0, b1] = expectTensor(fn, 'b', b, 2) as [number, number];
  const m = ta ? a1 : a0;
  const k = ta ? a0 : a1;
  const kb = tb ? b1 : b0;
  const n = tb ? b0 : b1;
  if (kb !== k) {
    throw new ShapeError(
      `${fn}: b must have ${k} ${tb ? 'columns (transposeB)' : 'rows'} to match a ${formatShape(a.shape)}${ta ? ' (transposeA)' : ''}, ` +
        `got shape ${formatShape(b.shape)}`,
    );
  }
  const alpha = checkFinite(fn, 'alpha', options.alpha ?? 1);
  const beta = checkFinite(fn, 'beta', options.beta ?? 0);
  const act = activationCode(fn, options.activation);
  let biasPtr = 0;
  if (options.bias !== undefined) {
    const [bn] = expectTensor(fn, 'bias', options.bias, 1);
    if (bn !== n) throw new ShapeError(`${fn}: bias must have shape [${n}], got ${formatShape(options.bias.shape)}`);
    biasPtr = options.bias.offset;
  }
  let out = options.out;
  if (out !== undefined) {
    expectTensor(fn, 'out', out, 2);
    if (out.shape[0] !== m || out.shape[1] !== n) {
      throw new ShapeError(`${fn}: out must have shape [${m}, ${n}], got ${formatShape(out.shape)}`);
    }
    if (out === a || out === b || out === options.bias)
      throw new ArgumentError(`${fn}: out must not be an input, got the same Tensor`);
  } else {
    if (beta !== 0) throw new ArgumentError(`${fn}: beta must be 0 without out (there is no C to scale), got ${beta}`);
    out = Tensor.empty([m, n]);
  }
  const work = gemmWorkspace(r);
  gemmF32(
    r,
    a.offset,
    b.offset,
    biasPtr,
    out.offset,
    work,
    m,
    n,
    k,
    a1,
    b1,
    n,
    ta ? 1 : 0,
    tb ? 1 : 0,
    alpha,
    beta,
    act,
  );
  return out;
}

/** Options of `gemm`: sizes, transposes, leading dimensions, scaling, bias and activation. */
export interface GemmOptions {
  /** Rows of op(A) and C. */
  m: number;
  /** Columns of op(B) and C. */
  n: number;
  /** Columns of op(A), rows of op(B). */
  k: number;
  transposeA?: boolean;
  transposeB?: boolean;
  /** Row stride of the stored A in elements; default its column count. */
  lda?: number;
  /** Row stride of the stored B; default its column count. */
  ldb?: number;
  /** Row stride of C; default n. */
  ldc?: number;
  alpha?: number;
  /** Scale of the incoming `c`; default 0 (c is not read). */
  beta?: number;
  /** (n) row vector added to each row. */
  bias?: Float32Array;
  activation?: Activation;
  /** Output (and input when beta != 0), at least (m - 1) * ldc + n elements; allocated when absent. */
  c?: Float32Array;
}

/** Linear-memory staging for gemm(): grown when too small, kept between calls. */
let staging: { gen: number; ptr: number; bytes: number } | undefined;

function stagingBlock(r: Runtime, bytes: number): number {
  if (staging !== undefined && staging.gen === generation && staging.bytes >= bytes) return staging.ptr;
  if (staging !== undefined && staging.gen === generation) r.heap.free(staging.ptr);
  staging = undefined;
  const ptr = r.heap.alloc(bytes);
  staging = { gen: generation, ptr, bytes };
  return ptr;
}

function checkDim(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new ArgumentError(`${fn}: ${name} must be a non-negative integer, got ${v}`);
  }
  return v;
}

/** Elements a (rows, cols) matrix with row stride ld spans. */
const span = (rows: number, cols: number, ld: number) => (rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols);

/**
 * BLAS-style sgemm on plain Float32Arrays: C = alpha * op(A) * op(B) + beta * C
 * (+ bias, activation), with leading dimensions for strided sub-matrices. The
 * inputs are copied into Wasm memory and C copied back into `c` (or a new
 * array): convenient for callers without Tensors; use `matmul` on Tensors to
 * skip the copies.
 */
export function gemm(a: Float32Array, b: Float32Array, options: GemmOptions): Float32Array {
  const fn = 'gemm';
  const r = rt(fn);
  if (!(a instanceof Float32Array)) throw new DTypeError(`${fn}: a must be a Float32Array, got ${describe(a)}`);
  if (!(b instanceof Float32Array)) throw new DTypeError(`${fn}: b must be a Float32Array, got ${describe(b)}`);
  const m = checkDim(fn, 'm', options.m);
  const n = checkDim(fn, 'n', options.n);
  const k = checkDim(fn, 'k', options.k);
  const ta = options.transposeA === true;
  const tb = options.transposeB === true;
  const [aRows, aCols] = ta ? [k, m] : [m, k];
  const [bRows, bCols] = tb ? [n, k] : [k, n];
  const lda = checkDim(fn, 'lda', options.lda ?? aCols);
  const ldb = checkDim(fn, 'ldb', options.ldb ?? bCols);
  const ldc = checkDim(fn, 'ldc', options.ldc ?? n);
  if (lda < aCols) throw new ArgumentError(`${fn}: lda must be >= ${aCols} (columns of the stored A), got ${lda}`);
  if (ldb < bCols) throw new ArgumentError(`${fn}: ldb must be >= ${bCols} (columns of the stored B), got ${ldb}`);
  if (ldc < n) throw new ArgumentError(`${fn}: ldc must be >= n = ${n}, got ${ldc}`);
  const aLen = span(aRows, aCols, lda);
  const bLen = span(bRows, bCols, ldb);
  const cLen = span(m, n, ldc);
  if (a.length < aLen)
    throw new ShapeError(
      `${fn}: a must have at least ${aLen} elements for ${aRows}x${aCols} with lda ${lda}, got ${a.length}`,
    );
  if (b.length < bLen)
    throw new ShapeError(
      `${fn}: b must have at least ${bLen} elements for ${bRows}x${bCols} with ldb ${ldb}, got ${b.length}`,
    );
  const alpha = checkFinite(fn, 'alpha', options.alpha ?? 1);
  const beta = checkFinite(fn, 'beta', options.beta ?? 0);
  const act = activationCode(fn, options.activation);
  const bias = options.bias;
  if (bias !== undefined) {
    if (!(bias instanceof Float32Array))
      throw new DTypeError(`${fn}: bias must be a Float32Array, got ${describe(bias)}`);
    if (bias.length !== n) throw new ShapeError(`${fn}: bias must have ${n} elements, got ${bias.length}`);
  }
  let c = options.c;
  if (c !== undefined) {
    if (!(c instanceof Float32Array)) throw new DTypeError(`${fn}: c must be a Float32Array, got ${describe(c)}`);
    if (c.length < cLen)
      throw new ShapeError(
        `${fn}: c must have at least ${cLen} elements for ${m}x${n} with ldc ${ldc}, got ${c.length}`,
      );
  } else {
    if (beta !== 0) throw new ArgumentError(`${fn}: beta must be 0 without c (there is no C to scale), got ${beta}`);
    c = new Float32Array(cLen);
  }
  if (m === 0 || n === 0) return c;
  const al = (x: number) => Math.ceil(x / 4) * 4;
  const work = gemmWorkspace(r);
  const base = stagingBlock(r, 4 * (al(aLen) + al(bLen) + al(cLen) + al(n)));
  const pa = base;
  const pb = pa + 4 * al(aLen);
  const pc = pb + 4 * al(bLen);
  const pbias = pc + 4 * al(cLen);
  const f = new Float32Array(r.memory.buffer);
  f.set(a.subarray(0, aLen), pa >>> 2);
  f.set(b.subarray(0, bLen), pb >>> 2);
  if (beta !== 0) f.set(c.subarray(0, cLen), pc >>> 2);
  if (bias !== undefined) f.set(bias, pbias >>> 2);
  gemmF32(
    r,
    pa,
    pb,
    bias !== undefined ? pbias : 0,
    pc,
    work,
    m,
    n,
    k,
    lda,
    ldb,
    ldc,
    ta ? 1 : 0,
    tb ? 1 : 0,
    alpha,
    beta,
    act,
  );
  if (ldc === n) {
    c.set(new Float32Array(r.memory.buffer, pc, cLen));
  } else {
    const out = new Float32Array(r.memory.buffer, pc, cLen);
    for (let i = 0; i < m; i++) c.set(out.subarray(i * ldc, i * ldc + n), i * ldc);
  }
  return c;
}
