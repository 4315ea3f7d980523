import { checkBool, checkOptions, describe } from '../core/check.js';
import { ArgumentError, ShapeError, formatShape } from '../core/errors.js';
import { ACT_NONE } from '../core/kernels.js';
import { type Runtime, rt } from '../core/runtime.js';
import { Tensor, expectTensor } from '../core/tensor.js';
import { gemmWorkspace } from './matmul.js';
import { gemmF32 } from './parallel.js';
import { checkMask, expectShape, maskInt32 } from './pool.js';

// Recurrent layers over a whole sequence (PyTorch's LSTM, GRU and RNN cells,
// batch-first): the input projection of every step is one threaded GEMM, then one
// kernel call runs the time loop (assembly/rnn.ts); the backward is one kernel call
// through time, then threaded GEMMs and column sums for the input, weight and bias
// gradients.

/** The cell: 'lstm' (gates i, f, g, o), 'gru' (r, z, n), 'rnn_tanh' and 'rnn_relu' (Elman). */
export type RnnMode = 'lstm' | 'gru' | 'rnn_tanh' | 'rnn_relu';

/** Options of `rnn` (and the same object for `rnnBackward`). */
export interface RnnOptions {
  /** [B, H] initial hidden state; default zeros. */
  h0?: Tensor;
  /** [B, H] initial cell state, LSTM only; default zeros. */
  c0?: Tensor;
  /**
   * [B, T] int32 or float32, every value 0 or 1: at a step whose mask is 0 the state
   * is carried unchanged and the output is the carried h (any pattern). With right
   * padding, out[:, T - 1] is the state at the last real token.
   */
  mask?: Tensor;
  /** Run the steps t = T - 1 ... 0 (the backward direction of a bidirectional layer); default false. */
  reverse?: boolean;
}

/** What the backward needs (activated gates, cell states, ...); dispose() frees it. */
export interface RnnSaved {
  readonly tensors: readonly Tensor[];
  dispose(): void;
}

/** What `rnn` returns. */
export interface RnnResult {
  /** [B, T, H] the hidden state after every step (the carried state at masked steps). */
  out: Tensor;
  /** [B, H] the final hidden state (after the last step in loop order). */
  h: Tensor;
  /** [B, H] the LSTM's final cell state; null for the other modes. */
  c: Tensor | null;
  /** Saved for `rnnBackward`. */
  saved: RnnSaved;
}

/** The gradients `rnnBackward` accumulates into (each optional). */
export interface RnnGrads {
  /** [B, T, I] */
  dx?: Tensor;
  /** [G·H, I] */
  dweightIh?: Tensor;
  /** [G·H, H] */
  dweightHh?: Tensor;
  /** [G·H] */
  dbiasIh?: Tensor;
  /** [G·H] */
  dbiasHh?: Tensor;
  /** [B, H] (zeros when h0 was absent, still a gradient) */
  dh0?: Tensor;
  /** [B, H], LSTM only */
  dc0?: Tensor;
}

const GATES: Readonly<Record<RnnMode, number>> = { lstm: 4, gru: 3, rnn_tanh: 1, rnn_relu: 1 };
const OPTION_KEYS = ['h0', 'c0', 'mask', 'reverse'];

function checkMode(fn: string, mode: unknown): RnnMode {
  if (typeof mode !== 'string' || !Object.hasOwn(GATES, mode))
    throw new ArgumentError(`${fn}: mode must be 'lstm', 'gru', 'rnn_tanh' or 'rnn_relu', got ${describe(mode)}`);
  return mode as RnnMode;
}

/** Gates per hidden unit of a mode: 4 (LSTM), 3 (GRU), 1 (RNN). */
export function rnnGates(mode: RnnMode): number {
  return GATES[checkMode('rnnGates', mode)];
}

interface Dims {
  B: number;
  T: number;
  I: number;
  H: number;
  G: number;
}

