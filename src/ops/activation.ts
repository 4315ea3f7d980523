import { describe } from '../core/check.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../core/errors.js';
import { type Runtime, rt } from '../core/runtime.js';
import { Tensor } from '../core/tensor.js';

/** Options of the activations: an output buffer (may be x itself). */
export interface ActivationOptions {
  /**
   * float32 tensor of x's shape to write into instead of allocating one. It may be
   * x itself (in place); the backward of relu and gelu then needs a copy of x,
   * while tanh and sigmoid differentiate from their output.
   */
  out?: Tensor;
}

/** GELU's form: 'none' (erf) or 'tanh'. */
export type GeluApproximate = 'tanh' | 'none';

/** Options of `gelu`: an output buffer and the form. */
export interface GeluOptions extends ActivationOptions {
  /** 'none' (default): x Phi(x) with erf; 'tanh': 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
  approximate?: GeluApproximate;
}

const GELU_ERF = 0;
const GELU_TANH = 1;

function expectFloat(fn: string, name: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new ArgumentError(`${fn}: ${name} must be a Tensor, got ${describe(t)}`);
  if (t.dtype !== 'float32') throw new DTypeError(`${fn}: ${name} must have dtype float32, got ${t.dtype}`);
  return t;
}

function expectLike(fn: string, name: string, t: unknown, x: Tensor, xName: string): Tensor {
  const u = expectFloat(fn, name, t);
  if (u.shape.length !== x.shape.length || u.shape.some((d, i) => d !== x.shape[i])) {
    throw new ShapeError(
      `${fn}: ${name} must have the shape of ${xName} ${formatShape(x.shape)}, got ${formatShape(u.shape)}`,
    );
  }
  return u;
}

function approximateCode(fn: string, a: unknown): number {
  if (a === undefined || a === 'none') return GELU_ERF;
  if (a === 'tanh') return GELU_TANH;
  throw new ArgumentError(`${fn}: approximate must be "none" or "tanh", got ${JSON.stringify(a)}`);
}

/** Checks x and options.out and calls kernel(x, y, n) unless x is empty. */
function forward(
  fn: string,
  x: Tensor,
  options: ActivationOptions | undefined,
  kernel: (r: Runtime, x: number, y: number, n: number) => void,
): Tensor {
  const r = rt(fn);
  expectFloat(fn, 'x', x);
  let y = options?.out;
  if (y !== undefined) expectLike(fn, 'out', y, x, 'x');
  else y = Tensor.empty(x.shape);
  if (x.size > 0) kernel(r, x.offset, y.offset, x.size);
  return y;
}

/** Checks (input, dy, dx) and calls kernel(input, dy, dx, n) unless empty; dx accumulates. */
function backward(
  fn: string,
  inName: string,
  input: Tensor,
  dy: Tensor,
  dx: Tensor,
  kernel: (r: Runtime, a: number, dy: number, dx: number, n: number) => void,
): void {
  const r = rt(fn);
  expectFloat(fn, inName, input);
  expectLike(fn, 'dy', dy, input, inName);
  expectLike(fn, 'dx', dx, input, inName);
  if (dx === input || dx === dy)
    throw new ArgumentError(`${fn}: dx must not be ${dx === dy ? 'dy' : inName}, got the same Tensor`);
  if (input.size > 0) kernel(r, input.offset, dy.offset, dx.offset, input.size);
}

/** ReLU: max(x, 0), element-wise, any shape. `out` may be x. */
export function relu(x: Tensor, options?: ActivationOptions): Tensor {
  return forward('relu', x, options, (r, a, y, n) => r.kernels.relu_fwd_f32(a, y, n));
}

/** dx += dy where x > 0 (the derivative is taken as 0 at 0). Accumulates. */
export function reluBackward(x: Tensor, dy: Tensor, dx: Tensor): void {
  backward('reluBackward', 'x', x, dy, dx, (r, a, g, d, n) => r.kernels.relu_bwd_f32(a, g, d, n));
}

/**
 * GELU, element-wise, any shape: x Phi(x) with the erf (default, approximate 'none')
 * or the tanh form. gelu(-inf) = -0, gelu(+inf) = +inf. `out` may be x.
 */
export function gelu(x: Tensor, options?: GeluOptions): Tensor {
  const code = approximateCode('gelu', options?.approximate);
  return forward('gelu', x, options, (r, a, y, n) => r.kernels.gelu_fwd_f32(a, y, n, code));
}

/** dx += dy * gelu'(x), the exact derivative of the chosen form. Accumulates. */
export function geluBackward(x: Tensor, dy: Tensor, dx: Tensor, options?: { approximate?: GeluApproximate }): void {
  const code = approximateCode('geluBackward', options?.approximate);
  backward('geluBackward', 'x', x, dy, dx, (r, a, g, d, n) => r.kernels.gelu_bwd_f32(a, g, d, n, code));
}

/** tanh, element-wise, any shape (absolute error <= 1e-6). `out` may be x. */
export function tanh(x: Tensor, options?: ActivationOptions): Tensor {
  return forward('tanh', x, options, (r, a, y, n) => r.kernels.tanh_fwd_f32(a, y, n));
}

/** From the forward's output y = tanh(x): dx += dy (1 - y^2). Accumulates. */
export function tanhBackward(y: Tensor, dy: Tensor, dx: Tensor): void {
  backward('tanhBackward', 'y', y, dy, dx, (r, a, g, d, n) => r.kernels.tanh_bwd_f32(a, g, d, n));
}

/** Logistic sigmoid 1 / (1 + exp(-x)), element-wise, any shape. `out` may be x. */
export function sigmoid(x: Tensor, options?: ActivationOptions): Tensor {
  return forward('sigmoid', x, options, (r, a, y, n) => r.kernels.sigmoid_fwd_f32(a, y, n));
}

/** From the forward's output y = sigmoid(x): dx += dy y (1 - y). Accumulates. */
export function sigmoidBackward(y: Tensor, dy: Tensor, dx: Tensor): void {
  backward('sigmoidBackward', 'y', y, dy, dx, (r, a, g, d, n) => r.kernels.sigmoid_bwd_f32(a, g, d, n));
}
