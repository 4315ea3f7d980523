import { describe } from '../core/check.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../core/errors.js';
import { rt, type Runtime } from '../core/runtime.js';
import { getThreads, runChunks, splitRange } from '../core/threads.js';
import { Tensor, expectTensor } from '../core/tensor.js';

/** Options of `softmax` and `logSoftmax`: an output buffer. */
export interface SoftmaxOptions {
  /** float32 tensor of x's shape to write into (may be x itself: in place); allocated when absent. */
  out?: Tensor;
}

/** Options of `softmaxXent`: the ignored target and label smoothing. */
export interface SoftmaxXentOptions {
  /** Rows whose target equals this get loss 0, no gradient, and do not count in the mean. Default -100 (PyTorch). */
  ignoreIndex?: number;
  /** Label smoothing eps in [0, 1): q = (1 - eps) onehot(target) + eps / V (PyTorch and tfjs semantics). Default 0. */
  labelSmoothing?: number;
}

/** Options of `softmaxXentBackward`: the forward's, and the gradient of the loss. */
export interface SoftmaxXentBackwardOptions extends SoftmaxXentOptions {
  /** Gradient of the (mean) loss; default 1. */
  dloss?: number;
}

/** What `softmaxXent` returns: the mean loss, the per-row loss and the per-row log-sum-exp the backward takes. */
export interface SoftmaxXentResult {
  /** Mean of rowLoss over the rows that are not ignored; 0 when every row is ignored. */
  loss: number;
  /** (N) float32: per-row loss, 0 for ignored rows. */
  rowLoss: Tensor;
  /**
   * (N) float32: per-row log-sum-exp of the logits (pass it to softmaxXentBackward), 0 for ignored rows.
   * The backward recomputes P = exp(logits - lse), so P's relative error includes lse's f32 rounding
   * (ulp(|lse|) / 2: negligible for ordinary logits, ~5e-4 when logits are near 1e4).
   */
  lse: Tensor;
  /** Number of rows that are not ignored. */
  count: number;
}

/** Throws unless `t` is a float32 Tensor of rank >= 1; returns [rows, cols] over the last dimension. */
function rowsCols(fn: string, arg: string, t: unknown): [number, number] {
  if (!(t instanceof Tensor)) throw new ArgumentError(`${fn}: ${arg} must be a Tensor, got ${describe(t)}`);
  if (t.dtype !== 'float32') throw new DTypeError(`${fn}: ${arg} must have dtype float32, got ${t.dtype}`);
  if (t.rank < 1) throw new ShapeError(`${fn}: ${arg} must have rank >= 1, got shape ${formatShape(t.shape)}`);
  const cols = t.shape[t.rank - 1]!;
  return [cols === 0 ? 0 : t.size / cols, cols];
}

function expectSameShape(fn: string, arg: string, t: unknown, like: Tensor): void {
  rowsCols(fn, arg, t);
  const s = (t as Tensor).shape;
  if (s.length !== like.shape.length || s.some((d, i) => d !== like.shape[i])) {
    throw new ShapeError(`${fn}: ${arg} must have shape ${formatShape(like.shape)}, got ${formatShape(s)}`);
  }
}

function rowwise(
  fn: string,
  x: Tensor,
  options: SoftmaxOptions,
  kernel: 'softmax_fwd_f32' | 'log_softmax_fwd_f32',
): Tensor {
  const r = rt(fn);
  const [rows, cols] = rowsCols(fn, 'x', x);
  let out = options.out;
  if (out !== undefined) expectSameShape(fn, 'out', out, x);
  else out = Tensor.empty(x.shape);
  if (rows > 0) r.kernels[kernel](x.offset, out.offset, rows, cols);
  return out;
}

/** Softmax over the last dimension (numerically stable: the row max is subtracted). `out` may be `x`. */
export function softmax(x: Tensor, options: SoftmaxOptions = {}): Tensor {
  return rowwise('softmax', x, options, 'softmax_fwd_f32');
}

/** dx += y * (dy - sum_j dy_j y_j) over the last dimension; y is softmax's output. dx may be dy, not y. */
export function softmaxBackward(y: Tensor, dy: Tensor, dx: Tensor): void {
  rowwiseBackward('softmaxBackward', y, dy, dx, 'softmax_bwd_f32');
}

/** Log-softmax over the last dimension: (x - max) - ln(sum exp(x - max)). `out` may be `x`. */
export function logSoftmax(x: Tensor, options: SoftmaxOptions = {}): Tensor {
  return rowwise('logSoftmax', x, options, 'log_softmax_fwd_f32');
}