interface Checked {
  h0: Tensor | undefined;
  c0: Tensor | undefined;
  mask: Tensor | undefined;
  reverse: boolean;
}

function checkRnnOptions(fn: string, mode: RnnMode, options: unknown, d: Dims): Checked {
  const o = checkOptions<RnnOptions>(fn, 'options', options ?? {}, OPTION_KEYS);
  const h0 = o.h0 === undefined ? undefined : expectShape(fn, 'h0', o.h0, [d.B, d.H]);
  let c0: Tensor | undefined;
  if (o.c0 !== undefined) {
    if (mode !== 'lstm')
      throw new ArgumentError(
        `${fn}: c0 must be absent for mode '${mode}' (only the LSTM has a cell state), got ${describe(o.c0)}`,
      );
    c0 = expectShape(fn, 'c0', o.c0, [d.B, d.H]);
  }
  const reverse = o.reverse === undefined ? false : checkBool(fn, 'reverse', o.reverse);
  return { h0, c0, mask: checkMask(fn, o.mask, d.B, d.T), reverse };
}

/**
 * The checks both directions start with: mode, x [B, T, I], weightIh [G·H, I], weightHh [G·H, H]
 * (H >= 1), the biases [G·H] or null, then the options. Returns the runtime, the dims, the
 * checked options, G·H and the biases (null when absent).
 */
function begin(
  fn: string,
  mode: RnnMode,
  x: Tensor,
  weightIh: Tensor,
  weightHh: Tensor,
  biasIh: Tensor | null,
  biasHh: Tensor | null,
  options: RnnOptions,
): { r: Runtime; d: Dims; o: Checked; GH: number; bIh: Tensor | null; bHh: Tensor | null } {
  const r = rt(fn);
  const G = GATES[checkMode(fn, mode)];
  const [B, T, I] = expectTensor(fn, 'x', x, 3) as [number, number, number];
  const [gh, H] = expectTensor(fn, 'weightHh', weightHh, 2) as [number, number];
  if (H < 1 || gh !== G * H) {
    throw new ShapeError(
      `${fn}: weightHh must have shape [${G}·H, H] with H >= 1 for mode '${String(mode)}', got ${formatShape(weightHh.shape)}`,
    );
  }
  const GH = G * H;
  expectShape(fn, 'weightIh', weightIh, [GH, I]);
  if (biasIh !== null && biasIh !== undefined) expectShape(fn, 'biasIh', biasIh, [GH]);
  if (biasHh !== null && biasHh !== undefined) expectShape(fn, 'biasHh', biasHh, [GH]);
  const d = { B, T, I, H, G };
  return { r, d, o: checkRnnOptions(fn, mode, options, d), GH, bIh: biasIh ?? null, bHh: biasHh ?? null };
}

/** What a forward call was made with: rnnBackward checks it is given the same. */
interface Forward {
  mode: RnnMode;
  x: Tensor;
  weightIh: Tensor;
  weightHh: Tensor;
  biasIh: Tensor | null;
  biasHh: Tensor | null;
  options: Checked;
  /** The int32 mask the kernels read (the given one, or the saved copy of a float mask). */
  mask: Tensor | undefined;
  /** LSTM: activated gates [B, T, 4H], cells [B, T, H]; GRU: gates [B, T, 3H], hn [B, T, H]. */
  gates: Tensor | undefined;
  states: Tensor | undefined;
  disposed: boolean;
}

const forwards = new WeakMap<RnnSaved, Forward>();

/**
 * The bias of the input projection: b_ih + b_hh (LSTM, RNN) or b_ih + (b_hr, b_hz, 0)
 * (GRU: b_hn stays inside the r product). Null when there is none; `owned` when made here.
 */
