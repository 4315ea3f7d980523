/**
 * The exports of the Wasm core, as TypeScript sees them. Pointers are byte
 * offsets into linear memory (u32 in Wasm; JS numbers up to 2^32 - 1 pass
 * through the i32 ABI unchanged). Keep in step with assembly/index.ts.
 */
export interface Kernels {
  heap_base(): number;
  gemm_workspace_bytes(): number;
  gemm_f32(
    a: number, b: number, bias: number, c: number, work: number,
    m: number, n: number, k: number, lda: number, ldb: number, ldc: number,
    transA: number, transB: number, alpha: number, beta: number, act: number,
  ): void;
  philox4x32_fill_u32(out: number, n: number, key0: number, key1: number, stream: number, counterLo: number, counterHi: number): void;
  philox4x32_fill_uniform(out: number, n: number, key0: number, key1: number, stream: number, counterLo: number, counterHi: number): void;
  philox4x32_fill_normal(out: number, n: number, key0: number, key1: number, stream: number, counterLo: number, counterHi: number, mean: number, std: number): void;
  // vmath probes: out = f(x) over n floats
  vmath_exp(x: number, out: number, n: number): void;
  vmath_tanh(x: number, out: number, n: number): void;
  vmath_sigmoid(x: number, out: number, n: number): void;
  vmath_erf(x: number, out: number, n: number): void;
  // softmax
  softmax_f32(x: number, y: number, rows: number, cols: number): void;
  softmax_bwd_f32(y: number, dy: number, dx: number, rows: number, cols: number): void;
  log_softmax_f32(x: number, y: number, rows: number, cols: number): void;
  log_softmax_bwd_f32(y: number, dy: number, dx: number, rows: number, cols: number): void;
  softmax_xent_fwd_f32(logits: number, targets: number, loss: number, lse: number, rows: number, cols: number, ignoreIndex: number, eps: number): void;
  softmax_xent_bwd_f32(logits: number, targets: number, lse: number, dlogits: number, rows: number, cols: number, ignoreIndex: number, eps: number, scale: number): void;
  softmax_xent_fwd_bwd_inplace_f32(logits: number, targets: number, loss: number, lse: number, rows: number, cols: number, ignoreIndex: number, eps: number, scale: number): void;
  // norm
  layer_norm_fwd_f32(x: number, gamma: number, beta: number, y: number, mean: number, rstd: number, rows: number, C: number, eps: number): void;
  layer_norm_bwd_f32(
    x: number, gamma: number, mean: number, rstd: number, dy: number,
    dx: number, dgamma: number, dbeta: number, rows: number, C: number,
  ): void;
  // activation (approximate: 0 = erf form, 1 = tanh form)
  relu_fwd_f32(x: number, y: number, n: number): void;
  relu_bwd_f32(x: number, dy: number, dx: number, n: number): void;
  gelu_fwd_f32(x: number, y: number, n: number, approximate: number): void;
  gelu_bwd_f32(x: number, dy: number, dx: number, n: number, approximate: number): void;
  tanh_fwd_f32(x: number, y: number, n: number): void;
  tanh_bwd_f32(y: number, dy: number, dx: number, n: number): void;
  sigmoid_fwd_f32(x: number, y: number, n: number): void;
  sigmoid_bwd_f32(y: number, dy: number, dx: number, n: number): void;
}

/** Epilogue activation codes shared with assembly/gemm.ts. */
export const ACT_NONE = 0;
export const ACT_RELU = 1;
