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
  // attention
  attention_workspace_bytes(S: number, D: number): number;
  attention_fwd(
    q: number, k: number, v: number, keymask: number, out: number, lse: number, work: number,
    B: number, H: number, S: number, D: number, scale: number, causal: number,
    threshold: number, keepScale: number, key0: number, key1: number, stream: number, ctrLo: number, ctrHi: number,
  ): void;
  attention_bwd(
    q: number, k: number, v: number, out: number, lse: number, dout: number, keymask: number,
    dq: number, dk: number, dv: number, work: number,
    B: number, H: number, S: number, D: number, scale: number, causal: number,
    threshold: number, keepScale: number, key0: number, key1: number, stream: number, ctrLo: number, ctrHi: number,
  ): void;
  rotary_fwd(x: number, cos: number, sin: number, out: number, N: number, S: number, D: number): void;
  rotary_bwd(dy: number, cos: number, sin: number, dx: number, N: number, S: number, D: number): void;
}

/** Epilogue activation codes shared with assembly/gemm.ts. */
export const ACT_NONE = 0;
export const ACT_RELU = 1;
