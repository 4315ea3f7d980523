import { checkOptions } from '../core/check.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../core/errors.js';
import { rt } from '../core/runtime.js';
import { Tensor } from '../core/tensor.js';
import * as act from '../ops/activation.js';
import * as att from '../ops/attention.js';
import * as conv from '../ops/conv.js';
import * as ew from '../ops/elementwise.js';
import * as emb from '../ops/embedding.js';
import * as lay from '../ops/layout.js';
import * as lin from '../ops/linear.js';
import * as mm from '../ops/matmul.js';
import * as norm from '../ops/norm.js';
import * as pool from '../ops/pool.js';
import * as rnnOps from '../ops/rnn.js';
import * as sm from '../ops/softmax.js';
import { type Input, Variable, asVariable, tape } from './tape.js';

// The differentiable ops: each runs the forward op of src/ops, records on the
// tape which backward op to run with which saved tensors, and returns a
// Variable. Backward ops accumulate into the gradient buffers the tape hands
// out (a Parameter's own `grad`), and an input that needs no gradient gets no
// work. Inside noGrad() nothing is recorded and saved statistics are freed at once.

const v = asVariable;
const gradOf = (x: Variable) => tape.gradOf(x);

/** Record `value` as the output of an op over `inputs`; `saved` tensors are owned by the step, or freed now when nothing records. */
function out(
  value: Tensor,
  inputs: readonly Variable[],
  backward: (g: Tensor) => void,
  saved: readonly Tensor[] = [],
): Variable {
  const y = tape.record(value, inputs, backward);
  for (const t of saved) {
    if (y.requiresGrad) tape.own(t);
    else t.dispose();
  }
  return y;
}

/** A gradient buffer for `x` when it needs one, else a zeroed temporary (for kernels that write every gradient); `done` frees temporaries. */
function gradOrScratch(x: Variable, scratch: Tensor[]): Tensor {
  if (x.requiresGrad) return gradOf(x);
  const t = Tensor.zeros(x.shape);
  scratch.push(t);
  return t;
}

function checkF32(fn: string, name: string, x: Variable): void {
  if (x.dtype !== 'float32') throw new DTypeError(`${fn}: ${name} must have dtype float32, got ${x.dtype}`);
}

// ---------------------------------------------------------------- products

/** Options of `matmul`: transposes, a bias row and a ReLU epilogue. */
export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  /** [N] added to every row. */
  bias?: Input;
  /** Epilogue activation, after the bias. */
  activation?: 'none' | 'relu';
}

/** op(a) op(b) (+ bias) (then ReLU) for 2-D a, b (`ops.matmul`): op(a) [M, K], op(b) [K, N]. */
export function matmul(a: Input, b: Input, options: MatmulOptions = {}): Variable {
  const fn = 'matmul';
  const A = v(fn, 'a', a),
    B = v(fn, 'b', b);
  const bias = options.bias === undefined ? undefined : v(fn, 'bias', options.bias);
  const ta = options.transposeA === true,
    tb = options.transposeB === true;
  const activation = options.activation ?? 'none';
  const y = mm.matmul(A.value, B.value, { transposeA: ta, transposeB: tb, bias: bias?.value, activation });
  const inputs = bias === undefined ? [A, B] : [A, B, bias];
  const Y: Variable = out(y, inputs, (g) => {
    let gz = g;
    if (activation === 'relu') {
      gz = Tensor.zeros(g.shape);
      act.reluBackward(Y.value, g, gz);
    }
    try {
      // C = op(A) op(B): d op(A) = G op(B)^T, d op(B) = op(A)^T G; a transposed operand gets the transpose.
      if (A.requiresGrad) {
        if (!ta) mm.matmul(gz, B.value, { transposeB: !tb, out: gradOf(A), beta: 1 });
        else mm.matmul(B.value, gz, { transposeA: tb, transposeB: true, out: gradOf(A), beta: 1 });
      }
      if (B.requiresGrad) {
        if (!tb) mm.matmul(A.value, gz, { transposeA: !ta, out: gradOf(B), beta: 1 });
        else mm.matmul(gz, A.value, { transposeA: true, transposeB: ta, out: gradOf(B), beta: 1 });
      }
      if (bias?.requiresGrad) ew.sumRows(gz, gradOf(bias));
    } finally {
      if (gz !== g) gz.dispose();
    }
  });
  return Y;
}

