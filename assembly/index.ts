// Re-exports only: every kernel lives in its family's file.
export { heap_base } from './memory';
export { gemm_f32, gemm_workspace_bytes } from './gemm';
export { philox4x32_fill_u32, philox4x32_fill_uniform_f32, philox4x32_fill_normal_f32 } from './rng';
export { vmath_exp, vmath_tanh, vmath_sigmoid, vmath_erf } from './vmath';
export { softmax_fwd_f32, log_softmax_fwd_f32, softmax_bwd_f32, log_softmax_bwd_f32, softmax_xent_fwd_f32, softmax_xent_bwd_f32, softmax_xent_fwd_bwd_inplace_f32 } from './softmax';
export { layer_norm_fwd_f32, layer_norm_bwd_f32 } from './norm';
export { relu_fwd_f32, relu_bwd_f32, gelu_fwd_f32, gelu_bwd_f32, tanh_fwd_f32, tanh_bwd_f32, sigmoid_fwd_f32, sigmoid_bwd_f32 } from './activation';
export { embedding_fwd_f32, embedding_bwd_f32 } from './embedding';
export { add_f32, mul_f32, scale_f32, axpy_f32, bias_add_f32, sum_rows_f32, sum_cols_f32, dropout_fwd_f32, dropout_bwd_f32, sinusoidal_positions_f32 } from './elementwise';
export { sgd_step_f32, adam_step_f32, sum_squares_f32 } from './optim';
export { attention_fwd, attention_bwd, attention_workspace_bytes, rotary_fwd, rotary_bwd } from './attention';
export { ft_supervised_train_f32, ft_supervised_predict_f32 } from './fasttext';
export { sgns_train, sgns_scratch_bytes, sgns_draw_negatives } from './sgns';
export { mean_pool_fwd, mean_pool_bwd, max_pool_fwd, max_pool_bwd, first_pool_fwd, first_pool_bwd } from './pool';
export { copy2d_f32, swap_axes12_f32, transpose_last2_f32 } from './layout';
export { attention_fwd_range, attention_bwd_range } from './attention';
