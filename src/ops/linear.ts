import { ShapeError, formatShape } from '../core/errors.js';
import { ACT_NONE, ACT_RELU } from '../core/kernels.js';
import { rt } from '../core/runtime.js';
import { Tensor, expectTensor } from '../core/tensor.js';
import { gemmF32 } from './parallel.js';
import { activationCode, gemmWorkspace } from './matmul.js';

// A dense layer over any leading shape, PyTorch's F.linear: y = x W^T + b with
// W stored [out, in], on the GEMM kernel without reshaping x (a [batch, seq, in]
// activation is one (batch * seq) x in matrix in memory).

/** Options of `linear`: bias and ReLU epilogue. */
export interface LinearOptions {
  /** [out] added to every row. */
  bias?: Tensor;
  /** 'relu' applies max(., 0) after the bias in the GEMM epilogue; default 'none'. */
  activation?: 'none' | 'relu';
}

/** The gradients `linearBackward` accumulates into (each optional). */
export interface LinearGrads {
  /** x's shape; dx += dy' W. */
  dx?: Tensor;
  /** [out, in]; dweight += dy'^T x. */
  dweight?: Tensor;
  /** [out]; dbias += column sums of dy'. */
  dbias?: Tensor;
}

/** Checks x [..., in] and weight [out, in]; returns [rows, in, out]. */
function dims(fn: string, x: Tensor, weight: Tensor): [number, number, number] {
  const [N, K] = expectTensor(fn, 'weight', weight, 2) as [number, number];
  if (!(x instanceof Tensor) || x.rank < 1)
    throw new ShapeError(
      `${fn}: x must be a Tensor of rank >= 1, got ${x instanceof Tensor ? formatShape(x.shape) : typeof x}`,
    );
  expectTensor(fn, 'x', x, x.rank);
  if (x.shape[x.rank - 1] !== K) {
    throw new ShapeError(
      `${fn}: x must have last dimension ${K} (weight is [out, in] = ${formatShape(weight.shape)}), got ${formatShape(x.shape)}`,
    );
  }
  return [K === 0 ? 0 : x.size / K, K, N];
}

function expectLike(fn: string, name: string, t: unknown, shape: readonly number[]): void {
  expectTensor(fn, name, t, shape.length);
  if ((t as Tensor).shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(
      `${fn}: ${name} must have shape ${formatShape(shape)}, got ${formatShape((t as Tensor).shape)}`,
    );
  }
}

/** y [..., out] = x [..., in] W^T (+ bias) (then ReLU). */
export function linear(x: Tensor, weight: Tensor, options: LinearOptions = {}): Tensor {
  const fn = 'linear';
  const r = rt(fn);
  const [M, K, N] = dims(fn, x, weight);
  const act = activationCode(fn, options.activation);
  if (options.bias !== undefined) expectLike(fn, 'bias', options.bias, [N]);
  const y = Tensor.empty([...x.shape.slice(0, -1), N]);
  if (M > 0 && N > 0) {
    gemmF32(
      r,
      x.offset,
      weight.offset,
      options.bias?.offset ?? 0,
      y.offset,
      gemmWorkspace(r),
      M,
      N,
      K,
      K,
      K,
      N,
      0,
      1,
      1,
      0,
      act,
    );
  }
  return y;
}

/**
 * Gradients of `linear`; ACCUMULATES into each one given. `y` is the forward's
 * output (read only with activation 'relu': dy is masked where y <= 0, so the
 * derivative at 0 is 0).
 */
export function linearBackward(
  x: Tensor,
  weight: Tensor,
  y: Tensor,
  dy: Tensor,
  grads: LinearGrads,
  options: { activation?: 'none' | 'relu' } = {},
): void {
  const fn = 'linearBackward';
  const r = rt(fn);
  const [M, K, N] = dims(fn, x, weight);
  const act = activationCode(fn, options.activation);
  const yShape = [...x.shape.slice(0, -1), N];
  expectLike(fn, 'dy', dy, yShape);
  if (act === ACT_RELU) expectLike(fn, 'y', y, yShape);
  const { dx, dweight, dbias } = grads;
  if (dx !== undefined) expectLike(fn, 'dx', dx, x.shape);
  if (dweight !== undefined) expectLike(fn, 'dweight', dweight, [N, K]);
  if (dbias !== undefined) expectLike(fn, 'dbias', dbias, [N]);
  if (M === 0 || N === 0) return;
  let g = dy;
  if (act === ACT_RELU) {
    g = Tensor.zeros(yShape);
    r.kernels.relu_bwd_f32(y.offset, dy.offset, g.offset, dy.size);
  }
  try {
    const w = gemmWorkspace(r);
    if (dx !== undefined && K > 0)
      gemmF32(r, g.offset, weight.offset, 0, dx.offset, w, M, K, N, N, K, K, 0, 0, 1, 1, ACT_NONE);
    if (dweight !== undefined && K > 0)
      gemmF32(r, g.offset, x.offset, 0, dweight.offset, w, N, K, M, N, K, K, 1, 0, 1, 1, ACT_NONE);
    if (dbias !== undefined) r.kernels.sum_rows_f32(g.offset, dbias.offset, M, N);
  } finally {
    if (g !== dy) g.dispose();
  }
}