function projectionBias(
  mode: RnnMode,
  biasIh: Tensor | null,
  biasHh: Tensor | null,
  H: number,
): { t: Tensor | null; owned: boolean } {
  if (biasHh === null) return { t: biasIh, owned: false };
  const n = mode === 'gru' ? 2 * H : biasHh.size;
  const t = Tensor.zeros(biasHh.shape);
  const v = t.view();
  const bh = biasHh.view();
  if (biasIh !== null) v.set(biasIh.view());
  for (let j = 0; j < n; j++) v[j] = Math.fround(v[j]! + bh[j]!);
  return { t, owned: true };
}

/** The time loop of the forward (one kernel call), after the input projection is in f.gates (out for the RNN). */
function run(r: Runtime, mode: RnnMode, d: Dims, f: Forward, out: Tensor, h: Tensor, c: Tensor | null): void {
  const { B, T, H } = d;
  const k = r.kernels;
  const o = f.options;
  const temps: Tensor[] = [];
  try {
    const h0 = o.h0 ?? zerosTemp(temps, [B, H]);
    const work = workspace(r, temps, B, H, d.G);
    const maskP = f.mask?.offset ?? 0;
    const rev = o.reverse ? 1 : 0;
    if (mode === 'lstm') {
      const c0 = o.c0 ?? zerosTemp(temps, [B, H]);
      k.lstm_seq_fwd_f32(
        f.weightHh.offset,
        h0.offset,
        c0.offset,
        maskP,
        f.gates!.offset,
        f.states!.offset,
        out.offset,
        h.offset,
        c!.offset,
        work,
        B,
        T,
        H,
        rev,
      );
    } else if (mode === 'gru') {
      k.gru_seq_fwd_f32(
        f.weightHh.offset,
        f.biasHh?.offset ?? 0,
        h0.offset,
        maskP,
        f.gates!.offset,
        f.states!.offset,
        out.offset,
        h.offset,
        work,
        B,
        T,
        H,
        rev,
      );
    } else {
      const relu = mode === 'rnn_relu' ? 1 : 0;
      k.rnn_seq_fwd_f32(f.weightHh.offset, h0.offset, maskP, out.offset, h.offset, work, B, T, H, relu, rev);
    }
  } finally {
    for (const t of temps) t.dispose();
  }
}

/** Scratch of the time-loop kernels (the packed W_hh, a packed block of a step's rows, a tile), freed by the caller. */
function workspace(r: Runtime, temps: Tensor[], B: number, H: number, G: number): number {
  const t = Tensor.empty([(r.kernels.rnn_seq_workspace_bytes(B, H, G) >>> 0) / 4]);
  temps.push(t);
  return t.offset;
}

function zerosTemp(temps: Tensor[], shape: number[]): Tensor {
  const t = Tensor.zeros(shape);
  temps.push(t);
  return t;
}

/**
 * A recurrent layer over the whole sequence, PyTorch's semantics, batch-first:
 * x [B, T, I], weightIh [G·H, I], weightHh [G·H, H], biases [G·H] or null, G = rnnGates(mode).
 *   lstm:     i, f, o = σ, g = tanh of x W_ih^T + b_ih + h W_hh^T + b_hh; c' = f c + i g; h' = o tanh(c')
 *   gru:      r, z = σ(x W_i^T + b_i + h W_h^T + b_h); n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn));
 *             h' = (1 − z) n + z h
 *   rnn_tanh, rnn_relu: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)
 * Returns the hidden state after every step, the final states and what the backward
 * needs (free it with `saved.dispose()` when no backward follows).
 */
