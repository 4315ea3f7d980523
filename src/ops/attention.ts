import { checkBool, checkObject, describe } from '../core/check.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../core/errors.js';
import { type Runtime, rt } from '../core/runtime.js';
import { Tensor, expectTensor } from '../core/tensor.js';
import { getThreads, parallelMin, runChunks, splitRange } from '../core/threads.js';

/** Options of `attention` and `attentionBackward`: key mask, causal masking, scale and dropout. */
export interface AttentionOptions {
  /**
   * [batch, seq] key mask, int32 or float32, every value 0 or 1 (Hugging Face's
   * `attention_mask`): keys with 0 get exactly zero weight for every query.
   */
  keyMask?: Tensor;
  /** Query i sees keys j <= i only. */
  causal?: boolean;
  /** Multiplies q k^T; default 1 / sqrt(headDim). */
  scale?: number;
  /**
   * Dropout on the attention probabilities (after the softmax): probability p in
   * [0, 1); element (b, h, i, j) uses the counter-based RNG word of index
   * ((b H + h) S + i) S + j from (seed, stream, counter), so the backward, called
   * with the same options, regenerates the mask. p = 0 means none.
   */
  dropout?: { p: number; seed: number; stream?: number; counter?: number };
}

/** Options of `rotary` and `rotaryBackward`: frequency base and position offset. */
export interface RotaryOptions {
  /** Frequency base: theta(pos, c) = pos * base^(-2c / D); default 10000. */
  base?: number;
  /** Position of the first row along the sequence axis; default 0. */
  offset?: number;
}

interface Prepared {
  B: number;
  H: number;
  S: number;
  D: number;
  scale: number;
  causal: number;
  mask: number;
  /** A converted mask to dispose after the kernel, if one was made. */
  tmp?: Tensor;
  threshold: number;
  keepScale: number;
  key0: number;
  key1: number;
  stream: number;
  ctrLo: number;
  ctrHi: number;
}

/** Checks q, k, v and the options; converts the key mask to int32 0/1 if needed. */
function prepare(fn: string, q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): Prepared {
  checkObject(fn, 'options', options);
  const [B, H, S, D] = expectTensor(fn, 'q', q, 4) as [number, number, number, number];
  expectTensor(fn, 'k', k, 4);
  expectTensor(fn, 'v', v, 4);
  for (const [name, t] of [
    ['k', k],
    ['v', v],
  ] as const) {
    if (t.shape.some((d, i) => d !== q.shape[i])) {
      throw new ShapeError(
        `${fn}: ${name} must have the shape of q ${formatShape(q.shape)}, got ${formatShape(t.shape)}`,
      );
    }
  }
  if (D < 1) throw new ShapeError(`${fn}: q must have headDim >= 1, got shape ${formatShape(q.shape)}`);
  const scale = options.scale ?? 1 / Math.sqrt(D);
  if (typeof scale !== 'number' || !Number.isFinite(scale))
    throw new ArgumentError(`${fn}: scale must be a finite number, got ${scale}`);
  if (options.causal !== undefined) checkBool(fn, 'causal', options.causal);
  const p: Prepared = {
    B,
    H,
    S,
    D,
    scale,
    causal: options.causal === true ? 1 : 0,
    mask: 0,
    threshold: 0,
    keepScale: 1,
    key0: 0,
    key1: 0,
    stream: 0,
    ctrLo: 0,
    ctrHi: 0,
  };
  const drop = options.dropout;
  if (drop !== undefined) {
    checkObject(fn, 'dropout', drop, 'an object { p, seed }');
    const pr = drop.p;
    if (typeof pr !== 'number' || !(pr >= 0 && pr < 1))
      throw new ArgumentError(`${fn}: dropout.p must be a number in [0, 1), got ${pr}`);
    const seed = drop.seed;
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new ArgumentError(`${fn}: dropout.seed must be an integer in [0, 2^53), got ${seed}`);
    const stream = drop.stream ?? 0;
    if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) {
      throw new ArgumentError(`${fn}: dropout.stream must be an integer in [0, 2^32), got ${stream}`);
    }
    const counter = drop.counter ?? 0;
    if (!Number.isSafeInteger(counter) || counter < 0)
      throw new ArgumentError(`${fn}: dropout.counter must be an integer in [0, 2^53), got ${counter}`);
    p.threshold = Math.round(pr * 2 ** 24);
    if (p.threshold > 0) {
      p.keepScale = Math.fround(1 / (1 - pr));
      p.key0 = seed >>> 0;
      p.key1 = Math.floor(seed / 2 ** 32) >>> 0;
      p.stream = stream >>> 0;
      p.ctrLo = counter >>> 0;
      p.ctrHi = Math.floor(counter / 2 ** 32) >>> 0;
    }
  }
  const m = options.keyMask;
  if (m !== undefined) {
    if (!(m instanceof Tensor)) throw new ArgumentError(`${fn}: keyMask must be a Tensor, got ${describe(m)}`);
    if (m.dtype !== 'int32' && m.dtype !== 'float32')
      throw new DTypeError(`${fn}: keyMask must have dtype int32 or float32, got ${m.dtype}`);
    if (m.rank !== 2 || m.shape[0] !== B || m.shape[1] !== S) {
      throw new ShapeError(`${fn}: keyMask must have shape [${B}, ${S}], got ${formatShape(m.shape)}`);
    }
    const view = m.view();
    for (let i = 0; i < view.length; i++) {
      const x = view[i]!;
      if (x !== 0 && x !== 1) throw new ArgumentError(`${fn}: keyMask must hold only 0 and 1, got ${x} at index ${i}`);
    }
    if (m.dtype === 'int32') {
      p.mask = m.offset;
    } else {
      const t = Tensor.empty([B, S], 'int32');
      t.view().set(m.view());
      p.tmp = t;
      p.mask = t.offset;
    }
  }
  return p;
}