/**
 * PyTorch's F.linear over any leading shape: x [..., in], weight [out, in],
 * bias [out] → x W^T + b, with an optional ReLU epilogue (`ops.linear`).
 */
export function linear(
  x: Input,
  weight: Input,
  bias?: Input | null,
  options: { activation?: 'none' | 'relu' } = {},
): Variable {
  const fn = 'linear';
  const X = v(fn, 'x', x),
    W = v(fn, 'weight', weight);
  const Bv = bias === undefined || bias === null ? undefined : v(fn, 'bias', bias);
  const activation = options.activation ?? 'none';
  const y = lin.linear(X.value, W.value, { bias: Bv?.value, activation });
  const inputs = Bv === undefined ? [X, W] : [X, W, Bv];
  const Y: Variable = out(y, inputs, (g) => {
    lin.linearBackward(
      X.value,
      W.value,
      Y.value,
      g,
      {
        dx: X.requiresGrad ? gradOf(X) : undefined,
        dweight: W.requiresGrad ? gradOf(W) : undefined,
        dbias: Bv?.requiresGrad ? gradOf(Bv) : undefined,
      },
      { activation },
    );
  });
  return Y;
}

// ---------------------------------------------------------------- elementwise

/** a + b: same shapes, or b a row vector [C] broadcast over a [..., C] (a bias). */
export function add(a: Input, b: Input): Variable {
  const fn = 'add';
  const A = v(fn, 'a', a),
    B = v(fn, 'b', b);
  const y = ew.add(A.value, B.value);
  const broadcast = A.shape.length !== B.shape.length || A.shape.some((d, i) => d !== B.shape[i]);
  return out(y, [A, B], (g) => {
    if (A.requiresGrad) ew.axpy(1, g, gradOf(A));
    if (B.requiresGrad) {
      if (broadcast) ew.sumRows(g, gradOf(B));
      else ew.axpy(1, g, gradOf(B));
    }
  });
}

/** a * b elementwise (same shapes). */
export function mul(a: Input, b: Input): Variable {
  const fn = 'mul';
  const A = v(fn, 'a', a),
    B = v(fn, 'b', b);
  const y = ew.mul(A.value, B.value);
  return out(y, [A, B], (g) => {
    for (const [X, other] of [
      [A, B],
      [B, A],
    ] as const) {
      if (!X.requiresGrad) continue;
      const t = ew.mul(g, other.value);
      try {
        ew.axpy(1, t, gradOf(X));
      } finally {
        t.dispose();
      }
    }
  });
}

/** s * x (s rounded to float32). */
export function scale(x: Input, s: number): Variable {
  const X = v('scale', 'x', x);
  const y = ew.scale(X.value, s);
  return out(y, [X], (g) => ew.axpy(s, g, gradOf(X)));
}

/** The sum of every element: a scalar (shape []). */
export function sum(x: Input): Variable {
  const fn = 'sum';
  const X = v(fn, 'x', x);
  checkF32(fn, 'x', X);
  const r = rt(fn);
  const y = Tensor.zeros([]);
  if (X.size > 0) r.kernels.sum_cols_f32(X.value.offset, y.offset, 1, X.size);
  return out(y, [X], (g) => {
    // dx += g broadcast: g is a 1-column bias over rows of one element.
    const dx = gradOf(X);
    if (X.size > 0) rt(fn).kernels.bias_add_f32(dx.offset, g.offset, dx.offset, X.size, 1);
  });
}

/** The mean of every element: a scalar (shape []). */
export function mean(x: Input): Variable {
  const X = v('mean', 'x', x);
  return scale(sum(X), X.size === 0 ? 0 : 1 / X.size);
}

// ---------------------------------------------------------------- layout

/** The same elements in another shape (one dimension may be -1). A copy: Tensors own their memory. */
export function reshape(x: Input, shape: readonly number[]): Variable {
  const X = v('reshape', 'x', x);
  const y = lay.reshape(X.value, shape);
  return out(y, [X], (g) => lay.reshapeBackward(g, gradOf(X)));
}

/** Swap the last two dimensions: [..., R, C] → [..., C, R]. */
export function transpose(x: Input): Variable {
  const X = v('transpose', 'x', x);
  const y = lay.transposeLast2(X.value);
  return out(y, [X], (g) => lay.transposeLast2Backward(g, gradOf(X)));
}

