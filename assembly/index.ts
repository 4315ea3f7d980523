// Re-exports only: every kernel lives in its family's file.
export { heap_base } from './memory';
export { gemm_f32, gemm_workspace_bytes } from './gemm';
export { philox4x32_fill_u32, philox4x32_fill_uniform, philox4x32_fill_normal } from './rng';
export { vmath_exp, vmath_tanh, vmath_sigmoid, vmath_erf } from './vmath';
export { attention_fwd, attention_bwd, attention_workspace_bytes, rotary_fwd, rotary_bwd } from './attention';