function expectLike(fn: string, name: string, t: unknown, shape: readonly number[]): Tensor {
  expectTensor(fn, name, t, shape.length);
  const x = t as Tensor;
  if (x.shape.some((d, i) => d !== shape[i]))
    throw new ShapeError(`${fn}: ${name} must have shape ${formatShape(shape)}, got ${formatShape(x.shape)}`);
  return x;
}

/** Head ranges per thread: several, so a thread that starts late is made up for by the others. */
const CHUNKS_PER_THREAD = 4;

/**
 * Run an attention kernel over all B * H heads: `args(bh0, bh1)` is its
 * argument list for heads [bh0, bh1), with the workspace (argument
 * `workArg`) filled in per thread. With getThreads() > 1 and
 * B H S^2 D >= the attentionMinMacs of setThreads, the heads are cut into
 * contiguous ranges run by the threads at once (runChunks), each thread with
 * its own attention_workspace_bytes(S, D) block; each head is computed exactly
 * as in the one-call kernel, so the bits are the same.
 */
function runHeads(
  r: Runtime,
  p: Prepared,
  fn: 'attention_fwd_range' | 'attention_bwd_range',
  workArg: number,
  args: (bh0: number, bh1: number) => number[],
): void {
  const heads = p.B * p.H;
  const threads = r.pool === undefined ? 1 : getThreads();
  const cut =
    threads > 1 && heads * p.S * p.S * p.D >= parallelMin().attentionMacs
      ? splitRange(heads, threads * CHUNKS_PER_THREAD, 1)
      : [0, heads];
  const chunks: number[][] = [];
  for (let t = 0; t + 1 < cut.length; t++) chunks.push(args(cut[t]!, cut[t + 1]!));
  const bytes = r.kernels.attention_workspace_bytes(p.S, p.D);
  const works: number[] = [];
  try {
    for (let t = 0; t < (chunks.length > 1 ? threads : 1); t++) works.push(r.heap.alloc(bytes));
    runChunks(r, fn, chunks, workArg, works);
  } finally {
    for (const w of works) r.heap.free(w);
    p.tmp?.dispose();
  }
}