/** [B, S, H·D] → [B, H, S, D], the layout of `attention`. */
export function splitHeads(x: Input, heads: number): Variable {
  const X = v('splitHeads', 'x', x);
  const y = lay.splitHeads(X.value, heads);
  return out(y, [X], (g) => lay.splitHeadsBackward(g, gradOf(X)));
}

/** [B, H, S, D] → [B, S, H·D]. */
export function mergeHeads(x: Input): Variable {
  const X = v('mergeHeads', 'x', x);
  const y = lay.mergeHeads(X.value);
  return out(y, [X], (g) => lay.mergeHeadsBackward(g, gradOf(X)));
}

/** Concatenation along the last dimension (same leading shapes). */
export function concat(xs: readonly Input[]): Variable {
  const fn = 'concat';
  if (!Array.isArray(xs)) throw new ArgumentError(`${fn}: xs must be an array, got ${typeof xs}`);
  const X = xs.map((x, i) => v(fn, `xs[${i}]`, x));
  const y = lay.concatLast(X.map((x) => x.value));
  const widths = X.map((x) => x.shape[x.shape.length - 1]!);
  return out(y, X, (g) =>
    lay.concatLastBackward(
      g,
      widths,
      X.map((x) => (x.requiresGrad ? gradOf(x) : null)),
    ),
  );
}

/** Columns [start, start + width) of the last dimension. */
export function slice(x: Input, start: number, width: number): Variable {
  const X = v('slice', 'x', x);
  const y = lay.sliceLast(X.value, start, width);
  return out(y, [X], (g) => lay.sliceLastBackward(g, gradOf(X), start));
}

/** Split the last dimension into pieces of the given widths (a fused q/k/v projection into q, k, v). */
export function split(x: Input, widths: readonly number[]): Variable[] {
  const fn = 'split';
  const X = v(fn, 'x', x);
  const C = X.shape[X.shape.length - 1] ?? 0;
  if (
    !Array.isArray(widths) ||
    widths.some((w) => !Number.isInteger(w) || w < 0) ||
    widths.reduce((a, b) => a + b, 0) !== C
  ) {
    throw new ArgumentError(
      `${fn}: widths must be non-negative integers summing to the last dimension ${C}, got ${JSON.stringify(widths)}`,
    );
  }
  let start = 0;
  return widths.map((w) => {
    const y = slice(X, start, w);
    start += w;
    return y;
  });
}

// ---------------------------------------------------------------- recurrent

export type { RnnMode } from '../ops/rnn.js';

/** Options of `rnn`: initial states (differentiable), the step mask and the direction (see `ops.RnnOptions`). */
export interface RnnFOptions {
  /** [B, H] initial hidden state; default zeros. */
  h0?: Input;
  /** [B, H] initial cell state, LSTM only; default zeros. */
  c0?: Input;
  /** [B, T] 0/1, int32 or float32: masked steps carry the state. Must stay alive until backward() has run. */
  mask?: Tensor;
  /** Run t = T − 1 … 0; default false. */
  reverse?: boolean;
}

/**
 * A recurrent layer over the whole sequence (`ops.rnn`, PyTorch's LSTM / GRU / RNN
 * cells, batch-first): x [B, T, I], weightIh [G·H, I], weightHh [G·H, H], biases
 * [G·H] or null. `output` [B, T, H] records on the tape (gradients to x, both
 * weights, both biases, h0 and c0 when they require one); `h` and `c` are the
 * final states as plain Tensors, detached and owned by the caller (tidy frees
 * them): what truncated BPTT carries to the next chunk.
 */