export function rnn(
  mode: RnnMode,
  x: Tensor,
  weightIh: Tensor,
  weightHh: Tensor,
  biasIh: Tensor | null,
  biasHh: Tensor | null,
  options: RnnOptions = {},
): RnnResult {
  const fn = 'rnn';
  const { r, d, o, GH, bIh, bHh } = begin(fn, mode, x, weightIh, weightHh, biasIh, biasHh, options);
  const { B, T, I, H } = d;
  const m = maskInt32(fn, o.mask, B, T);
  const made: Tensor[] = m.owned ? [m.t!] : [];
  let bias: { t: Tensor | null; owned: boolean } = { t: null, owned: false };
  try {
    const out = Tensor.empty([B, T, H]);
    made.push(out);
    const h = Tensor.empty([B, H]);
    made.push(h);
    const c = mode === 'lstm' ? Tensor.empty([B, H]) : null;
    if (c !== null) made.push(c);
    let gates: Tensor | undefined;
    let states: Tensor | undefined;
    if (mode === 'lstm' || mode === 'gru') {
      gates = Tensor.empty([B, T, GH]);
      made.push(gates);
      states = Tensor.empty([B, T, H]);
      made.push(states);
    }
    bias = projectionBias(mode, bIh, bHh, H);
    // The input projection of every step: one GEMM into the gate buffer (out for the RNN).
    const proj = gates ?? out;
    gemmF32(
      r,
      x.offset,
      weightIh.offset,
      bias.t?.offset ?? 0,
      proj.offset,
      gemmWorkspace(r),
      B * T,
      GH,
      I,
      I,
      I,
      GH,
      0,
      1,
      1,
      0,
      ACT_NONE,
    );
    const f: Forward = {
      mode,
      x,
      weightIh,
      weightHh,
      biasIh: bIh,
      biasHh: bHh,
      options: o,
      mask: m.t,
      gates,
      states,
      disposed: false,
    };
    run(r, mode, d, f, out, h, c);
    const tensors = [gates, states, m.owned ? m.t : undefined].filter((t): t is Tensor => t !== undefined);
    const saved: RnnSaved = {
      tensors,
      dispose() {
        f.disposed = true;
        for (const t of tensors) t.dispose();
      },
    };
    forwards.set(saved, f);
    return { out, h, c, saved };
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  } finally {
    if (bias.owned) bias.t!.dispose();
  }
}

const GRAD_KEYS = ['dout', 'dh', 'dc'];
const INTO_KEYS = ['dx', 'dweightIh', 'dweightHh', 'dbiasIh', 'dbiasHh', 'dh0', 'dc0'];

/**
 * Backward of `rnn` through time; ACCUMULATES into each gradient of `into` given
 * (absent ones are not computed). dout [B, T, H] (the gradient of out), dh [B, H]
 * (of the final h) and dc [B, H] (of the final c, LSTM) are each optional (absent = 0).
 * mode, x, the weights, the biases and `options` must be those of the forward that
 * made `result`. For the GRU, dbiasHh's n part is d(n_pre) ⊙ r.
 */