/**
 * Scaled dot-product multi-head attention, FlashAttention-2 style (no seq x seq
 * buffer): out = dropout(softmax(scale q k^T + masks)) v over q, k, v of shape
 * [batch, heads, seq, headDim] (float32). Returns `out` and `lse` [batch, heads, seq],
 * the per-row log-sum-exp of the masked scaled scores before dropout (the only
 * statistic attentionBackward needs). A query row with no visible key gets out = 0
 * and lse = -Infinity.
 */
export function attention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions & { out?: Tensor } = {},
): { out: Tensor; lse: Tensor } {
  const fn = 'attention';
  const r = rt(fn);
  const p = prepare(fn, q, k, v, options);
  let out = options.out;
  if (out !== undefined) {
    try {
      expectLike(fn, 'out', out, q.shape);
      if (out === q || out === k || out === v)
        throw new ArgumentError(`${fn}: out must not be an input, got the same Tensor`);
    } catch (e) {
      p.tmp?.dispose();
      throw e;
    }
  } else {
    out = Tensor.empty(q.shape);
  }
  const lse = Tensor.empty([p.B, p.H, p.S]);
  const o = out;
  runHeads(r, p, 'attention_fwd_range', 6, (bh0, bh1) => [
    q.offset,
    k.offset,
    v.offset,
    p.mask,
    o.offset,
    lse.offset,
    0,
    p.B,
    p.H,
    p.S,
    p.D,
    p.scale,
    p.causal,
    p.threshold,
    p.keepScale,
    p.key0,
    p.key1,
    p.stream,
    p.ctrLo,
    p.ctrHi,
    bh0,
    bh1,
  ]);
  return { out, lse };
}

/**
 * Gradients of attention: ACCUMULATES d q, d k, d v (+=) given the forward's
 * `out` and `lse` and the upstream gradient `dout`. Pass the same options as the
 * forward (masks, scale, dropout seed/stream/counter: the mask is regenerated).
 */
export function attentionBackward(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  lse: Tensor,
  dout: Tensor,
  grads: { dq: Tensor; dk: Tensor; dv: Tensor },
  options: AttentionOptions = {},
): void {
  const fn = 'attentionBackward';
  const r = rt(fn);
  const p = prepare(fn, q, k, v, options);
  try {
    expectLike(fn, 'out', out, q.shape);
    expectLike(fn, 'lse', lse, [p.B, p.H, p.S]);
    expectLike(fn, 'dout', dout, q.shape);
    checkObject(fn, 'grads', grads, 'an object { dq, dk, dv }');
    const inputs = [q, k, v, out, lse, dout];
    const seen: Tensor[] = [];
    for (const name of ['dq', 'dk', 'dv'] as const) {
      const g = expectLike(fn, `grads.${name}`, grads[name], q.shape);
      if (inputs.includes(g) || seen.includes(g))
        throw new ArgumentError(
          `${fn}: grads.${name} must be a separate Tensor, got one that is also an input or another gradient`,
        );
      seen.push(g);
    }
  } catch (e) {
    p.tmp?.dispose();
    throw e;
  }
  runHeads(r, p, 'attention_bwd_range', 10, (bh0, bh1) => [
    q.offset,
    k.offset,
    v.offset,
    out.offset,
    lse.offset,
    dout.offset,
    p.mask,
    grads.dq.offset,
    grads.dk.offset,
    grads.dv.offset,
    0,
    p.B,
    p.H,
    p.S,
    p.D,
    p.scale,
    p.causal,
    p.threshold,
    p.keepScale,
    p.key0,
    p.key1,
    p.stream,
    p.ctrLo,
    p.ctrHi,
    bh0,
    bh1,
  ]);
}

/**
 * Bytes of Wasm scratch attention and attentionBackward allocate (and free)
 * per call for sequence length `seq` and head size `headDim`, independent of
 * batch and heads: it stops growing at seq 64 (blocks of 64 queries and keys),
 * where a materialised score matrix would take 4 seq^2 bytes per head.
 */
export function attentionWorkspaceBytes(seq: number, headDim: number): number {
  const fn = 'attentionWorkspaceBytes';
  if (!Number.isInteger(seq) || seq < 0)
    throw new ArgumentError(`${fn}: seq must be a non-negative integer, got ${seq}`);
  if (!Number.isInteger(headDim) || headDim < 1)
    throw new ArgumentError(`${fn}: headDim must be a positive integer, got ${headDim}`);
  return rt(fn).kernels.attention_workspace_bytes(seq, headDim);
}