export function rnn(
  mode: rnnOps.RnnMode,
  x: Input,
  weightIh: Input,
  weightHh: Input,
  biasIh: Input | null,
  biasHh: Input | null,
  options: RnnFOptions = {},
): { output: Variable; h: Tensor; c: Tensor | null } {
  const fn = 'rnn';
  const X = v(fn, 'x', x),
    Wi = v(fn, 'weightIh', weightIh),
    Wh = v(fn, 'weightHh', weightHh);
  const Bi = biasIh === undefined || biasIh === null ? undefined : v(fn, 'biasIh', biasIh);
  const Bh = biasHh === undefined || biasHh === null ? undefined : v(fn, 'biasHh', biasHh);
  const o = checkOptions<RnnFOptions>(fn, 'options', options ?? {}, ['h0', 'c0', 'mask', 'reverse']);
  const H0 = o.h0 === undefined ? undefined : v(fn, 'h0', o.h0);
  const C0 = o.c0 === undefined ? undefined : v(fn, 'c0', o.c0);
  const opts: rnnOps.RnnOptions = { h0: H0?.value, c0: C0?.value, mask: o.mask, reverse: o.reverse };
  const bi = Bi?.value ?? null,
    bh = Bh?.value ?? null;
  const res = rnnOps.rnn(mode, X.value, Wi.value, Wh.value, bi, bh, opts);
  const inputs = [X, Wi, Wh, Bi, Bh, H0, C0].filter((t): t is Variable => t !== undefined);
  const Y = out(
    res.out,
    inputs,
    (g) => {
      const into = (V: Variable | undefined) => (V?.requiresGrad ? gradOf(V) : undefined);
      rnnOps.rnnBackward(
        mode,
        X.value,
        Wi.value,
        Wh.value,
        bi,
        bh,
        res,
        { dout: g },
        {
          dx: into(X),
          dweightIh: into(Wi),
          dweightHh: into(Wh),
          dbiasIh: into(Bi),
          dbiasHh: into(Bh),
          dh0: into(H0),
          dc0: into(C0),
        },
        opts,
      );
    },
    res.saved.tensors,
  );
  return { output: Y, h: res.h, c: res.c };
}

// ---------------------------------------------------------------- embedding, norm, activations

/** Rows of weight [V, D] for the int32 ids (any shape): [...ids.shape, D]; the backward scatter-adds. */
export function embedding(weight: Input, ids: Tensor): Variable {
  const W = v('embedding', 'weight', weight);
  const y = emb.embedding(W.value, ids);
  return out(y, [W], (g) => emb.embeddingBackward(ids, g, gradOf(W)));
}

/** Layer normalisation over the last dimension with gamma, beta [C]. */
export function layerNorm(x: Input, gamma: Input, beta: Input, options: { eps?: number } = {}): Variable {
  const fn = 'layerNorm';
  const X = v(fn, 'x', x),
    G = v(fn, 'gamma', gamma),
    Bt = v(fn, 'beta', beta);
  const { y, mean: mu, rstd } = norm.layerNorm(X.value, G.value, Bt.value, { eps: options.eps });
  return out(
    y,
    [X, G, Bt],
    (g) => {
      norm.layerNormBackward(X.value, G.value, mu, rstd, g, {
        dx: X.requiresGrad ? gradOf(X) : undefined,
        dgamma: G.requiresGrad ? gradOf(G) : undefined,
        dbeta: Bt.requiresGrad ? gradOf(Bt) : undefined,
      });
    },
    [mu, rstd],
  );
}

/** ReLU: max(x, 0), element-wise. */
export function relu(x: Input): Variable {
  const X = v('relu', 'x', x);
  return out(act.relu(X.value), [X], (g) => act.reluBackward(X.value, g, gradOf(X)));
}

/** GELU: erf form (default) or tanh approximation. */
export function gelu(x: Input, options: { approximate?: 'none' | 'tanh' } = {}): Variable {
  const X = v('gelu', 'x', x);
  const approximate = options.approximate ?? 'none';
  return out(act.gelu(X.value, { approximate }), [X], (g) => act.geluBackward(X.value, g, gradOf(X), { approximate }));
}

/** tanh, element-wise (the backward uses the output). */
export function tanh(x: Input): Variable {
  const X = v('tanh', 'x', x);
  const Y: Variable = out(act.tanh(X.value), [X], (g) => act.tanhBackward(Y.value, g, gradOf(X)));
  return Y;
}

/** Logistic sigmoid 1 / (1 + exp(-x)), element-wise (the backward uses the output). */
export function sigmoid(x: Input): Variable {
  const X = v('sigmoid', 'x', x);
  const Y: Variable = out(act.sigmoid(X.value), [X], (g) => act.sigmoidBackward(Y.value, g, gradOf(X)));
  return Y;
}