/** dx += dy - exp(y) * sum_j dy_j over the last dimension; y is logSoftmax's output. dx may be dy, not y. */
export function logSoftmaxBackward(y: Tensor, dy: Tensor, dx: Tensor): void {
  rowwiseBackward('logSoftmaxBackward', y, dy, dx, 'log_softmax_bwd_f32');
}

function rowwiseBackward(
  fn: string,
  y: Tensor,
  dy: Tensor,
  dx: Tensor,
  kernel: 'softmax_bwd_f32' | 'log_softmax_bwd_f32',
): void {
  const r = rt(fn);
  const [rows, cols] = rowsCols(fn, 'y', y);
  expectSameShape(fn, 'dy', dy, y);
  expectSameShape(fn, 'dx', dx, y);
  if (rows > 0 && dx.offset === y.offset) throw new ArgumentError(`${fn}: dx must not be y, got the same memory`);
  if (rows > 0) r.kernels[kernel](y.offset, dy.offset, dx.offset, rows, cols);
}

interface XentArgs {
  rows: number;
  cols: number;
  ignoreIndex: number;
  eps: number;
  count: number;
}

/** Softmax cross-entropy rows at or above this many elements are split over the threads (setThreads). */
export const XENT_PARALLEL_MIN = 1 << 18;

/**
 * Run a row-wise kernel over `rows` rows of `cols`: in one call, or, with
 * getThreads() > 1 and rows·cols >= XENT_PARALLEL_MIN, as 2 row ranges per
 * thread (runChunks). `args(r0, n)` gives the kernel's arguments for rows
 * [r0, r0 + n). Rows are independent, so the result is bit-identical.
 */
function rowChunks(
  r: Runtime,
  fn: 'softmax_xent_fwd_f32' | 'softmax_xent_bwd_f32',
  rows: number,
  cols: number,
  args: (r0: number, n: number) => number[],
): void {
  const threads = getThreads();
  const cut = threads > 1 && rows * cols >= XENT_PARALLEL_MIN ? splitRange(rows, threads * 2, 1) : [0, rows];
  const chunks: number[][] = [];
  for (let t = 0; t + 1 < cut.length; t++) chunks.push(args(cut[t]!, cut[t + 1]! - cut[t]!));
  runChunks(r, fn, chunks, -1, []);
}

/** Checks logits, targets (int32, each in [0, V) or ignoreIndex) and the options; counts the rows not ignored. */
function xentArgs(fn: string, logits: Tensor, targets: Tensor, options: SoftmaxXentOptions): XentArgs {
  const [rows, cols] = expectTensor(fn, 'logits', logits, 2) as [number, number];
  expectTensor(fn, 'targets', targets, 1, 'int32');
  if (targets.shape[0] !== rows)
    throw new ShapeError(`${fn}: targets must have shape [${rows}], got ${formatShape(targets.shape)}`);
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (
    typeof ignoreIndex !== 'number' ||
    !Number.isInteger(ignoreIndex) ||
    ignoreIndex < -(2 ** 31) ||
    ignoreIndex >= 2 ** 31
  ) {
    throw new ArgumentError(`${fn}: ignoreIndex must be an int32 integer, got ${ignoreIndex}`);
  }
  const eps = options.labelSmoothing ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0 && eps < 1)) {
    throw new ArgumentError(`${fn}: labelSmoothing must be a number in [0, 1), got ${eps}`);
  }
  if (rows > 0 && cols === 0)
    throw new ShapeError(`${fn}: logits must have at least 1 column, got shape ${formatShape(logits.shape)}`);
  let count = 0;
  const t = targets.view() as Int32Array;
  for (let i = 0; i < rows; i++) {
    const v = t[i]!;
    if (v === ignoreIndex) continue;
    if (v < 0 || v >= cols) {
      throw new ArgumentError(
        `${fn}: targets must be in [0, ${cols}) or ignoreIndex (${ignoreIndex}), got ${v} at row ${i}`,
      );
    }
    count++;
  }
  return { rows, cols, ignoreIndex, eps, count };
}

function checkDloss(fn: string, dloss: number | undefined): number {
  const d = dloss ?? 1;
  if (typeof d !== 'number' || !Number.isFinite(d))
    throw new ArgumentError(`${fn}: dloss must be a finite number, got ${d}`);
  return d;
}

/** Mean over the rows not ignored, summed in float64 in row order. */
function meanLoss(rowLoss: Tensor, count: number): number {
  if (count === 0) return 0;
  const v = rowLoss.view() as Float32Array;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s / count;
}

