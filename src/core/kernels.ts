/**
 * The exports of the Wasm core, as TypeScript sees them. Pointers are byte
 * offsets into linear memory (u32 in Wasm; JS numbers up to 2^32 - 1 pass
 * through the i32 ABI unchanged). Keep in step with assembly/index.ts.
 */
export interface Kernels {
  heap_base(): number;
  gemm_workspace_bytes(): number;
  gemm_f32(
    a: number,
    b: number,
    bias: number,
    c: number,
    work: number,
    m: number,
    n: number,
    k: number,
    lda: number,
    ldb: number,
    ldc: number,
    transA: number,
    transB: number,
    alpha: number,
    beta: number,
    act: number,
  ): void;
  // gemv (matrix times up to a few vectors, no packing)
  gemv_f32(
    x: number,
    w: number,
    bias: number,
    y: number,
    m: number,
    n: number,
    k: number,
    ldx: number,
    ldw: number,
    ldy: number,
    transW: number,
    alpha: number,
    beta: number,
    act: number,
  ): void;
  gemv_range_f32(
    x: number,
    w: number,
    bias: number,
    y: number,
    m: number,
    n: number,
    k: number,
    ldx: number,
    ldw: number,
    ldy: number,
    transW: number,
    alpha: number,
    beta: number,
    act: number,
    n0: number,
    n1: number,
  ): void;
  philox4x32_fill_u32(
    out: number,
    n: number,
    key0: number,
    key1: number,
    stream: number,
    counterLo: number,
    counterHi: number,
  ): void;
  philox4x32_fill_uniform_f32(
    out: number,
    n: number,
    key0: number,
    key1: number,
    stream: number,
    counterLo: number,
    counterHi: number,
  ): void;
  philox4x32_fill_normal_f32(
    out: number,
    n: number,
    key0: number,
    key1: number,
    stream: number,
    counterLo: number,
    counterHi: number,
    mean: number,
    std: number,
  ): void;
  // vmath probes: out = f(x) over n floats
  vmath_exp(x: number, out: number, n: number): void;
  vmath_tanh(x: number, out: number, n: number): void;
  vmath_sigmoid(x: number, out: number, n: number): void;
  vmath_erf(x: number, out: number, n: number): void;
  // softmax
  softmax_fwd_f32(x: number, y: number, rows: number, cols: number): void;
  softmax_bwd_f32(y: number, dy: number, dx: number, rows: number, cols: number): void;
  log_softmax_fwd_f32(x: number, y: number, rows: number, cols: number): void;
  log_softmax_bwd_f32(y: number, dy: number, dx: number, rows: number, cols: number): void;
  softmax_xent_fwd_f32(
    logits: number,
    targets: number,
    loss: number,
    lse: number,
    rows: number,
    cols: number,
    ignoreIndex: number,
    eps: number,
  ): void;
  softmax_xent_bwd_f32(
    logits: number,
    targets: number,
    lse: number,
    dlogits: number,
    rows: number,
    cols: number,
    ignoreIndex: number,
    eps: number,
    scale: number,
  ): void;
  softmax_xent_fwd_bwd_inplace_f32(
    logits: number,
    targets: number,
    loss: number,
    lse: number,
    rows: number,
    cols: number,
    ignoreIndex: number,
    eps: number,
    scale: number,
  ): void;
  // norm
  layer_norm_fwd_f32(
    x: number,
    gamma: number,
    beta: number,
    y: number,
    mean: number,
    rstd: number,
    rows: number,
    C: number,
    eps: number,
  ): void;
  layer_norm_bwd_f32(
    x: number,
    gamma: number,
    mean: number,
    rstd: number,
    dy: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    rows: number,
    C: number,
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
  // embedding
  embedding_fwd_f32(weight: number, ids: number, out: number, n: number, dim: number, vocab: number): void;
  embedding_bwd_f32(ids: number, dy: number, dweight: number, n: number, dim: number, vocab: number): void;
  // elementwise
  add_f32(a: number, b: number, out: number, n: number): void;
  mul_f32(a: number, b: number, out: number, n: number): void;
  scale_f32(x: number, out: number, n: number, s: number): void;
  axpy_f32(x: number, y: number, n: number, alpha: number): void;
  bias_add_f32(x: number, bias: number, out: number, rows: number, cols: number): void;
  sum_rows_f32(x: number, out: number, rows: number, cols: number): void;
  sum_cols_f32(x: number, out: number, rows: number, cols: number): void;
  dropout_fwd_f32(
    x: number,
    out: number,
    n: number,
    key0: number,
    key1: number,
    stream: number,
    counterLo: number,
    counterHi: number,
    threshold: number,
    scale: number,
  ): void;
  dropout_bwd_f32(
    dy: number,
    dx: number,
    n: number,
    key0: number,
    key1: number,
    stream: number,
    counterLo: number,
    counterHi: number,
    threshold: number,
    scale: number,
  ): void;
  sinusoidal_positions_f32(out: number, seq: number, dim: number): void;
  // optim
  sgd_step_f32(
    grad: number,
    param: number,
    momentum: number,
    n: number,
    lr: number,
    mu: number,
    wd: number,
    nesterov: number,
  ): void;
  adam_step_f32(
    grad: number,
    param: number,
    m: number,
    v: number,
    n: number,
    stepSize: number,
    beta1: number,
    beta2: number,
    oneMinusB1: number,
    oneMinusB2: number,
    epsHat: number,
    wd: number,
    decay: number,
  ): void;
  sum_squares_f32(x: number, n: number): number;
  // attention
  attention_workspace_bytes(S: number, D: number): number;
  attention_fwd(
    q: number,
    k: number,
    v: number,
    keymask: number,
    out: number,
    lse: number,
    work: number,
    B: number,
    H: number,
    S: number,
    D: number,
    scale: number,
    causal: number,
    threshold: number,
    keepScale: number,
    key0: number,
    key1: number,
    stream: number,
    ctrLo: number,
    ctrHi: number,
  ): void;
  attention_bwd(
    q: number,
    k: number,
    v: number,
    out: number,
    lse: number,
    dout: number,
    keymask: number,
    dq: number,
    dk: number,
    dv: number,
    work: number,
    B: number,
    H: number,
    S: number,
    D: number,
    scale: number,
    causal: number,
    threshold: number,
    keepScale: number,
    key0: number,
    key1: number,
    stream: number,
    ctrLo: number,
    ctrHi: number,
  ): void;
  rotary_fwd(x: number, cos: number, sin: number, out: number, N: number, S: number, D: number): void;
  rotary_bwd(dy: number, cos: number, sin: number, dx: number, N: number, S: number, D: number): void;
  // attention (incremental decoding over a KV cache)
  attention_decode_workspace_bytes(D: number): number;
  attention_decode_f32(
    q: number,
    kc: number,
    vc: number,
    out: number,
    work: number,
    B: number,
    H: number,
    n: number,
    T: number,
    Tmax: number,
    D: number,
    scale: number,
  ): void;
  // fasttext (supervised)
  ft_supervised_train_f32(
    rows: number,
    off: number,
    labels: number,
    loff: number,
    lrs: number,
    negTable: number,
    hsPoints: number,
    hsCodes: number,
    hsOff: number,
    input: number,
    output: number,
    scratch: number,
    rng: number,
    lossOut: number,
    n: number,
    dim: number,
    nlabels: number,
    negSize: number,
    loss: number,
    neg: number,
  ): void;
  ft_supervised_predict_f32(
    rows: number,
    off: number,
    hsPoints: number,
    hsCodes: number,
    hsOff: number,
    input: number,
    output: number,
    scratch: number,
    probs: number,
    n: number,
    dim: number,
    nlabels: number,
    loss: number,
  ): void;
  // sgns (word2vec / fastText training)
  sgns_scratch_bytes(dim: number, window: number, maxTargets: number, maxRows: number): number;
  sgns_train(
    ids: number,
    keep: number,
    prob: number,
    alias: number,
    hsOff: number,
    hsCodes: number,
    hsPoints: number,
    subOff: number,
    subRows: number,
    win: number,
    wout: number,
    state: number,
    scratch: number,
    n: number,
    V: number,
    dim: number,
    window: number,
    negative: number,
    maxTargets: number,
    model: number,
    hs: number,
    eos: number,
    flags: number,
  ): void;
  sgns_draw_negatives(
    prob: number,
    alias: number,
    out: number,
    state: number,
    scratch: number,
    n: number,
    V: number,
  ): void;
  // pool (over the sequence axis; mask 0 = no padding) and layout (acc 0 copies, 1 accumulates)
  mean_pool_fwd(x: number, mask: number, out: number, B: number, S: number, D: number): void;
  mean_pool_bwd(dout: number, mask: number, dx: number, B: number, S: number, D: number): void;
  max_pool_fwd(x: number, mask: number, out: number, argmax: number, B: number, S: number, D: number): void;
  max_pool_bwd(argmax: number, dout: number, dx: number, B: number, S: number, D: number): void;
  first_pool_fwd(x: number, out: number, B: number, S: number, D: number): void;
  first_pool_bwd(dout: number, dx: number, B: number, S: number, D: number): void;
  last_pool_fwd(x: number, mask: number, out: number, B: number, S: number, D: number): void;
  last_pool_bwd(dout: number, mask: number, dx: number, B: number, S: number, D: number): void;
  copy2d_f32(src: number, dst: number, rows: number, cols: number, ldSrc: number, ldDst: number, acc: number): void;
  swap_axes12_f32(x: number, out: number, A: number, B: number, C: number, D: number, acc: number): void;
  transpose_last2_f32(x: number, out: number, N: number, R: number, C: number, acc: number): void;
  // convolution, statistics (conv mask 0 = no padding; stats out = 4 f64: sum, sum of squares, zeros, max |x|)
  conv1d_im2col_f32(
    x: number,
    mask: number,
    cols: number,
    B: number,
    T: number,
    Cin: number,
    Tout: number,
    K: number,
    stride: number,
    dilation: number,
    padLeft: number,
  ): void;
  conv1d_col2im_f32(
    dcols: number,
    mask: number,
    dx: number,
    B: number,
    T: number,
    Cin: number,
    Tout: number,
    K: number,
    stride: number,
    dilation: number,
    padLeft: number,
  ): void;
  tensor_stats_f32(x: number, out: number, n: number): void;
  // recurrent (whole-sequence time loops; mask, dout, dhLast, dcLast, dh0, dc0 may be 0; reverse 0/1, relu 0/1)
  rnn_seq_workspace_bytes(B: number, H: number, G: number): number;
  lstm_seq_fwd_f32(
    whh: number,
    h0: number,
    c0: number,
    mask: number,
    gates: number,
    cells: number,
    out: number,
    hLast: number,
    cLast: number,
    work: number,
    B: number,
    T: number,
    H: number,
    reverse: number,
  ): void;
  lstm_seq_bwd_f32(
    gates: number,
    cells: number,
    c0: number,
    whh: number,
    dout: number,
    dhLast: number,
    dcLast: number,
    mask: number,
    dgates: number,
    dh0: number,
    dc0: number,
    carry: number,
    work: number,
    B: number,
    T: number,
    H: number,
    reverse: number,
  ): void;
  gru_seq_fwd_f32(
    whh: number,
    bhh: number,
    h0: number,
    mask: number,
    gates: number,
    hn: number,
    out: number,
    hLast: number,
    work: number,
    B: number,
    T: number,
    H: number,
    reverse: number,
  ): void;
  gru_seq_bwd_f32(
    gates: number,
    hn: number,
    h0: number,
    out: number,
    whh: number,
    dout: number,
    dhLast: number,
    mask: number,
    dgates: number,
    dgatesh: number,
    dh0: number,
    carry: number,
    work: number,
    B: number,
    T: number,
    H: number,
    reverse: number,
  ): void;
  rnn_seq_fwd_f32(
    whh: number,
    h0: number,
    mask: number,
    out: number,
    hLast: number,
    work: number,
    B: number,
    T: number,
    H: number,
    relu: number,
    reverse: number,
  ): void;
  rnn_seq_bwd_f32(
    out: number,
    whh: number,
    dout: number,
    dhLast: number,
    mask: number,
    dpre: number,
    dh0: number,
    carry: number,
    work: number,
    B: number,
    T: number,
    H: number,
    relu: number,
    reverse: number,
  ): void;
  // threads (attention over a range [bh0, bh1) of the B * H heads)
  attention_fwd_range(
    q: number,
    k: number,
    v: number,
    keymask: number,
    out: number,
    lse: number,
    work: number,
    B: number,
    H: number,
    S: number,
    D: number,
    scale: number,
    causal: number,
    threshold: number,
    keepScale: number,
    key0: number,
    key1: number,
    stream: number,
    ctrLo: number,
    ctrHi: number,
    bh0: number,
    bh1: number,
  ): void;
  attention_bwd_range(
    q: number,
    k: number,
    v: number,
    out: number,
    lse: number,
    dout: number,
    keymask: number,
    dq: number,
    dk: number,
    dv: number,
    work: number,
    B: number,
    H: number,
    S: number,
    D: number,
    scale: number,
    causal: number,
    threshold: number,
    keepScale: number,
    key0: number,
    key1: number,
    stream: number,
    ctrLo: number,
    ctrHi: number,
    bh0: number,
    bh1: number,
  ): void;
}

/** Epilogue activation codes shared with assembly/gemm.ts. */
export const ACT_NONE = 0;
export const ACT_RELU = 1;