/**
 * Inverted dropout with the counter-based RNG (`ops.DropoutOptions`):
 * the backward regenerates the mask from (seed, stream, counter). The caller
 * advances `counter` by dropoutCounterSpan(x.size) per call. p = 0 returns x.
 */
export function dropout(x: Input, options: ew.DropoutOptions): Variable {
  const X = v('dropout', 'x', x);
  if (options !== null && typeof options === 'object' && options.p === 0) return X;
  const opts = { ...options };
  return out(ew.dropout(X.value, opts), [X], (g) => ew.dropoutBackward(g, gradOf(X), opts));
}

/** Counter values one dropout call over `size` elements consumes: ceil(size / 4). */
export function dropoutCounterSpan(size: number): number {
  return Math.ceil(size / 4);
}

// ---------------------------------------------------------------- attention

/** Options of `attention`: those of the raw op, with dropout as a seeded spec and optional rotary positions. */
export interface AttentionOptions extends Omit<att.AttentionOptions, 'dropout'> {
  /** Dropout on the attention probabilities (see `ops.attention`); p = 0 or absent: none. */
  dropout?: { p: number; seed: number; stream?: number; counter?: number };
  /** Rotary position embedding applied to q and k first (true: base 10000, offset 0). */
  rotary?: boolean | att.RotaryOptions;
}

/** Rotary position embedding over [..., seq, dim] (GPT-NeoX pairing, `ops.rotary`). */
export function rotary(x: Input, options: att.RotaryOptions = {}): Variable {
  const X = v('rotary', 'x', x);
  const opts = { ...options };
  return out(att.rotary(X.value, opts), [X], (g) => att.rotaryBackward(g, gradOf(X), opts));
}

/**
 * Scaled dot-product attention over q, k, v [batch, heads, seq, headDim]
 * (`ops.attention`: key-padding mask [batch, seq], causal, dropout, scale),
 * with rotary positions on q and k when asked. The key mask must stay alive
 * until backward() has run.
 */
export function attention(q: Input, k: Input, v_: Input, options: AttentionOptions = {}): Variable {
  const fn = 'attention';
  let Q = v(fn, 'q', q),
    K = v(fn, 'k', k);
  const V = v(fn, 'v', v_);
  if (options.rotary !== undefined && options.rotary !== false) {
    const ro = options.rotary === true ? {} : options.rotary;
    Q = rotary(Q, ro);
    K = rotary(K, ro);
  }
  const opts: att.AttentionOptions = {
    keyMask: options.keyMask,
    causal: options.causal,
    scale: options.scale,
    dropout: options.dropout && { ...options.dropout },
  };
  const { out: y, lse } = att.attention(Q.value, K.value, V.value, opts);
  const Y: Variable = out(
    y,
    [Q, K, V],
    (g) => {
      const scratch: Tensor[] = [];
      // The kernel writes three distinct buffers: a gradient shared by two of q, k, v
      // (self-attention on one Variable) gets a scratch copy added afterwards.
      const shared: [Tensor, Tensor][] = [];
      try {
        const grads: Tensor[] = [];
        for (const X of [Q, K, V]) {
          let t = gradOrScratch(X, scratch);
          if (grads.includes(t)) {
            const s = Tensor.zeros(X.shape);
            scratch.push(s);
            shared.push([s, t]);
            t = s;
          }
          grads.push(t);
        }
        att.attentionBackward(
          Q.value,
          K.value,
          V.value,
          Y.value,
          lse,
          g,
          { dq: grads[0]!, dk: grads[1]!, dv: grads[2]! },
          opts,
        );
        for (const [s, t] of shared) ew.axpy(1, s, t);
      } finally {
        for (const t of scratch) t.dispose();
      }
    },
    [lse],
  );
  return Y;
}

// ---------------------------------------------------------------- loss and pooling

/** Options of `crossEntropy`: the ignored target and label smoothing. */
export interface CrossEntropyOptions {
  /** Targets equal to this are left out of the mean; default -100. */
  ignoreIndex?: number;
  /** Label smoothing in [0, 1); default 0. */
  labelSmoothing?: number;
}

/**
 * Softmax cross-entropy, the mean over rows not ignored: logits [N, V] (or
 * [..., V], copied to [N, V]) and int32 targets of the leading shape. A scalar
 * (shape []). The targets must stay alive until backward() has run.
 */