/**
 * Softmax cross-entropy over logits [N, V] with int32 class targets [N].
 * Per row: loss = -sum_j q_j log softmax(logits)_j with q = (1 - eps) onehot(target) + eps / V;
 * rows whose target is `ignoreIndex` get 0 and are left out of the mean.
 * Returns the mean over the rows not ignored (0 if every row is ignored, where
 * PyTorch gives NaN), the per-row losses, the per-row log-sum-exp for the
 * backward and the count. A target outside [0, V) that is not ignoreIndex is an ArgumentError.
 */
export function softmaxXent(logits: Tensor, targets: Tensor, options: SoftmaxXentOptions = {}): SoftmaxXentResult {
  const fn = 'softmaxXent';
  const r = rt(fn);
  const a = xentArgs(fn, logits, targets, options);
  const rowLoss = Tensor.empty([a.rows]);
  const lse = Tensor.empty([a.rows]);
  if (a.rows > 0) {
    rowChunks(r, 'softmax_xent_fwd_f32', a.rows, a.cols, (r0, n) => [
      logits.offset + 4 * r0 * a.cols,
      targets.offset + 4 * r0,
      rowLoss.offset + 4 * r0,
      lse.offset + 4 * r0,
      n,
      a.cols,
      a.ignoreIndex,
      a.eps,
    ]);
  }
  return { loss: meanLoss(rowLoss, a.count), rowLoss, lse, count: a.count };
}

/**
 * dlogits += (dloss / count) * (softmax(logits) - q) on the rows not ignored, the
 * gradient of softmaxXent's mean loss; `lse` is softmaxXent's. Same options as the forward.
 */
export function softmaxXentBackward(
  logits: Tensor,
  targets: Tensor,
  lse: Tensor,
  dlogits: Tensor,
  options: SoftmaxXentBackwardOptions = {},
): void {
  const fn = 'softmaxXentBackward';
  const r = rt(fn);
  const a = xentArgs(fn, logits, targets, options);
  expectTensor(fn, 'lse', lse, 1);
  if (lse.shape[0] !== a.rows)
    throw new ShapeError(`${fn}: lse must have shape [${a.rows}], got ${formatShape(lse.shape)}`);
  expectTensor(fn, 'dlogits', dlogits, 2);
  if (dlogits.shape[0] !== a.rows || dlogits.shape[1] !== a.cols) {
    throw new ShapeError(`${fn}: dlogits must have shape [${a.rows}, ${a.cols}], got ${formatShape(dlogits.shape)}`);
  }
  const dloss = checkDloss(fn, options.dloss);
  if (a.count === 0) return;
  if (dlogits.offset === logits.offset) {
    throw new ArgumentError(`${fn}: dlogits must not be logits, got the same memory. Hint: use softmaxXentInplace.`);
  }
  const scale = dloss / a.count;
  rowChunks(r, 'softmax_xent_bwd_f32', a.rows, a.cols, (r0, n) => [
    logits.offset + 4 * r0 * a.cols,
    targets.offset + 4 * r0,
    lse.offset + 4 * r0,
    dlogits.offset + 4 * r0 * a.cols,
    n,
    a.cols,
    a.ignoreIndex,
    a.eps,
    scale,
  ]);
}

/**
 * softmaxXent and softmaxXentBackward in one call that OVERWRITES `logits` with
 * d logits = (dloss / count) * (softmax(logits) - q) (ignored rows become 0), so
 * no second [N, V] buffer is needed. The result equals softmaxXent followed by
 * softmaxXentBackward into zeros, bit for bit. Returns the mean loss and the count.
 */
export function softmaxXentInplace(
  logits: Tensor,
  targets: Tensor,
  options: SoftmaxXentBackwardOptions = {},
): { loss: number; count: number } {
  const fn = 'softmaxXentInplace';
  const r = rt(fn);
  const a = xentArgs(fn, logits, targets, options);
  const dloss = checkDloss(fn, options.dloss);
  if (a.rows === 0) return { loss: 0, count: 0 };
  const rowLoss = Tensor.empty([a.rows]);
  const lse = Tensor.empty([a.rows]);
  try {
    const scale = a.count === 0 ? 0 : dloss / a.count;
    r.kernels.softmax_xent_fwd_bwd_inplace_f32(
      logits.offset,
      targets.offset,
      rowLoss.offset,
      lse.offset,
      a.rows,
      a.cols,
      a.ignoreIndex,
      a.eps,
      scale,
    );
    return { loss: meanLoss(rowLoss, a.count), count: a.count };
  } finally {
    rowLoss.dispose();
    lse.dispose();
  }
}