/**
 * cos and sin tables [S, D/2] for positions offset .. offset + S - 1:
 * theta(pos, c) = pos * base^(-2c / D), computed in float64 with Math.pow/cos/sin
 * and rounded to float32 (V8's fdlibm-based Math gives the same bits in Node,
 * Chromium and workerd).
 */
function rotaryTables(fn: string, S: number, D: number, options: RotaryOptions): { cos: Tensor; sin: Tensor } {
  const base = options.base ?? 10000;
  const offset = options.offset ?? 0;
  if (typeof base !== 'number' || !Number.isFinite(base) || base <= 0)
    throw new ArgumentError(`${fn}: base must be a finite number > 0, got ${base}`);
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new ArgumentError(`${fn}: offset must be a non-negative integer, got ${offset}`);
  const h = D / 2;
  const c = new Float32Array(S * h);
  const s = new Float32Array(S * h);
  for (let i = 0; i < h; i++) {
    const f = Math.pow(base, (-2 * i) / D);
    for (let t = 0; t < S; t++) {
      const th = (offset + t) * f;
      c[t * h + i] = Math.cos(th);
      s[t * h + i] = Math.sin(th);
    }
  }
  return { cos: Tensor.fromArray(c, [S, h]), sin: Tensor.fromArray(s, [S, h]) };
}

function rotaryDims(fn: string, name: string, x: unknown): [number, number, number] {
  if (!(x instanceof Tensor)) throw new ArgumentError(`${fn}: ${name} must be a Tensor, got ${describe(x)}`);
  if (x.rank < 2)
    throw new ShapeError(`${fn}: ${name} must have rank >= 2 ([..., seq, dim]), got shape ${formatShape(x.shape)}`);
  expectTensor(fn, name, x, x.rank);
  const S = x.shape[x.rank - 2]!;
  const D = x.shape[x.rank - 1]!;
  if (D % 2 !== 0)
    throw new ArgumentError(`${fn}: ${name} must have an even last dimension (rotary pairs c with c + D/2), got ${D}`);
  const N = S * D === 0 ? 0 : x.size / (S * D);
  return [N, S, D];
}

/**
 * Rotary position embedding (GPT-NeoX / Hugging Face `rotate_half` pairing) over
 * the last two axes [..., seq, dim] of x: dimension c < dim/2 pairs with c + dim/2
 * and the pair is rotated by theta = (offset + pos) * base^(-2c/dim). Writes into
 * `out` (may be x itself) or a new Tensor.
 */
export function rotary(x: Tensor, options: RotaryOptions & { out?: Tensor } = {}): Tensor {
  const fn = 'rotary';
  const r = rt(fn);
  const [N, S, D] = rotaryDims(fn, 'x', x);
  let out = options.out;
  if (out !== undefined) expectLike(fn, 'out', out, x.shape);
  const { cos, sin } = rotaryTables(fn, S, D, options);
  out ??= Tensor.empty(x.shape);
  try {
    if (N > 0) r.kernels.rotary_fwd(x.offset, cos.offset, sin.offset, out.offset, N, S, D);
  } finally {
    cos.dispose();
    sin.dispose();
  }
  return out;
}

/** Rotary backward: dx += rotation of dy by -theta (same base and offset as the forward). */
export function rotaryBackward(dy: Tensor, dx: Tensor, options: RotaryOptions = {}): void {
  const fn = 'rotaryBackward';
  const r = rt(fn);
  const [N, S, D] = rotaryDims(fn, 'dy', dy);
  expectLike(fn, 'dx', dx, dy.shape);
  if (dx === dy) throw new ArgumentError(`${fn}: dx must not be dy, got the same Tensor`);
  const { cos, sin } = rotaryTables(fn, S, D, options);
  try {
    if (N > 0) r.kernels.rotary_bwd(dy.offset, cos.offset, sin.offset, dx.offset, N, S, D);
  } finally {
    cos.dispose();
    sin.dispose();
  }
}