export function crossEntropy(logits: Input, targets: Tensor, options: CrossEntropyOptions = {}): Variable {
  const fn = 'crossEntropy';
  let L = v(fn, 'logits', logits);
  if (L.shape.length < 1) throw new ShapeError(`${fn}: logits must have rank >= 1, got shape ${formatShape(L.shape)}`);
  if (L.shape.length !== 2) L = reshape(L, [-1, L.shape[L.shape.length - 1]!]);
  let T = targets;
  let ownT = false;
  if (targets instanceof Tensor && targets.rank !== 1) {
    if (targets.size !== L.shape[0])
      throw new ShapeError(
        `${fn}: targets must have ${L.shape[0]} elements (the rows of logits), got shape ${formatShape(targets.shape)}`,
      );
    T = Tensor.fromArray(targets.view(), [targets.size], 'int32');
    ownT = true;
  }
  const opts = { ignoreIndex: options.ignoreIndex, labelSmoothing: options.labelSmoothing };
  let res: sm.SoftmaxXentResult;
  try {
    res = sm.softmaxXent(L.value, T, opts);
  } catch (e) {
    if (ownT) T.dispose();
    throw e;
  }
  res.rowLoss.dispose();
  const y = Tensor.fromArray([res.loss], []);
  const saved = ownT ? [res.lse, T] : [res.lse];
  return out(
    y,
    [L],
    (g) => {
      sm.softmaxXentBackward(L.value, T, res.lse, gradOf(L), { ...opts, dloss: (g.view() as Float32Array)[0]! });
    },
    saved,
  );
}

/** Mean over the sequence of x [B, S, D] at the positions the mask [B, S] keeps → [B, D]. */
export function meanPool(x: Input, options: pool.PoolOptions = {}): Variable {
  const X = v('meanPool', 'x', x);
  const mask = options.mask;
  return out(pool.meanPool(X.value, { mask }), [X], (g) => pool.meanPoolBackward(g, gradOf(X), { mask }));
}

/** Max over the sequence of x [B, S, D] at the kept positions → [B, D] (gradient to the first arg-max). */
export function maxPool(x: Input, options: pool.PoolOptions = {}): Variable {
  const X = v('maxPool', 'x', x);
  const { out: y, argmax } = pool.maxPool(X.value, { mask: options.mask });
  return out(y, [X], (g) => pool.maxPoolBackward(argmax, g, gradOf(X)), [argmax]);
}

/** The first position of each sequence: x [B, S, D] → [B, D]. */
export function firstPool(x: Input): Variable {
  const X = v('firstPool', 'x', x);
  return out(pool.firstPool(X.value), [X], (g) => pool.firstPoolBackward(g, gradOf(X)));
}

/** The last position of each sequence the mask [B, S] keeps (x[:, S − 1] without one): x [B, S, D] → [B, D]; 0 for a row with none. */
export function lastPool(x: Input, options: pool.PoolOptions = {}): Variable {
  const X = v('lastPool', 'x', x);
  const mask = options.mask;
  return out(pool.lastPool(X.value, { mask }), [X], (g) => pool.lastPoolBackward(g, gradOf(X), { mask }));
}

/**
 * PyTorch's F.conv1d over channels-last sequences (`ops.conv1d`): x [B, T, Cin],
 * weight [Cout, Cin, K], bias [Cout] or null → [B, Tout, Cout]. The mask, if any,
 * must stay alive until backward() has run.
 */
export function conv1d(x: Input, weight: Input, bias: Input | null, options: conv.Conv1dOptions = {}): Variable {
  const fn = 'conv1d';
  const X = v(fn, 'x', x),
    W = v(fn, 'weight', weight);
  const Bv = bias === undefined || bias === null ? undefined : v(fn, 'bias', bias);
  const y = conv.conv1d(X.value, W.value, Bv?.value ?? null, options);
  const o = { ...options };
  const inputs = Bv === undefined ? [X, W] : [X, W, Bv];
  return out(y, inputs, (g) =>
    conv.conv1dBackward(
      X.value,
      W.value,
      g,
      {
        dx: X.requiresGrad ? gradOf(X) : undefined,
        dweight: W.requiresGrad ? gradOf(W) : undefined,
        dbias: Bv?.requiresGrad ? gradOf(Bv) : undefined,
      },
      o,
    ),
  );
}