export function rnnBackward(
  mode: RnnMode,
  x: Tensor,
  weightIh: Tensor,
  weightHh: Tensor,
  biasIh: Tensor | null,
  biasHh: Tensor | null,
  result: RnnResult,
  grads: { dout?: Tensor; dh?: Tensor; dc?: Tensor },
  into: RnnGrads,
  options: RnnOptions = {},
): void {
  const fn = 'rnnBackward';
  const { r, d, o, GH, bIh, bHh } = begin(fn, mode, x, weightIh, weightHh, biasIh, biasHh, options);
  const { B, T, I, H, G } = d;
  if (result === null || typeof result !== 'object')
    throw new ArgumentError(`${fn}: result must be what rnn returned, got ${describe(result)}`);
  const f = forwards.get(result.saved);
  if (f === undefined) throw new ArgumentError(`${fn}: result must be what rnn returned, got ${describe(result)}`);
  if (f.disposed || f.gates?.disposed === true || f.states?.disposed === true || f.mask?.disposed === true)
    throw new ArgumentError(`${fn}: result must not be disposed, got one whose saved tensors were freed`);
  if (f.mode !== mode || f.x !== x || f.weightIh !== weightIh || f.weightHh !== weightHh)
    throw new ArgumentError(`${fn}: result must come from rnn with the same mode, x and weights, got another call's`);
  if (f.biasIh !== bIh || f.biasHh !== bHh)
    throw new ArgumentError(`${fn}: biasIh and biasHh must be those the forward got, got different ones`);
  for (const k of ['h0', 'c0', 'mask', 'reverse'] as const) {
    if (f.options[k] !== o[k])
      throw new ArgumentError(
        `${fn}: options.${k} must be the forward's (${describe(f.options[k])}), got ${describe(o[k])}`,
      );
  }
  const out = expectShape(fn, 'result.out', result.out, [B, T, H]);
  const g = checkOptions<{ dout?: Tensor; dh?: Tensor; dc?: Tensor }>(fn, 'grads', grads, GRAD_KEYS);
  const dout = g.dout === undefined ? undefined : expectShape(fn, 'grads.dout', g.dout, [B, T, H]);
  const dh = g.dh === undefined ? undefined : expectShape(fn, 'grads.dh', g.dh, [B, H]);
  if (g.dc !== undefined && mode !== 'lstm')
    throw new ArgumentError(`${fn}: grads.dc must be absent for mode '${mode}', got ${describe(g.dc)}`);
  const dc = g.dc === undefined ? undefined : expectShape(fn, 'grads.dc', g.dc, [B, H]);
  const t = checkOptions<RnnGrads>(fn, 'into', into, INTO_KEYS);
  const dx = t.dx === undefined ? undefined : expectShape(fn, 'into.dx', t.dx, [B, T, I]);
  const dWih = t.dweightIh === undefined ? undefined : expectShape(fn, 'into.dweightIh', t.dweightIh, [GH, I]);
  const dWhh = t.dweightHh === undefined ? undefined : expectShape(fn, 'into.dweightHh', t.dweightHh, [GH, H]);
  if (t.dbiasIh !== undefined && bIh === null)
    throw new ArgumentError(`${fn}: into.dbiasIh must be absent when biasIh is null, got ${describe(t.dbiasIh)}`);
  if (t.dbiasHh !== undefined && bHh === null)
    throw new ArgumentError(`${fn}: into.dbiasHh must be absent when biasHh is null, got ${describe(t.dbiasHh)}`);
  const dbIh = t.dbiasIh === undefined ? undefined : expectShape(fn, 'into.dbiasIh', t.dbiasIh, [GH]);
  const dbHh = t.dbiasHh === undefined ? undefined : expectShape(fn, 'into.dbiasHh', t.dbiasHh, [GH]);
  const dh0 = t.dh0 === undefined ? undefined : expectShape(fn, 'into.dh0', t.dh0, [B, H]);
  if (t.dc0 !== undefined && mode !== 'lstm')
    throw new ArgumentError(`${fn}: into.dc0 must be absent for mode '${mode}', got ${describe(t.dc0)}`);
  const dc0 = t.dc0 === undefined ? undefined : expectShape(fn, 'into.dc0', t.dc0, [B, H]);
  const reads: unknown[] = [x, weightIh, weightHh, bIh, bHh, o.h0, o.c0, o.mask, f.mask, out, result.h, result.c];
  reads.push(f.gates, f.states, dout, dh, dc);
  for (const [name, buf] of Object.entries({ dx, dWih, dWhh, dbIh, dbHh, dh0, dc0 })) {
    if (buf !== undefined && reads.includes(buf))
      throw new ArgumentError(`${fn}: each gradient must not be an input or a saved tensor, got one as ${name}`);
  }
  if ([dx, dWih, dWhh, dbIh, dbHh, dh0, dc0].every((b) => b === undefined)) return;
  if (B === 0 || (dout === undefined && dh === undefined && dc === undefined)) return;

  const k = r.kernels;
  const rev = o.reverse ? 1 : 0;
  const BT = B * T;
  const temps: Tensor[] = [];
  try {
    const h0 = o.h0 ?? zerosTemp(temps, [B, H]);
    const loopWork = workspace(r, temps, B, H, G);
    const dG = Tensor.empty([B, T, GH]);
    temps.push(dG);
    let dGh = dG;
    const carry = Tensor.empty([mode === 'lstm' ? 2 : 1, B, H]);
    temps.push(carry);
    const maskP = f.mask?.offset ?? 0;
    if (mode === 'lstm') {
      const c0 = o.c0 ?? zerosTemp(temps, [B, H]);
      k.lstm_seq_bwd_f32(
        f.gates!.offset,
        f.states!.offset,
        c0.offset,
        weightHh.offset,
        dout?.offset ?? 0,
        dh?.offset ?? 0,
        dc?.offset ?? 0,
        maskP,
        dG.offset,
        dh0?.offset ?? 0,
        dc0?.offset ?? 0,
        carry.offset,
        loopWork,
        B,
        T,
        H,
        rev,
      );
    } else if (mode === 'gru') {
      dGh = Tensor.empty([B, T, GH]);
      temps.push(dGh);
      k.gru_seq_bwd_f32(
        f.gates!.offset,
        f.states!.offset,
        h0.offset,
        out.offset,
        weightHh.offset,
        dout?.offset ?? 0,
        dh?.offset ?? 0,
        maskP,
        dG.offset,
        dGh.offset,
        dh0?.offset ?? 0,
        carry.offset,
        loopWork,
        B,
        T,
        H,
        rev,
      );
    } else {
      k.rnn_seq_bwd_f32(
        out.offset,
        weightHh.offset,
        dout?.offset ?? 0,
        dh?.offset ?? 0,
        maskP,
        dG.offset,
        dh0?.offset ?? 0,
        carry.offset,
        loopWork,
        B,
        T,
        H,
        mode === 'rnn_relu' ? 1 : 0,
        rev,
      );
    }
    if (BT === 0) return;
    const work = gemmWorkspace(r);
    // dx += dG W_ih;  dW_ih += dG^T x;  dW_hh += dGh^T h_prev;  db += column sums.
    if (dx !== undefined && I > 0)
      gemmF32(r, dG.offset, weightIh.offset, 0, dx.offset, work, BT, I, GH, GH, I, I, 0, 0, 1, 1, ACT_NONE);
    if (dWih !== undefined && I > 0)
      gemmF32(r, dG.offset, x.offset, 0, dWih.offset, work, GH, I, BT, GH, I, I, 1, 0, 1, 1, ACT_NONE);
    if (dWhh !== undefined) {
      const hp = previousStates(r, out, h0, B, T, H, o.reverse);
      temps.push(hp);
      gemmF32(r, dGh.offset, hp.offset, 0, dWhh.offset, work, GH, H, BT, GH, H, H, 1, 0, 1, 1, ACT_NONE);
    }
    if (dbIh !== undefined) k.sum_rows_f32(dG.offset, dbIh.offset, BT, GH);
    if (dbHh !== undefined) k.sum_rows_f32(dGh.offset, dbHh.offset, BT, GH);
  } finally {
    for (const tt of temps) tt.dispose();
  }
}

/** [B, T, H]: the state before each step, h0 at the first step of the loop and out[:, prev(t)] elsewhere. */
function previousStates(r: Runtime, out: Tensor, h0: Tensor, B: number, T: number, H: number, reverse: boolean) {
  const hp = Tensor.empty([B, T, H]);
  const k = r.kernels;
  const TH = T * H;
  if (!reverse) {
    k.copy2d_f32(h0.offset, hp.offset, B, H, H, TH, 0);
    if (T > 1) k.copy2d_f32(out.offset, hp.offset + 4 * H, B, (T - 1) * H, TH, TH, 0);
  } else {
    k.copy2d_f32(h0.offset, hp.offset + 4 * (T - 1) * H, B, H, H, TH, 0);
    if (T > 1) k.copy2d_f32(out.offset + 4 * H, hp.offset, B, (T - 1) * H, TH, TH, 0);
  }
  return hp;
}
